/**
 * The Compute port's conformance suite, run against every Compute adapter (child processes here;
 * EC2 through a local test server later). Instance states come from another process or machine,
 * so they are awaited by polling `describe()` (no event exists to await); `pending` may precede
 * `running` and `stopping` may precede `exited`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Compute, DescribedInstance, LaunchedInstance } from '../../adapters/ports.ts';
import { waitFor } from '../support/waitFor.ts';

export interface ComputeFixture {
  /** A compute that has launched nothing yet (a fresh registry, a fresh test server). */
  compute: Compute;
  /**
   * What `selfId()` answered inside the launched instance (the fake worker reports it). Absent
   * when the backend runs no code of ours (EC2 test server): that case is then skipped.
   */
  reportedSelfId?(instance: LaunchedInstance): Promise<string>;
  /** Terminates whatever is left and removes temp state. */
  cleanup(): Promise<void>;
}

export interface ComputeConformanceOptions {
  /** How long an instance may take to be running, and to be gone after terminate, ms (default 15000). */
  timeoutMs?: number;
}

/** Registers the suite under `name`. */
export function computeConformance(name: string, factory: () => Promise<ComputeFixture>, options: ComputeConformanceOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 15_000;

  const statusOf = async (compute: Compute, providerId: string): Promise<DescribedInstance | undefined> =>
    (await compute.describe()).find((d) => d.providerId === providerId);

  describe(`Compute conformance: ${name}`, () => {
    describe('given a fresh compute', () => {
      it('when nothing was launched, then describe lists nothing', async () => {
        const fixture = await factory();
        try {
          assert.deepEqual(await fixture.compute.describe(), []);
        } finally {
          await fixture.cleanup();
        }
      });
    });

    describe('given two launched instances', () => {
      let fixture: ComputeFixture;
      let launched: LaunchedInstance[] = [];
      const ids = ['conformance-a', 'conformance-b'];

      before(async () => {
        fixture = await factory();
        launched = await fixture.compute.launch({ instanceIds: ids, tags: { purpose: 'conformance' }, bootEnv: { FAKE_WORKER_ECHO: 'hello' } });
      });
      after(() => fixture.cleanup());

      it('then launch answered one distinct provider id per instance id', () => {
        assert.deepEqual(launched.map((l) => l.instanceId).sort(), ids);
        assert.equal(new Set(launched.map((l) => l.providerId)).size, 2);
      });

      it('then describe shows both running', async () => {
        await waitFor(async () => {
          const described = await fixture.compute.describe();
          return launched.every((l) => described.some((d) => d.providerId === l.providerId && d.instanceId === l.instanceId && d.status === 'running'));
        }, { timeoutMs, what: 'both instances running' });
      });

      it('then selfId() inside each instance equals its provider id', async (t) => {
        const { reportedSelfId } = fixture;
        if (reportedSelfId === undefined) return t.skip('this backend runs no code of ours');
        for (const instance of launched) assert.equal(await reportedSelfId(instance), instance.providerId);
        return undefined;
      });

      it('when one is terminated, then it exits and describe shows it exited while the other keeps running', async () => {
        const [victim, survivor] = launched as [LaunchedInstance, LaunchedInstance];
        await fixture.compute.terminate(victim.providerId);
        const gone = await waitFor(async () => {
          const described = await statusOf(fixture.compute, victim.providerId);
          return described?.status === 'exited' ? described : undefined;
        }, { timeoutMs, what: `${victim.providerId} exited` });
        assert.equal(gone.instanceId, victim.instanceId);
        assert.equal((await statusOf(fixture.compute, survivor.providerId))?.status, 'running');
      });

      it('when the exited one is terminated again, then nothing fails and it stays exited', async () => {
        const victim = launched[0] as LaunchedInstance;
        await fixture.compute.terminate(victim.providerId);
        assert.equal((await statusOf(fixture.compute, victim.providerId))?.status, 'exited');
      });
    });
  });
}
