/**
 * A worker whose `JobCompleted` append committed but answered with a version conflict (the answer
 * was lost and the retry failed its condition): the job is done by this very attempt, so the worker
 * must not delete the result the stream references, and it answers `done`.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { EventStore } from '../../../adapters/ports.ts';
import { streamName, VersionConflictError } from '../../../machines/index.ts';
import type { Gallery } from '../../../model/index.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import { fakeCompute, fakeRecognizer, fastSettings, openBench, type Bench } from './harness.ts';

let bench: Bench;
beforeEach(() => {
  bench = openBench();
});
afterEach(async () => {
  await bench.close();
});

/** The store, except that a JobCompleted append commits and then throws a version conflict. */
function misreadingCompletions(store: EventStore): EventStore {
  return {
    ...store,
    append: async (stream, expectedSeq, events, view) => {
      const result = await store.append(stream, expectedSeq, events, view);
      if (events.some((e) => e.type === 'JobCompleted')) throw new VersionConflictError(stream, expectedSeq, result.seq);
      return result;
    },
  };
}

describe('given a JobCompleted append whose answer is misread as a conflict', () => {
  it('then the worker keeps its result blob and answers done', { timeout: 15_000 }, async () => {
    const jobId = await bench.submit('label:alice');
    const worker = createWorker({
      store: misreadingCompletions(bench.store),
      blobs: bench.blobs,
      requests: bench.requests,
      responses: bench.responses,
      clock: bench.clock,
      compute: fakeCompute(),
      loadRecognizer: async () => fakeRecognizer(),
      gallery: async () => ({ version: 1, subjects: [] }) as unknown as Gallery,
      instanceId: bench.clock.newId(),
      settings: { ...fastSettings, emptyPollsToTerminate: 1000 },
      log: () => undefined,
    });
    const completed = worker.next('jobCompleted');
    await worker.start();
    await completed;
    await worker.stop();
    assert.deepEqual(await bench.types(streamName('job', jobId)), ['JobSubmitted', 'JobStarted', 'JobCompleted']);
    assert.ok(await bench.blobs.head(blobKeys.result(jobId, 1)), 'the result the stream references is still there');
    const [response] = await bench.responses.receive({ waitSeconds: 0 });
    assert.deepEqual(JSON.parse(response?.body ?? '{}'), { jobId, state: 'done' });
  });
});
