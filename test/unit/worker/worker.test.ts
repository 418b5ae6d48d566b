import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { streamName } from '../../../machines/index.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { load } from '../../../services/streams/propose.ts';
import { fakeCompute, fakeRecognizer, openBench, type Bench } from './harness.ts';

let bench: Bench;
beforeEach(() => {
  bench = openBench();
});
afterEach(async () => {
  await bench.close();
});

describe('given a queued job', () => {
  it('the worker starts it, stores the result, completes it, answers and deletes the message', async () => {
    const jobId = await bench.submit('label:alice');
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const completed = worker.next('jobCompleted');
    await worker.start();
    assert.equal((await completed).label, 'alice');

    assert.deepEqual(await bench.types(streamName('job', jobId)), ['JobSubmitted', 'JobStarted', 'JobCompleted']);
    const result = JSON.parse((await bench.blobs.getBytes(blobKeys.result(jobId, 1))).toString('utf8')) as { label: string; faces: unknown[] };
    assert.equal(result.label, 'alice');
    assert.equal(result.faces.length, 1);
    const [response] = await bench.responses.receive({ waitSeconds: 0 });
    assert.deepEqual(JSON.parse(response?.body ?? '{}'), { jobId, state: 'done' });
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });

    await worker.stop();
    const instance = await bench.types(streamName('instance', (await load(bench.store, streamName('job', jobId))).context.instanceId as string));
    assert.deepEqual(instance, ['InstanceRequested', 'InstanceBooted', 'InstanceJobStarted', 'InstanceJobFinished', ...instance.slice(4)]);
    assert.ok(instance.includes('InstanceTerminating') && instance.at(-1) === 'InstanceTerminated');
  });

  it('an image the model rejects fails the job without a retry', async () => {
    const jobId = await bench.submit('bad');
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const failed = worker.next('jobFailed');
    await worker.start();
    assert.equal((await failed).code, 'invalid-image');
    const job = await load(bench.store, streamName('job', jobId));
    assert.equal(job.state, 'failed');
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });
  });

  it('an unexpected error gives the attempt back and leaves the message to come back', async () => {
    const jobId = await bench.submit('boom');
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const retry = worker.next('jobRetry');
    await worker.start();
    assert.match((await retry).error, /onnx exploded/);
    assert.equal((await load(bench.store, streamName('job', jobId))).state, 'queued');
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 1 });
  });
});

describe('given a job already done', () => {
  it('a redelivered message is deleted and skipped', async () => {
    const jobId = await bench.submit('label:bob');
    const first = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const done = first.next('jobCompleted');
    await first.start();
    await done;
    await first.stop();
    await bench.requests.send(JSON.stringify({ jobId }));
    const second = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const skipped = second.next('jobSkipped');
    await second.start();
    assert.match((await skipped).reason, /already done/);
    assert.deepEqual(await bench.types(streamName('job', jobId)), ['JobSubmitted', 'JobStarted', 'JobCompleted']);
  });

  it('a malformed message is deleted', async () => {
    await bench.requests.send('not json');
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const skipped = worker.next('jobSkipped');
    await worker.start();
    assert.match((await skipped).reason, /malformed/);
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });
  });
});

describe('given a job whose previous holder lost its lease', () => {
  it('the next worker requeues and starts it in one append, and only it completes the job', async () => {
    await bench.close();
    bench = openBench({ visibilityTimeoutSeconds: 1 });
    const jobId = await bench.submit('label:carol');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The first worker hangs in the model and never extends its lease (its heartbeat is slow).
    const slow = bench.worker({ recognizer: fakeRecognizer({ gate: () => held }), settings: { heartbeatSeconds: 60, visibilityTimeoutSeconds: 1, emptyPollsToTerminate: 1000 } });
    const slowStarted = slow.next('jobStarted');
    await slow.start();
    await slowStarted;
    // It has been silent for longer than the heartbeat timeout the next worker goes by: not alive.
    const fast = bench.worker({ settings: { pollWaitSeconds: 2, visibilityTimeoutSeconds: 30, heartbeatTimeoutSeconds: 0.5, emptyPollsToTerminate: 1000 } });
    const fastDone = fast.next('jobCompleted');
    await fast.start();
    await fastDone;
    const slowOutcome = slow.next('jobSkipped');
    release();
    assert.match((await slowOutcome).reason, /another worker/);
    const types = await bench.types(streamName('job', jobId));
    assert.deepEqual(types, ['JobSubmitted', 'JobStarted', 'JobRequeued', 'JobStarted', 'JobCompleted']);
    const events = await bench.events(streamName('job', jobId));
    assert.equal(events[2]?.at, events[3]?.at, 'requeue and restart are one append');
  });
});

