/**
 * A `processing` job whose message is gone (on SQS a delete with a stale receipt handle can remove
 * the live message; then its worker dies) is re-sent by requeueOrphans like a queued orphan, so it
 * does not wait forever.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFsBlobs } from '../../../adapters/embedded/fsBlobs.ts';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { EventStore, Queue } from '../../../adapters/ports.ts';
import { streamName } from '../../../machines/index.ts';
import { newId, type Clock } from '../../../services/clock.ts';
import { requeueOrphans } from '../../../services/jobs/requeueOrphans.ts';
import { submitJobs } from '../../../services/jobs/submitJobs.ts';
import { propose } from '../../../services/streams/propose.ts';
import { DEFAULT_UPLOAD_LIMITS } from '../../../services/uploads/uploads.ts';
import { sampleImage } from '../web/webHarness.ts';
import { makeTempDir } from '../../support/tempDir.ts';

describe('given a processing job whose request message was deleted while it ran', () => {
  const dir = makeTempDir('requeue-processing');
  let store: EventStore;
  let queues: ReturnType<typeof openSqliteQueues>;
  let requests: Queue;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock: Clock = { now: () => new Date(now), newId: () => newId(now) };
  before(() => {
    store = openSqliteEventStore({ file: dir.file('db.sqlite') });
    queues = openSqliteQueues({ file: dir.file('db.sqlite') });
    requests = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30 });
  });
  after(async () => {
    queues.close();
    await store.close();
    await dir.cleanup();
  });

  it('when requeueOrphans runs after it stayed unchanged long enough, then its message is re-sent', async () => {
    const blobs = createFsBlobs({ dir: dir.file('blobs') });
    const [job] = await submitJobs({ store, blobs, requests, clock, limits: DEFAULT_UPLOAD_LIMITS, maxAttempts: 3, detector: 'ssd' }, [{ fileName: 'a.png', size: 0, bytes: await sampleImage('png') }], { source: 'v1' });
    const [message] = await requests.receive();
    await propose(store, streamName('job', job!.id), () => [{ type: 'JobStarted', at: clock.now().toISOString(), data: { instanceId: 'w1', attempt: 1 } }]);
    await requests.delete(message!.receiptHandle); // the live message is gone; the worker then dies
    assert.equal((await store.get('job', job!.id))?.state, 'processing');

    assert.deepEqual((await requeueOrphans({ store, requests, clock }, { olderThanMs: 60_000 })).resent, [], 'not before it is old enough');
    now += 61_000;
    const outcome = await requeueOrphans({ store, requests, clock }, { olderThanMs: 60_000 });
    assert.deepEqual(outcome.resent, [job!.id]);
    const [again] = await requests.receive();
    assert.deepEqual(JSON.parse(again!.body), { jobId: job!.id });
  });
});
