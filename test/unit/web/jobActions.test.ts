/**
 * Job actions over HTTP (issue 16, item 1): cancel, retry, the dead letters and their redrive, and
 * the classic `POST /` whose job is cancelled — on the real app and embedded adapters, with a real
 * worker loop (services/worker, a fake recognizer that can be held) for the races: cancel while the
 * worker holds the job, redrive while the worker is polling. Each ends with the event history, where
 * the outcome must appear exactly once.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { streamName } from '../../../machines/index.ts';
import type { Gallery } from '../../../model/index.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { systemClock } from '../../../services/clock.ts';
import { execute, type ExecuteDeps } from '../../../services/supervisor/execute.ts';
import { createWorker, type Worker } from '../../../services/worker/worker.ts';
import { storeReadModelsMatchReplay } from '../../support/facefleetProcess.ts';
import { waitFor } from '../../support/waitFor.ts';
import { fakeCompute, fakeRecognizer, fastSettings } from '../worker/harness.ts';
import { form, sampleImage, simulateWorker, startBench, type Bench } from './webHarness.ts';

interface JobBody {
  id: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  retries: number;
  cancelReason: string | null;
  error: { code: string; reason: string } | null;
}

let bench: Bench;
let workers: Worker[];
beforeEach(async () => {
  bench = await startBench();
  workers = [];
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop({ abort: true }).catch(() => undefined)));
  try {
    // Whatever the scenario did, every stored job row must equal the fold of its events.
    const { mismatches } = await storeReadModelsMatchReplay(bench.store, 'job');
    assert.deepEqual(mismatches, []);
  } finally {
    await bench.close();
  }
});

async function submit(): Promise<string> {
  const response = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'a.png', bytes: await sampleImage('png') }]) });
  assert.equal(response.status, 202);
  const body = (await response.json()) as { jobs: Array<{ id: string }> };
  return body.jobs[0]!.id;
}

/** Drops the request messages waiting now (a job made by hand must not be picked up by a later worker). */
async function drainRequests(): Promise<void> {
  for (const m of await bench.requests.receive({ maxMessages: 10, waitSeconds: 0 })) await bench.requests.delete(m.receiptHandle);
}

/** A real worker loop on the bench's ports; `gate` holds each recognition until the test lets go. */
function startWorker(gate?: () => Promise<void>): { worker: Worker; recognizer: ReturnType<typeof fakeRecognizer> } {
  const recognizer = fakeRecognizer(gate ? { gate } : {});
  const worker = createWorker({
    store: bench.store,
    blobs: bench.blobs,
    requests: bench.requests,
    responses: bench.responses,
    clock: systemClock,
    compute: fakeCompute(),
    loadRecognizer: async () => recognizer,
    gallery: async () => ({ version: 1, subjects: [] }) as unknown as Gallery,
    instanceId: systemClock.newId(),
    settings: { ...fastSettings, pollWaitSeconds: 0.2, emptyPollsToTerminate: 100_000 },
    log: () => undefined,
  });
  workers.push(worker);
  return { worker, recognizer };
}

async function types(jobId: string): Promise<string[]> {
  return (await bench.store.read(streamName('job', jobId))).map((e) => e.type);
}

async function call(method: string, path: string, body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) Object.assign(init, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const response = await fetch(`${bench.url}${path}`, init);
  return { response, body: (await response.json()) as Record<string, unknown> };
}

/** Fails the job as the supervisor does when its message is dead-lettered (the real command, the real DLQ message). */
async function deadLetter(jobId: string): Promise<void> {
  await bench.deadLetters.send(JSON.stringify({ jobId }));
  const [message] = await bench.deadLetters.receive({ waitSeconds: 0 });
  const deps = { store: bench.store, responses: bench.responses, deadLetters: bench.deadLetters, clock: systemClock, log: () => undefined } as unknown as ExecuteDeps;
  await execute(deps, { type: 'FailDeadLettered', jobId, receiptHandle: message!.receiptHandle });
}

