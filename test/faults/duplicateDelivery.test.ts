/**
 * Fault: two workers given the same message. The visibility timeout is shorter than the job: the
 * first attempt stalls (`FACEFLEET_FAULTS=slow-job-ms:<ms>:<sha256>` — it waits and its lease is not
 * extended), the message comes back, and the other worker takes the job. There must be one result:
 * exactly one JobCompleted (the second worker's), and the stalled worker's late result refused —
 * its attempt is no longer the current one, so its JobCompleted is never written (InstanceJobFinished
 * {skipped}).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, listInstances, readModelsMatchReplay } from '../support/facefleetProcess.ts';
import { exactlyOnce, facefleetPool, figure, isoMs, photoName, photoSha256, submitBatch, withStore } from './faultSupport.ts';

const visibilitySeconds = 2;
const stallMs = 8000;

describe('given two idle workers and a visibility timeout shorter than the job', { timeout: 150_000 }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());

  it('when the first attempt outlives its lease and a second worker takes the message, then one JobCompleted and the late attempt is refused', async () => {
    const ff = await pool.start({
      env: {
        FACEFLEET_CAP: '2',
        FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: String(visibilitySeconds),
        FACEFLEET_IDLE_SECONDS: '60',
        FACEFLEET_FAULTS: `slow-job-ms:${stallMs}:${photoSha256(4)}`,
      },
    });
    // Two warm-up jobs bring up two workers, which then wait for work.
    await submitBatch(ff.url, [1, 2].map((photo) => ({ photo, name: photoName(photo, 'warm') })));
    await eventually('two workers waiting for work', async () => {
      const rows = await listInstances(ff.url);
      return rows.filter((r) => r.state === 'polling' || r.state === 'idle').length === 2 && rows.reduce((n, r) => n + r.jobsDone, 0) === 2 ? rows : undefined;
    }, 90_000, 100);

    const [jobId] = await submitBatch(ff.url, [{ photo: 4, name: photoName(4, 'dup') }]);
    const events = await eventually('the job done and the stalled attempt refused', () =>
      withStore(ff.dataDir, async (store) => {
        const job = await store.read(`job-${jobId}`);
        const first = (job.find((e) => e.type === 'JobStarted')?.data as { instanceId: string } | undefined)?.instanceId;
        if (!first || !job.some((e) => e.type === 'JobCompleted')) return undefined;
        const stalled = await store.read(`instance-${first}`);
        const finished = stalled.find((e) => e.type === 'InstanceJobFinished' && (e.data as { jobId: string }).jobId === jobId);
        return finished ? { job, stalled, finished } : undefined;
      }), 60_000, 100);

    const types = events.job.map((e) => e.type);
    assert.deepEqual(types, ['JobSubmitted', 'JobStarted', 'JobRequeued', 'JobStarted', 'JobCompleted'], types.join(', '));
    const [, start1, requeued, start2, completed] = events.job as [unknown, ...Array<{ at: string; data: Record<string, unknown> }>];
    assert.equal(start1!.data.attempt, 1);
    assert.equal(start2!.data.attempt, 2);
    assert.notEqual(start1!.data.instanceId, start2!.data.instanceId, 'two different workers were given the message');
    assert.deepEqual(requeued!.data, { reason: 'lease-expired', instanceId: start1!.data.instanceId });
    assert.equal(completed!.data.instanceId, start2!.data.instanceId, 'the second worker completed the job');
    assert.equal(completed!.data.attempt, 2);
    // The stalled worker finished its recognition afterwards, and its result was refused.
    assert.deepEqual(events.finished.data, { jobId, outcome: 'skipped' });
    assert.ok(isoMs(events.finished.at) > isoMs(completed!.at), 'the late attempt ended after the completion');
    assert.match(ff.output() + (await workerLog(ff.dataDir, String(start1!.data.instanceId))), /another worker took the job over/);

    const check = await exactlyOnce(ff.dataDir, { labels: false });
    assert.deepEqual(check.problems, [], 'one JobCompleted and one result blob per job');
    for (const kind of ['job', 'instance'] as const) assert.deepEqual((await readModelsMatchReplay(ff.dataDir, kind)).mismatches, []);

    figure('duplicate-delivery', {
      visibilityTimeoutSeconds: visibilitySeconds,
      stallMs,
      redeliveredAfterMs: isoMs(start2!.at) - isoMs(start1!.at),
      completedAfterMs: isoMs(completed!.at) - isoMs(start1!.at),
      lateAttemptRefusedAfterMs: isoMs(events.finished.at) - isoMs(start1!.at),
      jobCompletedEvents: types.filter((t) => t === 'JobCompleted').length,
    });
    // Results are stored per attempt: the refused late attempt removed its own and never touched the winner's.
    const attempts = readdirSync(join(ff.dataDir, 'blobs', 'results', String(jobId))).sort();
    assert.deepEqual(attempts, [`${(completed!.data as { attempt: number }).attempt}.json`]);
  });
});

async function workerLog(dataDir: string, instanceId: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(join(dataDir, 'logs', `${instanceId}.log`), 'utf8').catch(() => '');
}
