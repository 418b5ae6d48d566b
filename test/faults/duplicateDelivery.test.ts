/**
 * Fault: two workers given the same message. The visibility timeout is shorter than the job: the
 * first attempt stalls (`FACEFLEET_FAULTS=slow-job-ms:<ms>:<sha256>` — it waits and its lease is not
 * extended), so the message comes back and the other worker receives it. The holder is alive (its
 * heartbeats keep coming), so the other worker hands the delivery back instead of taking the job
 * over: one attempt, one JobCompleted (the holder's), no attempt burnt.
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

  it('when the stalled holder still heartbeats and the other worker receives its message, then the delivery is handed back and the holder completes the job once, on attempt 1', async () => {
    const ff = await pool.start({
      env: {
        FACEFLEET_CAP: '2',
        FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: String(visibilitySeconds),
        FACEFLEET_HEARTBEAT_SECONDS: '1',
        FACEFLEET_IDLE_SECONDS: '60',
        FACEFLEET_FAULTS: `slow-job-ms:${stallMs}:${photoSha256(4)}`,
      },
    });
    // Two warm-up jobs bring up two workers, which then wait for work.
    await submitBatch(ff.url, [1, 2].map((photo) => ({ photo, name: photoName(photo, 'warm') })));
    const workers = await eventually('two workers waiting for work', async () => {
      const rows = await listInstances(ff.url);
      return rows.filter((r) => r.state === 'polling' || r.state === 'idle').length === 2 && rows.reduce((n, r) => n + r.jobsDone, 0) === 2 ? rows : undefined;
    }, 90_000, 100);

    const [jobId] = await submitBatch(ff.url, [{ photo: 4, name: photoName(4, 'dup') }]);
    const job = await eventually('the job done', () =>
      withStore(ff.dataDir, async (store) => {
        const events = await store.read(`job-${jobId}`);
        return events.some((e) => e.type === 'JobCompleted') ? events : undefined;
      }), 60_000, 100);

    const types = job.map((e) => e.type);
    assert.deepEqual(types, ['JobSubmitted', 'JobStarted', 'JobCompleted'], types.join(', '));
    const [, start, completed] = job as [unknown, ...Array<{ at: string; data: Record<string, unknown> }>];
    const holder = String(start!.data.instanceId);
    assert.equal(completed!.data.instanceId, holder, 'the holder completed the job');
    assert.equal(completed!.data.attempt, 1, 'no attempt was burnt');
    assert.ok(isoMs(completed!.at) - isoMs(start!.at) >= stallMs, 'the job took the whole stall: well past its visibility timeout');

    // The other worker did receive the message, and handed it back.
    const other = workers.map((w) => w.id).find((id) => id !== holder) as string;
    const otherLog = await workerLog(ff.dataDir, other);
    assert.match(otherLog, new RegExp(`held by ${holder}, which is alive: delivery handed back`));

    const check = await exactlyOnce(ff.dataDir, { labels: false });
    assert.deepEqual(check.problems, [], 'one JobCompleted and one result blob per job');
    for (const kind of ['job', 'instance'] as const) assert.deepEqual((await readModelsMatchReplay(ff.dataDir, kind)).mismatches, []);
    const attempts = readdirSync(join(ff.dataDir, 'blobs', 'results', String(jobId))).sort();
    assert.deepEqual(attempts, ['1.json']);

    figure('duplicate-delivery', {
      visibilityTimeoutSeconds: visibilitySeconds,
      stallMs,
      completedAfterMs: isoMs(completed!.at) - isoMs(start!.at),
      jobCompletedEvents: types.filter((t) => t === 'JobCompleted').length,
      attemptsUsed: 1,
    });
  });
});

async function workerLog(dataDir: string, instanceId: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(join(dataDir, 'logs', `${instanceId}.log`), 'utf8').catch(() => '');
}
