/**
 * A verification job in the worker loop (fake model: two photos are the same person when their
 * bytes are equal): it is computed and stored like a recognition, labelled same/different; a
 * second photo or a subject that is gone fails the job at once (no retry), and the message is deleted.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { streamName } from '../../../machines/index.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { load } from '../../../services/streams/propose.ts';
import { openBench, type Bench } from './harness.ts';

let bench: Bench;
beforeEach(() => {
  bench = openBench();
});
afterEach(async () => {
  await bench.close();
});

describe('given a queued verification of two photos', () => {
  it('when they match, then the job completes labelled same and its result is the verification', async () => {
    const jobId = await bench.submit('label:alice', { verify: { second: 'label:alice' } });
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const completed = worker.next('jobCompleted');
    await worker.start();
    assert.equal((await completed).label, 'same');
    const result = JSON.parse((await bench.blobs.getBytes(blobKeys.result(jobId, 1))).toString('utf8')) as { kind: string; label: string; same: boolean; jobId: string };
    assert.deepEqual({ kind: result.kind, label: result.label, same: result.same, jobId: result.jobId }, { kind: 'verify', label: 'same', same: true, jobId });
    const job = await load(bench.store, streamName('job', jobId));
    assert.equal(job.state, 'done');
    assert.equal(job.context.kind, 'verify');
  });

  it('when they differ, then labelled different', async () => {
    await bench.submit('label:alice', { verify: { second: 'label:bob' } });
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const completed = worker.next('jobCompleted');
    await worker.start();
    assert.equal((await completed).label, 'different');
  });

  it('when the second photo is gone, then the job fails with missing-image, once, and the message is deleted', async () => {
    const jobId = await bench.submit('label:alice', { verify: { second: 'label:alice' } });
    await bench.blobs.delete(blobKeys.secondImage(jobId));
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const failed = worker.next('jobFailed');
    await worker.start();
    assert.equal((await failed).code, 'missing-image');
    assert.deepEqual(await bench.types(streamName('job', jobId)), ['JobSubmitted', 'JobStarted', 'JobFailed']);
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });
  });
});

describe('given a queued verification against a subject the gallery no longer has', () => {
  it('then the job fails with unknown-subject without a retry, and the message is deleted', async () => {
    const jobId = await bench.submit('label:alice', { verify: { subjectId: 'gone' } });
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const failed = worker.next('jobFailed');
    await worker.start();
    const outcome = await failed;
    assert.equal(outcome.code, 'unknown-subject');
    assert.match(outcome.reason, /gone/);
    const job = await load(bench.store, streamName('job', jobId));
    assert.equal(job.state, 'failed');
    assert.equal(job.context.attempts, 1);
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });
  });
});
