/**
 * What uses up an attempt and what does not: a duplicate delivery of a job whose holder is alive is
 * handed back (not taken over); a release at shutdown and an infrastructure error (disk full,
 * permission, I/O) give the attempt back, even the last one; only the job's own failures use it up.
 * No reason a client can read holds a path.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Blobs } from '../../../adapters/ports.ts';
import { streamName, type JobContext } from '../../../machines/index.ts';
import { load } from '../../../services/streams/propose.ts';
import type { Recognizer } from '../../../services/worker/processMessage.ts';
import { fakeRecognizer, openBench, type Bench } from './harness.ts';

let bench: Bench;
beforeEach(() => {
  bench = openBench({ visibilityTimeoutSeconds: 1 });
});
afterEach(async () => {
  await bench.close();
});

const stay = { emptyPollsToTerminate: 1000 };

async function jobContext(jobId: string): Promise<{ state: string; context: JobContext }> {
  const job = await load(bench.store, streamName('job', jobId));
  return { state: job.state, context: job.context as JobContext };
}

/** Blobs whose writes fail like a full disk (the Node error names the absolute path) until `free()`. */
function fullDisk(blobs: Blobs): Blobs & { free(): void; refused: number } {
  let full = true;
  const wrapped = {
    ...blobs,
    refused: 0,
    free: () => {
      full = false;
    },
    async put(key: string, bytes: Buffer, options: { contentType: string }) {
      if (full) {
        wrapped.refused += 1;
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '/var/lib/facefleet/blobs/${key}'`), { code: 'ENOSPC', errno: -28 });
      }
      return blobs.put(key, bytes, options);
    },
  };
  return wrapped as Blobs & { free(): void; refused: number };
}

describe('given a job held by a worker that heartbeats, and a duplicate delivery of its message', () => {
  it('when another worker receives the duplicate, then it hands it back and the holder completes the job once, on attempt 1', async () => {
    const jobId = await bench.submit('label:ada');
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    const holderId = bench.clock.newId();
    const holder = bench.worker({ instanceId: holderId, recognizer: fakeRecognizer({ gate: () => held }), settings: { ...stay, heartbeatSeconds: 0.2, heartbeatTimeoutSeconds: 5 } });
    const holding = holder.next('jobStarted');
    await holder.start();
    await holding;
    // SQS is at-least-once: the same message body arrives a second time.
    await bench.requests.send(JSON.stringify({ jobId }));
    const other = bench.worker({ settings: { ...stay, heartbeatTimeoutSeconds: 5 } });
    const handedBack = other.next('jobSkipped');
    await other.start();
    assert.match((await handedBack).reason, new RegExp(`held by ${holderId}, which is alive`));
    assert.equal((await jobContext(jobId)).context.instanceId, holderId, 'the holder still holds the job');

    const done = holder.next('jobCompleted');
    letGo();
    await done;
    const job = await bench.events(streamName('job', jobId));
    assert.deepEqual(job.map((e) => e.type), ['JobSubmitted', 'JobStarted', 'JobCompleted']);
    assert.deepEqual(job[2]?.data, { ...(job[2]?.data as object), instanceId: holderId, attempt: 1 });
  });
});

describe('given a job on its last attempt', () => {
  it('when its worker shuts down mid-job, then the attempt is given back: the job is queued and the next worker completes it', async () => {
    const jobId = await bench.submit('label:bea', { maxAttempts: 1 });
    const first = bench.worker({ recognizer: fakeRecognizer({ gate: () => new Promise(() => undefined) }), settings: stay });
    const started = first.next('jobStarted');
    await first.start();
    await started;
    const released = first.next('jobReleased');
    await first.stop({ abort: true });
    await released;
    assert.equal((await jobContext(jobId)).state, 'queued', 'a release on the last attempt does not fail the job');
    const [, start, requeue] = await bench.events(streamName('job', jobId));
    assert.deepEqual(requeue?.data, { reason: 'released', instanceId: (start?.data as { instanceId: string }).instanceId });

    const second = bench.worker({ settings: stay });
    const done = second.next('jobCompleted');
    await second.start();
    assert.equal((await done).label, 'bea');
    const job = await jobContext(jobId);
    assert.equal(job.state, 'done');
    assert.equal(job.context.attempts, 2);
    assert.equal(job.context.returnedAttempts, 1);
  });

  it('when the disk is full, then the job is handed back without using the attempt, the reason names ENOSPC without a path, and it completes once space returns', async () => {
    const jobId = await bench.submit('label:cleo', { maxAttempts: 1 });
    const disk = fullDisk(bench.blobs);
    // The handed-back message comes back after the worker's visibility timeout.
    const worker = bench.worker({ blobs: disk, settings: { ...stay, pollWaitSeconds: 2, visibilityTimeoutSeconds: 1, heartbeatSeconds: 0.2 } });
    const retry = worker.next('jobRetry');
    await worker.start();
    const { error } = await retry;
    assert.match(error, /ENOSPC: no space left on the device/);
    assert.doesNotMatch(error, /\/var\/|blobs\//, 'no path in the reason');
    const handedBack = await jobContext(jobId);
    assert.equal(handedBack.state, 'queued', 'not failed: a full disk is not the job’s fault');
    assert.equal(((await bench.events(streamName('job', jobId))).at(-1)?.data as { reason: string }).reason, 'infrastructure');

    disk.free();
    const done = worker.next('jobCompleted');
    assert.equal((await done).label, 'cleo');
    assert.equal((await jobContext(jobId)).state, 'done');
    assert.ok(disk.refused >= 1);
  });

  it('when the model throws an error naming a file, then the job fails as model-error and its reason holds no path', async () => {
    const jobId = await bench.submit('label:dora', { maxAttempts: 1 });
    const broken: Recognizer = {
      ...fakeRecognizer(),
      async recognize() {
        throw new Error("Load model from /opt/facefleet/model/onnx/face_recognition.onnx failed: protobuf parsing failed");
      },
    };
    const worker = bench.worker({ recognizer: broken, settings: stay });
    const failed = worker.next('jobFailed');
    await worker.start();
    const { code, reason } = await failed;
    assert.equal(code, 'model-error');
    assert.match(reason, /protobuf parsing failed/);
    assert.doesNotMatch(reason, /\/opt\/|onnx\//);
    const job = await jobContext(jobId);
    assert.equal(job.state, 'failed');
    assert.doesNotMatch(job.context.error?.reason ?? '', /\/opt\//);
  });
});