describe('given a queued job', () => {
  it('when it is cancelled then 200 cancelled, and the worker that receives its message drops it without running it', async () => {
    const jobId = await submit();
    const { response, body } = await call('DELETE', `/v1/jobs/${jobId}`);
    assert.equal(response.status, 200);
    assert.equal(body.outcome, 'cancelled');
    assert.equal((body.job as JobBody).state, 'cancelled');
    assert.equal((body.job as JobBody).cancelReason, 'cancelled by a client');

    const { worker, recognizer } = startWorker();
    const skipped = worker.next('jobSkipped');
    await worker.start();
    assert.deepEqual(await skipped, { jobId, reason: 'job already cancelled' });
    assert.equal(recognizer.calls, 0);
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobCancelled']);
    const counts = (await (await fetch(`${bench.url}/v1/counts`)).json()) as { jobs: Record<string, number> };
    assert.deepEqual([counts.jobs.queued, counts.jobs.cancelling, counts.jobs.cancelled], [0, 0, 1]);
    const listed = (await (await fetch(`${bench.url}/v1/jobs?state=cancelled`)).json()) as { items: JobBody[] };
    assert.deepEqual(listed.items.map((j) => j.id), [jobId]);
  });

  it('when it is cancelled twice then the second answers the same and appends nothing', async () => {
    const jobId = await submit();
    await call('DELETE', `/v1/jobs/${jobId}`);
    const { response, body } = await call('DELETE', `/v1/jobs/${jobId}`);
    assert.equal(response.status, 200);
    assert.equal(body.outcome, 'cancelled');
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobCancelled']);
  });

  it('when it is retried then 409 not-retryable naming the state', async () => {
    const jobId = await submit();
    const { response, body } = await call('POST', `/v1/jobs/${jobId}/retry`);
    assert.equal(response.status, 409);
    assert.equal(response.headers.get('x-job-id'), jobId);
    assert.equal((body.error as { code: string }).code, 'not-retryable');
    assert.match((body.error as { message: string }).message, /queued/);
  });
});

describe('given a job a worker holds (cancel while a worker holds the job)', () => {
  it('when it is cancelled then 202 cancelling; the worker records the cancellation instead of its result, once', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { worker } = startWorker(() => held);
    const jobId = await submit();
    const started = worker.next('jobStarted');
    await worker.start();
    await started;

    const { response, body } = await call('DELETE', `/v1/jobs/${jobId}`);
    assert.equal(response.status, 202);
    assert.equal(body.outcome, 'cancelling');
    assert.equal((body.job as JobBody).state, 'cancelling');

    const skipped = worker.next('jobSkipped');
    release();
    assert.deepEqual(await skipped, { jobId, reason: 'cancelled' });
    const history = await types(jobId);
    assert.deepEqual(history, ['JobSubmitted', 'JobStarted', 'JobCancelRequested', 'JobCancelled']);
    const cancelled = (await bench.store.read(streamName('job', jobId))).at(-1)!;
    assert.equal((cancelled.data as { attempt?: number }).attempt, 1, 'recorded by the holder of attempt 1');
    await assert.rejects(bench.blobs.getBytes(blobKeys.result(jobId, 1)), 'no result is kept');
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });
    const job = (await (await fetch(`${bench.url}/v1/jobs/${jobId}`)).json()) as JobBody;
    assert.equal(job.state, 'cancelled');
  });
});

