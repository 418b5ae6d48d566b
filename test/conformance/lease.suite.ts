/**
 * The Lease conformance suite: what every implementation (SQLite in the data dir, DynamoDB) must do
 * so that exactly one supervisor decides at a time. Each case opens two handles on one lease (two
 * processes) and a clock it moves by hand, so expiry needs no waiting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Lease } from '../../adapters/ports.ts';

export interface OpenedLeases {
  /** Two handles on the same lease, as two processes would hold them. */
  a: Lease;
  b: Lease;
  cleanup(): Promise<void>;
}

/** A wall clock the test moves. */
export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = 1_700_000_000_000): ManualClock {
  let at = start;
  return { now: () => at, advance: (ms) => (at += ms) };
}

export function leaseConformance(name: string, open: (clock: ManualClock) => Promise<OpenedLeases>): void {
  async function withLeases(body: (leases: OpenedLeases, clock: ManualClock) => Promise<void>) {
    const clock = manualClock();
    const leases = await open(clock);
    try {
      await body(leases, clock);
    } finally {
      await leases.a.close();
      await leases.b.close();
      await leases.cleanup();
    }
  }

  describe(`Lease conformance: ${name}`, () => {
    it('given a free lease, when two processes ask, then the first holds it and the second stands by', () =>
      withLeases(async ({ a, b }) => {
        assert.equal(await a.current(), undefined);
        assert.equal(await a.acquire('one', 10_000), true);
        assert.equal(await b.acquire('two', 10_000), false);
        assert.equal((await b.current())?.holder, 'one');
      }));

    it('given a held lease, when its holder renews before it lapses, then the other still cannot take it', () =>
      withLeases(async ({ a, b }, clock) => {
        assert.equal(await a.acquire('one', 10_000), true);
        clock.advance(8_000);
        assert.equal(await a.acquire('one', 10_000), true, 'a renewal');
        clock.advance(8_000);
        assert.equal(await b.acquire('two', 10_000), false, '16 s after the first take, but only 8 s after the renewal');
      }));

    it('given a holder that stopped renewing, when the lease lapses, then the standby takes over and the old holder cannot renew', () =>
      withLeases(async ({ a, b }, clock) => {
        assert.equal(await a.acquire('one', 10_000), true);
        clock.advance(10_001);
        assert.equal(await a.current(), undefined, 'lapsed');
        assert.equal(await b.acquire('two', 10_000), true);
        assert.equal(await a.acquire('one', 10_000), false);
        assert.equal((await a.current())?.holder, 'two');
      }));

    it('given a held lease, when its holder releases it, then a standby takes it at once; a release by another changes nothing', () =>
      withLeases(async ({ a, b }) => {
        assert.equal(await a.acquire('one', 10_000), true);
        await b.release('two');
        assert.equal((await a.current())?.holder, 'one');
        await a.release('one');
        assert.equal(await b.acquire('two', 10_000), true);
      }));
  });
}
