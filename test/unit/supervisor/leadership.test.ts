/**
 * One supervisor decides at a time: several processes run `createLeadership` on one lease (here the
 * SQLite lease of a data dir, opened once per "process"); exactly one leads, the others stand by,
 * a release hands over at once and a holder that stops renewing (a crash) is replaced once its
 * lease lapses. A supervisor whose process lost the lease does not act (`leading()` is its fence).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { openSqliteLease } from '../../../adapters/embedded/sqliteLease.ts';
import type { Lease } from '../../../adapters/ports.ts';
import { createLeadership, type Leadership } from '../../../services/supervisor/leadership.ts';
import { makeTempDir, type TempDir } from '../../support/tempDir.ts';
import { waitFor } from '../../support/waitFor.ts';

interface Node {
  name: string;
  lease: Lease;
  leadership: Leadership;
  /** Whether its supervisor runs (started by onLead, stopped by onLose). */
  deciding: boolean;
}

const ttlMs = 600;
let dir: TempDir | undefined;
const nodes: Node[] = [];

function node(name: string): Node {
  dir ??= makeTempDir('leadership');
  const lease = openSqliteLease({ file: dir.file('supervisor-lease.db') });
  const n: Node = {
    name,
    lease,
    deciding: false,
    leadership: createLeadership({
      lease,
      holder: name,
      ttlMs,
      onLead: () => (n.deciding = true),
      onLose: async () => {
        n.deciding = false;
      },
      log: () => undefined,
    }),
  };
  nodes.push(n);
  return n;
}

const leaders = () => nodes.filter((n) => n.leadership.leading() && n.deciding).map((n) => n.name);

afterEach(async () => {
  for (const n of nodes.splice(0)) {
    await n.leadership.stop();
    await n.lease.close();
  }
  await dir?.cleanup();
  dir = undefined;
});

describe('supervisor leadership over a shared lease', () => {
  it('given three processes, when they start together, then exactly one decides and the others stand by', async () => {
    const all = [node('a'), node('b'), node('c')];
    for (const n of all) n.leadership.start();
    await waitFor(() => leaders().length === 1, { what: 'one leader' });
    // Several renewals later there is still exactly one, the same one.
    const first = leaders()[0];
    const firstExpiry = (await all[0]!.lease.current())?.expiresAtMs ?? 0;
    await waitFor(async () => ((await all[0]!.lease.current())?.expiresAtMs ?? 0) > firstExpiry, { what: 'a renewal' });
    assert.deepEqual(leaders(), [first]);
    assert.equal(all.filter((n) => n.deciding).length, 1);
  });

  it('given a leader, when it stops and releases the lease, then a standby decides at once', async () => {
    const [a, b] = [node('a'), node('b')];
    a.leadership.start();
    await waitFor(() => a.leadership.leading(), { what: 'a to lead' });
    b.leadership.start();
    await a.leadership.stop();
    assert.equal(a.deciding, false, 'stopping stops its supervisor');
    await a.leadership.release();
    await waitFor(() => leaders().join() === 'b', { timeoutMs: ttlMs, what: 'b to take over within one renewal period' });
  });

  it('given a leader that crashes (stops renewing without releasing), when its lease lapses, then the standby takes over', async () => {
    const [a, b] = [node('a'), node('b')];
    a.leadership.start();
    await waitFor(() => a.leadership.leading(), { what: 'a to lead' });
    b.leadership.start();
    await a.leadership.stop(); // no release: its row stays until it lapses
    const lapsesAt = (await a.lease.current())?.expiresAtMs ?? 0;
    await waitFor(() => leaders().join() === 'b', { timeoutMs: 5000, what: 'b to take over' });
    assert.ok(Date.now() >= lapsesAt, 'b took over only after the crashed holder\'s lease had lapsed');
    assert.equal(a.leadership.leading(), false);
  });
});