describe('given finished jobs', () => {
  it('when a done job is cancelled then 409 job-finished with X-Job-Id, and nothing is appended', async () => {
    const jobId = await submit();
    await simulateWorker(bench, jobId, { label: 'alice' });
    const { response, body } = await call('DELETE', `/v1/jobs/${jobId}`);
    assert.equal(response.status, 409);
    assert.equal(response.headers.get('x-job-id'), jobId);
    assert.deepEqual(body, { error: { code: 'job-finished', message: `The job ${jobId} is already done; only a queued or processing job can be cancelled.` } });
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobStarted', 'JobCompleted']);
    const retry = await call('POST', `/v1/jobs/${jobId}/retry`);
    assert.equal(retry.response.status, 409);
    assert.equal((retry.body.error as { code: string }).code, 'not-retryable');
  });

  it('when an unknown job is cancelled or retried then 404', async () => {
    assert.equal((await call('DELETE', '/v1/jobs/nosuchjob')).response.status, 404);
    assert.equal((await call('POST', '/v1/jobs/nosuchjob/retry')).response.status, 404);
    assert.equal((await call('DELETE', `/v1/jobs/${'x'.repeat(300)}`)).response.status, 404);
  });

  it('when a failed job is retried then 202, a new attempt series is queued and a worker completes it; the failure stays in the history', async () => {
    const jobId = await submit();
    await drainRequests();
    await simulateWorker(bench, jobId, { fail: { code: 'model-error', reason: 'onnx exploded' } });
    const { response, body } = await call('POST', `/v1/jobs/${jobId}/retry`);
    assert.equal(response.status, 202);
    const job = body.job as JobBody;
    assert.deepEqual([job.state, job.attempts, job.maxAttempts, job.retries, job.error], ['queued', 1, 4, 1, null]);

    const { worker } = startWorker();
    const completed = worker.next('jobCompleted');
    await worker.start();
    assert.equal((await completed).jobId, jobId);
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobStarted', 'JobFailed', 'JobRetried', 'JobStarted', 'JobCompleted']);
    const again = await call('POST', `/v1/jobs/${jobId}/retry`);
    assert.equal(again.response.status, 409, 'a done job is not retried');
  });

  it('when a cancelled job is retried then it runs to done', async () => {
    const jobId = await submit();
    await call('DELETE', `/v1/jobs/${jobId}`);
    assert.equal((await call('POST', `/v1/jobs/${jobId}/retry`)).response.status, 202);
    const { worker } = startWorker();
    const completed = worker.next('jobCompleted');
    await worker.start();
    assert.equal((await completed).jobId, jobId);
    // The first message (dropped as cancelled or taken) and the retry's: the job is completed once.
    await waitFor(async () => (await bench.requests.depth()).visible + (await bench.requests.depth()).inFlight === 0, { what: 'both messages handled' });
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobCancelled', 'JobRetried', 'JobStarted', 'JobCompleted']);
  });
});