describe('given an attempt limit reached', () => {
  it('a job started maxAttempts times is failed with max-attempts', async () => {
    const jobId = await bench.submit('boom', { maxAttempts: 1 });
    const worker = bench.worker({ settings: { emptyPollsToTerminate: 1000 } });
    const failed = worker.next('jobFailed');
    await worker.start();
    assert.equal((await failed).code, 'model-error');
    assert.equal((await load(bench.store, streamName('job', jobId))).state, 'failed');
  });
});

describe('given an empty queue', () => {
  it('the worker terminates itself after emptyPollsToTerminate empty polls, then asks compute to end it', async () => {
    const compute = fakeCompute('proc-42');
    const instanceId = bench.clock.newId();
    const worker = bench.worker({ compute, instanceId, settings: { emptyPollsToIdle: 1, emptyPollsToTerminate: 3 } });
    const empties: number[] = [];
    worker.on('empty', (e) => empties.push(e.emptyPolls));
    await worker.start();
    assert.equal(await worker.done, 'idle');
    assert.deepEqual(empties, [1, 2, 3]);
    assert.deepEqual(compute.terminated, ['proc-42']);
    const types = await bench.types(streamName('instance', instanceId));
    assert.deepEqual(types.filter((t) => t !== 'InstanceHeartbeat'), [
      'InstanceRequested',
      'InstanceBooted',
      'InstancePolledEmpty',
      'InstancePolledEmpty',
      'InstancePolledEmpty',
      'InstanceTerminating',
      'InstanceTerminated',
    ]);
    const instance = await load(bench.store, streamName('instance', instanceId));
    assert.equal(instance.state, 'terminated');
    assert.equal(instance.context.providerId, 'proc-42');
  });
});

describe('given an empty queue, a 20 s long poll and an idle time of 0.3 s', () => {
  it('the worker shortens its polls to what is left of the idle time and leaves after one job, not after a long poll', { timeout: 10_000 }, async () => {
    const jobId = await bench.submit('label:alice');
    const compute = fakeCompute('proc-7');
    const instanceId = bench.clock.newId();
    const worker = bench.worker({ compute, instanceId, settings: { pollWaitSeconds: 20, idleSeconds: 0.3 } });
    await worker.start();
    // A 20 s poll would outlive the test's timeout: it ends because the waits shrink while idle.
    assert.equal(await worker.done, 'idle');
    assert.deepEqual(compute.terminated, ['proc-7']);
    const events = await bench.events(streamName('instance', instanceId));
    const finished = events.find((e) => e.type === 'InstanceJobFinished');
    const leaving = events.find((e) => e.type === 'InstanceTerminating');
    assert.ok(finished && leaving, 'it finished the job, then left');
    assert.ok(Date.parse(leaving.at) - Date.parse(finished.at) >= 300, 'not before the queue stayed empty 0.3 s');
    assert.equal((await load(bench.store, streamName('job', jobId))).state, 'done');
  });
});

describe('given a worker in the middle of a job', () => {
  it('heartbeats extend the message visibility so a long job is not delivered twice', async () => {
    await bench.close();
    bench = openBench({ visibilityTimeoutSeconds: 1 });
    const jobId = await bench.submit('label:dave');
    const worker = bench.worker({ recognizer: fakeRecognizer({ delayMs: 2500 }), settings: { heartbeatSeconds: 0.3, visibilityTimeoutSeconds: 1, emptyPollsToTerminate: 1000 } });
    const done = worker.next('jobCompleted');
    await worker.start();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await bench.requests.receive({ waitSeconds: 0 }), [], 'still hidden after the visibility timeout');
    await done;
    const types = await bench.types(streamName('job', jobId));
    assert.deepEqual(types, ['JobSubmitted', 'JobStarted', 'JobCompleted']);
  });

  it('stop({ abort }) releases the job: the message is visible again and the attempt handed back', async () => {
    const jobId = await bench.submit('label:erin');
    const instanceId = bench.clock.newId();
    const worker = bench.worker({ instanceId, recognizer: fakeRecognizer({ gate: () => new Promise(() => undefined) }), settings: { emptyPollsToTerminate: 1000 } });
    const started = worker.next('jobStarted');
    await worker.start();
    await started;
    const released = worker.next('jobReleased');
    assert.equal(await worker.stop({ abort: true }), 'shutdown');
    await released;
    assert.equal((await load(bench.store, streamName('job', jobId))).state, 'queued');
    assert.deepEqual(await bench.requests.depth(), { visible: 1, inFlight: 0 });
    const types = await bench.types(streamName('instance', instanceId));
    assert.deepEqual(types.slice(-3), ['InstanceJobFinished', 'InstanceTerminating', 'InstanceTerminated']);
  });
});
