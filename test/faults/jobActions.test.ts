/**
 * Job actions against the whole system as in production: `facefleet start` as its own process,
 * worker instances as child processes running the real model, a stall injected into a job's first
 * attempt (`FACEFLEET_FAULTS=slow-job-ms:<ms>:<sha256>`) to hold it deterministically.
 * - Cancel while a worker holds the job: a classic `POST /` is waiting for it; `DELETE /v1/jobs/:id`
 *   answers 202 cancelling, the worker finishes its recognition and records JobCancelled instead of
 *   a result, and the waiting classic request answers 409 job-cancelled with X-Job-Id.
 * - A dead letter made by the real pipeline (the stalled attempt's lease runs out, the second
 *   receive passes maxReceives 1, the supervisor fails the job), redriven while workers poll: done
 *   exactly once, the stalled attempt's late result refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { demoPhoto, eventually, listInstances, readModelsMatchReplay } from '../support/facefleetProcess.ts';
import { facefleetPool, photoName, photoSha256, resultBlobs, submitBatch, withStore } from './faultSupport.ts';

async function jobState(url: string, jobId: string): Promise<{ state: string; attempts: number }> {
  return (await (await fetch(`${url}/v1/jobs/${jobId}`)).json()) as { state: string; attempts: number };
}

describe('given one worker process whose first attempt of a photo stalls for 6 s', { timeout: 150_000 }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());

  it('when a classic request waits for that photo and its job is cancelled while the worker holds it, then the classic answer is 409 and the history ends in one JobCancelled by that worker', async () => {
    const ff = await pool.start({
      env: { FACEFLEET_CAP: '1', FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: '30', FACEFLEET_IDLE_SECONDS: '30', FACEFLEET_FAULTS: `slow-job-ms:6000:${photoSha256(4)}` },
    });
    const body = new FormData();
    body.append('inputFile', new Blob([readFileSync(demoPhoto(4))], { type: 'image/jpeg' }), 'p4-classic.jpg');
    const classic = fetch(`${ff.url}/`, { method: 'POST', body });
    const jobId = await eventually('the classic job', async () => ((await (await fetch(`${ff.url}/v1/jobs?limit=1`)).json()) as { items: Array<{ id: string }> }).items[0]?.id, 10_000, 50);
    await eventually('a worker holding the job', async () => ((await jobState(ff.url, jobId)).state === 'processing' ? true : undefined), 90_000, 50);

    const cancel = await fetch(`${ff.url}/v1/jobs/${jobId}`, { method: 'DELETE' });
    assert.equal(cancel.status, 202);
    assert.equal(((await cancel.json()) as { outcome: string }).outcome, 'cancelling');

    const answer = await classic;
    assert.equal(answer.status, 409);
    assert.equal(answer.headers.get('x-job-id'), jobId);
    assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'job-cancelled');

    const events = await withStore(ff.dataDir, (store) => store.read(`job-${jobId}`));
    assert.deepEqual(events.map((e) => e.type), ['JobSubmitted', 'JobStarted', 'JobCancelRequested', 'JobCancelled']);
    const holder = (events[1]!.data as { instanceId: string }).instanceId;
    assert.deepEqual(events[3]!.data, { reason: 'cancelled by a client', instanceId: holder, attempt: 1 }, 'recorded by the worker that held it');
    assert.equal(resultBlobs(ff.dataDir).get(jobId)?.size ?? 0, 0, 'no result is kept');
    assert.deepEqual((await readModelsMatchReplay(ff.dataDir, 'job')).mismatches, []);
  });
});

describe('given two polling worker processes, maxReceives 1 and a 2 s lease, and a photo whose first attempt stalls 8 s', { timeout: 180_000 }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());

  it('when the stalled job is dead-lettered and then redriven while the workers poll, then it is done exactly once', async () => {
    const ff = await pool.start({
      env: {
        FACEFLEET_CAP: '2',
        FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: '2',
        FACEFLEET_MAX_RECEIVES: '1',
        FACEFLEET_IDLE_SECONDS: '60',
        FACEFLEET_FAULTS: `slow-job-ms:8000:${photoSha256(4)}`,
      },
    });
    await submitBatch(ff.url, [1, 2].map((photo) => ({ photo, name: photoName(photo, 'warm') })));
    await eventually('two workers waiting for work', async () => {
      const rows = await listInstances(ff.url);
      return rows.filter((r) => r.state === 'polling' || r.state === 'idle').length === 2 && rows.reduce((n, r) => n + r.jobsDone, 0) === 2 ? rows : undefined;
    }, 90_000, 100);

    const [jobId] = (await submitBatch(ff.url, [{ photo: 4, name: photoName(4, 'dead') }])) as [string];
    const listed = await eventually('the job among the dead letters', async () => {
      const page = (await (await fetch(`${ff.url}/v1/dead-letters`)).json()) as { items: Array<{ id: string; error: { code: string } }> };
      return page.items.some((j) => j.id === jobId) ? page.items : undefined;
    }, 30_000, 100);
    assert.deepEqual(listed.map((j) => [j.id, j.error.code]), [[jobId, 'dead-letter']]);

    const redrive = await fetch(`${ff.url}/v1/dead-letters/redrive`, { method: 'POST', body: JSON.stringify({ jobIds: [jobId] }), headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await redrive.json(), { redriven: [jobId], skipped: [] });
    await eventually('the redriven job done', async () => ((await jobState(ff.url, jobId)).state === 'done' ? true : undefined), 30_000, 100);
    // The stalled first attempt ends too (its late result refused): wait for its worker to say so.
    const events = await eventually('the stalled attempt finished', () =>
      withStore(ff.dataDir, async (store) => {
        const job = await store.read(`job-${jobId}`);
        const first = (job.find((e) => e.type === 'JobStarted')?.data as { instanceId: string }).instanceId;
        const stalled = await store.read(`instance-${first}`);
        return stalled.some((e) => e.type === 'InstanceJobFinished' && (e.data as { jobId: string }).jobId === jobId) ? job : undefined;
      }), 30_000, 100);
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 4), ['JobSubmitted', 'JobStarted', 'JobFailed', 'JobRedriven'], types.join(', '));
    assert.equal(types.filter((t) => t === 'JobCompleted').length, 1, types.join(', '));
    assert.equal(types.at(-1), 'JobCompleted');
    assert.equal((events[2]!.data as { code: string }).code, 'dead-letter');
    assert.deepEqual([...(resultBlobs(ff.dataDir).get(jobId)?.keys() ?? [])].length, 1, 'one result kept');
    assert.deepEqual((await readModelsMatchReplay(ff.dataDir, 'job')).mismatches, []);
  });
});