describe('given dead-lettered jobs', () => {
  it('when the dead letters are listed then each comes with its failure reason, page by page, and other failures are not among them', async () => {
    const [a, b, other] = [await submit(), await submit(), await submit()];
    await drainRequests();
    await deadLetter(a);
    await deadLetter(b);
    await simulateWorker(bench, other, { fail: { code: 'invalid-image', reason: 'not an image' } });

    const first = await call('GET', '/v1/dead-letters?limit=1');
    assert.equal(first.response.status, 200);
    const items = first.body.items as JobBody[];
    assert.equal(items.length, 1);
    assert.deepEqual(items[0]!.error, { code: 'dead-letter', reason: 'the job was delivered the maximum number of times without a result' });
    assert.equal(typeof first.body.next, 'string');
    const second = await call('GET', `/v1/dead-letters?limit=1&cursor=${encodeURIComponent(first.body.next as string)}`);
    const all = [...items, ...(second.body.items as JobBody[])].map((j) => j.id);
    assert.deepEqual(all.sort(), [a, b].sort());
    const rest = second.body.next ? ((await call('GET', `/v1/dead-letters?cursor=${encodeURIComponent(second.body.next as string)}`)).body.items as JobBody[]) : [];
    assert.deepEqual(rest, []);
    assert.equal((await call('GET', '/v1/dead-letters?limit=0')).response.status, 400);
  });

  it('when they are redriven while a worker is polling then each is queued with the reason recorded and done exactly once', async () => {
    const jobs = [await submit(), await submit()];
    await drainRequests();
    for (const jobId of jobs) await deadLetter(jobId);

    const { worker } = startWorker();
    const done = new Set<string>();
    const allDone = new Promise<void>((resolve) =>
      worker.on('jobCompleted', (e) => {
        done.add(e.jobId);
        if (done.size === jobs.length) resolve();
      }),
    );
    const polled = worker.next('empty');
    await worker.start();
    await polled; // the worker is polling an empty queue now

    const { response, body } = await call('POST', '/v1/dead-letters/redrive', { max: 10 });
    assert.equal(response.status, 200);
    assert.deepEqual((body.redriven as string[]).sort(), [...jobs].sort());
    assert.deepEqual(body.skipped, []);
    await allDone;

    for (const jobId of jobs) {
      const events = await bench.store.read(streamName('job', jobId));
      assert.deepEqual(events.map((e) => e.type), ['JobSubmitted', 'JobFailed', 'JobRedriven', 'JobStarted', 'JobCompleted']);
      assert.deepEqual(events[2]!.data, { maxAttempts: 3, previousCode: 'dead-letter', previousReason: 'the job was delivered the maximum number of times without a result' });
    }
    const again = await call('POST', '/v1/dead-letters/redrive', { jobIds: jobs });
    assert.deepEqual(again.body.redriven, []);
    assert.deepEqual((again.body.skipped as Array<{ reason: string }>).map((s) => s.reason), ['the job is done, not dead-lettered', 'the job is done, not dead-lettered']);
    assert.deepEqual((await call('GET', '/v1/dead-letters')).body.items, []);
  });

  it('when two redrives of one job race then one message is sent and one JobRedriven appended', async () => {
    const jobId = await submit();
    await drainRequests();
    await deadLetter(jobId);
    const answers = await Promise.all([call('POST', '/v1/dead-letters/redrive', { jobIds: [jobId] }), call('POST', '/v1/dead-letters/redrive', { jobIds: [jobId] })]);
    assert.deepEqual(answers.map((a) => (a.body.redriven as string[]).length).sort(), [0, 1]);
    assert.equal((await types(jobId)).filter((t) => t === 'JobRedriven').length, 1);
    assert.deepEqual(await bench.requests.depth(), { visible: 1, inFlight: 0 });
  });

  it('when a redrive names unknown or other jobs, or is malformed, then they are skipped or 400', async () => {
    const jobId = await submit();
    const skipped = await call('POST', '/v1/dead-letters/redrive', { jobIds: [jobId, 'nosuchjob'] });
    assert.equal(skipped.response.status, 200);
    assert.deepEqual(skipped.body.skipped, [
      { jobId, reason: 'the job is queued, not dead-lettered' },
      { jobId: 'nosuchjob', reason: 'there is no such job' },
    ]);
    for (const bad of [{ max: 0 }, { max: 1, jobIds: [jobId] }, { jobIds: [] }, { everything: true }, [1]]) {
      const { response, body } = await call('POST', '/v1/dead-letters/redrive', bad);
      assert.equal(response.status, 400, JSON.stringify(bad));
      assert.equal((body.error as { code: string }).code, 'validation');
    }
    const notJson = await fetch(`${bench.url}/v1/dead-letters/redrive`, { method: 'POST', body: 'max=3', headers: { 'content-type': 'text/plain' } });
    assert.equal(notJson.status, 415);
    const empty = await fetch(`${bench.url}/v1/dead-letters/redrive`, { method: 'POST' });
    assert.equal(empty.status, 200, 'no body: the default redrive');
  });
});

describe('given a classic client waiting for its job', () => {
  it('when the job is cancelled then the classic POST / answers 409 job-cancelled with the reason and X-Job-Id', async () => {
    const waiting = fetch(`${bench.url}/`, { method: 'POST', body: form([{ field: 'inputFile', name: 'me.png', bytes: await sampleImage('png') }]) });
    const jobId = await waitFor(async () => (await bench.store.list({ kind: 'job', limit: 1 })).items[0]?.id, { what: 'the classic job' });
    assert.equal((await call('DELETE', `/v1/jobs/${jobId}`)).response.status, 200);
    const response = await waiting;
    assert.equal(response.status, 409);
    assert.equal(response.headers.get('x-job-id'), jobId);
    assert.deepEqual(await response.json(), { error: { code: 'job-cancelled', message: 'The job was cancelled: cancelled by a client' } });
  });
});
