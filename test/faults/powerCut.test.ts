/**
 * Fault: everything killed at once (SIGKILL to the main process and to every worker) right after a
 * burst of uploads was acknowledged with 202, then started again on the same data dir. Every
 * acknowledged job must be found and finish exactly once: the acknowledgement came after the job's
 * event, its message and its image were committed (synchronous=FULL, group commit).
 *
 * What this cannot show: a real power cut also drops the OS page cache. A process kill leaves
 * written-but-unsynced pages to the kernel; only an OS crash tests the fsync itself (see
 * docs/reliability.md). Short form 24 uploads; full 60.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { enrolDemoSubjects, readModelsMatchReplay } from '../support/facefleetProcess.ts';
import { allSettled, exactlyOnce, facefleetPool, figure, liveWorkers, scale, submitMany, withStore } from './faultSupport.ts';

const uploads = scale(24, 60);
const env = { FACEFLEET_CAP: '2' };

describe('given a fleet that just acknowledged a burst of uploads', { timeout: scale(240_000, 600_000) }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());

  it(`when every process is killed with SIGKILL right after the last 202 (${uploads} uploads) and the fleet is started again, then every acknowledged job is found and done exactly once`, async () => {
    const first = await pool.start({ env });
    const { dataDir } = first;
    await enrolDemoSubjects(first.url);
    const acknowledged = await submitMany(first.url, uploads, 'cut-');
    // The cut: the main process and every worker at once, no goodbye.
    const workers = liveWorkers(dataDir);
    first.child.kill('SIGKILL');
    for (const { pid } of workers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited on its own in between
      }
    }
    const workersKilled = workers.length;
    await first.exited;
    const doneAtCut = await withStore(dataDir, async (store) => (await store.rows('job')).filter((r) => r.state === 'done').length);

    const restartedAt = Date.now();
    const second = await pool.start({ dataDir, env });
    const counts = await allSettled(second.url, 180_000);
    const finishedMs = Date.now() - restartedAt;

    const stored = await withStore(dataDir, async (store) => new Map((await store.rows('job')).map((r) => [r.id, r.state])));
    for (const id of acknowledged.keys()) assert.equal(stored.get(id), 'done', `acknowledged job ${id} is found and done`);
    assert.equal(counts.failed ?? 0, 0, 'no job failed');
    const check = await exactlyOnce(dataDir, { jobIds: acknowledged.keys() });
    assert.deepEqual(check.problems, [], 'one JobCompleted and one result per acknowledged job');
    for (const kind of ['job', 'instance'] as const) assert.deepEqual((await readModelsMatchReplay(dataDir, kind)).mismatches, [], `${kind} read models equal their replay`);

    figure('power-cut', { acknowledged: acknowledged.size, doneBeforeTheCut: doneAtCut, workersKilled, allDoneAfterRestartMs: finishedMs });
  });
});
