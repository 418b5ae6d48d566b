/**
 * Appends whose answer was lost: the write committed, the caller saw an error (a timeout) or, after
 * a retry, a version conflict. Nothing already written may be deleted on such a misread: the
 * submitted job keeps its image and a fresh id's "conflict" is recognised as its own write.
 * (The DynamoDB store itself recognises a retried put by its append id: see
 * test/conformance/awsDynamoEventStore.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFsBlobs } from '../../../adapters/embedded/fsBlobs.ts';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { Blobs, EventStore, Queue } from '../../../adapters/ports.ts';
import { VersionConflictError } from '../../../machines/index.ts';
import { systemClock } from '../../../services/clock.ts';
import { submitJobs, type SubmitDeps } from '../../../services/jobs/submitJobs.ts';
import { DEFAULT_UPLOAD_LIMITS } from '../../../services/uploads/uploads.ts';
import { sampleImage } from '../web/webHarness.ts';
import { makeTempDir } from '../../support/tempDir.ts';

/** A store whose appends commit, then answer with `error` (the answer was lost). */
function lostAnswers(store: EventStore, error: (stream: string) => Error): EventStore {
  return {
    ...store,
    append: async (stream, expectedSeq, events, view) => {
      await store.append(stream, expectedSeq, events, view);
      throw error(stream);
    },
  };
}

describe('given an append that committed but answered with an error', () => {
  const dir = makeTempDir('misread');
  let store: EventStore;
  let queues: ReturnType<typeof openSqliteQueues>;
  let requests: Queue;
  let blobs: Blobs;
  let deps: SubmitDeps;
  before(() => {
    store = openSqliteEventStore({ file: dir.file('db.sqlite') });
    queues = openSqliteQueues({ file: dir.file('db.sqlite') });
    requests = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30 });
    blobs = createFsBlobs({ dir: dir.file('blobs') });
    deps = { store, blobs, requests, clock: systemClock, limits: DEFAULT_UPLOAD_LIMITS, maxAttempts: 3, detector: 'ssd' };
  });
  after(async () => {
    queues.close();
    await store.close();
    await dir.cleanup();
  });

  it('when the retry reads as a version conflict, then the submission is recognised as ours: accepted, image kept, request queued', async () => {
    const misreading = lostAnswers(store, (stream) => new VersionConflictError(stream, 0, 1));
    const [job] = await submitJobs({ ...deps, store: misreading }, [{ fileName: 'a.png', size: 0, bytes: await sampleImage('png') }], { source: 'v1' });
    const row = await store.get('job', job!.id);
    assert.equal(row?.state, 'queued');
    assert.ok(await blobs.head(String(row?.context.imageKey)), 'the image of the stored job is still there');
    const [message] = await requests.receive({ maxMessages: 10 });
    assert.equal(JSON.parse(message!.body).jobId, job!.id);
  });

  it('when the answer is a timeout, then the submission fails but the stored job keeps its image', async () => {
    const timingOut = lostAnswers(store, () => new Error('socket timeout'));
    const before = new Set((await store.list({ kind: 'job', limit: 500 })).items.map((r) => r.id));
    await assert.rejects(submitJobs({ ...deps, store: timingOut }, [{ fileName: 'b.png', size: 0, bytes: await sampleImage('png') }], { source: 'v1' }), /socket timeout/);
    const stored = (await store.list({ kind: 'job', limit: 500 })).items.filter((r) => !before.has(r.id));
    assert.equal(stored.length, 1, 'the job was written');
    assert.ok(await blobs.head(String(stored[0]!.context.imageKey)), 'its image was not deleted');
  });
});
