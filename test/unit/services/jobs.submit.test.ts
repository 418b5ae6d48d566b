/**
 * Submitting jobs when storage fails part-way, and repairing a job whose message was lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFsBlobs } from '../../../adapters/embedded/fsBlobs.ts';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { Blobs, EventStore, Queue } from '../../../adapters/ports.ts';
import { streamName } from '../../../machines/index.ts';
import type { Clock } from '../../../services/clock.ts';
import { newId } from '../../../services/clock.ts';
import { requeueOrphans } from '../../../services/jobs/requeueOrphans.ts';
import { submitJobs, type SubmitDeps } from '../../../services/jobs/submitJobs.ts';
import { DEFAULT_UPLOAD_LIMITS } from '../../../services/uploads/uploads.ts';
import { sampleImage } from '../web/webHarness.ts';
import { makeTempDir } from '../../support/tempDir.ts';

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2030-01-01T00:00:00Z')) {
  let now = start;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => new Date(now),
    newId: () => newId(now),
    advance: (ms) => (now += ms),
  };
  return clock;
}

describe('given real embedded adapters', () => {
  const dir = makeTempDir('submit');
  let store: EventStore;
  let queues: ReturnType<typeof openSqliteQueues>;
  let requests: Queue;
  let blobs: Blobs;
  let clock: ReturnType<typeof manualClock>;
  let deps: SubmitDeps;
  before(() => {
    store = openSqliteEventStore({ file: dir.file('db.sqlite') });
    queues = openSqliteQueues({ file: dir.file('db.sqlite') });
    requests = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30 });
    blobs = createFsBlobs({ dir: dir.file('blobs') });
    clock = manualClock();
    deps = { store, blobs, requests, clock, limits: DEFAULT_UPLOAD_LIMITS, maxAttempts: 3, detector: 'ssd' };
  });
  after(async () => {
    queues.close();
    await store.close();
    await dir.cleanup();
  });

  it('when appending the event fails then the image blob is deleted and no message is sent', async () => {
    const failingStore: EventStore = { ...store, append: async () => Promise.reject(new Error('disk full')) };
    await assert.rejects(submitJobs({ ...deps, store: failingStore }, [{ fileName: 'a.png', size: 0, bytes: await sampleImage('png') }], { source: 'v1' }), /disk full/);
    assert.deepEqual(await store.counts('job'), {});
    assert.deepEqual(await requests.depth(), { visible: 0, inFlight: 0 });
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(dir.file('blobs', 'images'), { withFileTypes: true }).filter((e) => e.isFile()), []);
  });

  it('when sending the message keeps failing then the job is still accepted and queued, the send is tried again, and the last warning hands it to requeueOrphans', async () => {
    const warnings: string[] = [];
    const deadQueue: Queue = { ...requests, send: async () => Promise.reject(new Error('queue down')) };
    let settled: Promise<boolean> | undefined;
    const [job] = await submitJobs(
      { ...deps, requests: deadQueue, onWarning: (m) => warnings.push(m), resendDelaysMs: [1, 1], onMessageSettled: (_id, sent) => (settled = sent) },
      [{ fileName: 'lost.png', size: 0, bytes: await sampleImage('png') }],
      { source: 'v1' },
    );
    assert.equal((await store.get('job', job!.id))?.state, 'queued');
    assert.equal(await settled, false);
    assert.equal(warnings.length, 3, 'the first send and two retries');
    assert.match(warnings[0]!, /tried again shortly/);
    assert.match(warnings[2]!, /requeueOrphans/);
    assert.deepEqual(await requests.depth(), { visible: 0, inFlight: 0 });
  });

  it('when requeueOrphans runs before the job is old enough then nothing is re-sent', async () => {
    const outcome = await requeueOrphans({ store, requests, clock }, { olderThanMs: 60_000 });
    assert.deepEqual(outcome.resent, []);
    assert.equal(outcome.missing, 1);
  });

  it('when requeueOrphans runs after the job has waited long enough then its message is re-sent once', async () => {
    const [lost] = (await store.list({ kind: 'job', state: 'queued' })).items;
    clock.advance(61_000);
    const outcome = await requeueOrphans({ store, requests, clock }, { olderThanMs: 60_000 });
    assert.deepEqual(outcome.resent, [lost!.id]);
    const [message] = await requests.receive();
    assert.deepEqual(JSON.parse(message!.body), { jobId: lost!.id });
    // In flight now: the count rule sees a message for every queued job.
    assert.deepEqual((await requeueOrphans({ store, requests, clock }, { olderThanMs: 60_000 })).resent, []);
    await requests.delete(message!.receiptHandle);
  });

  it('when a normal job has its message in the queue then requeueOrphans leaves it alone', async () => {
    const [job] = await submitJobs(deps, [{ fileName: 'ok.png', size: 0, bytes: await sampleImage('png') }], { source: 'v1' });
    clock.advance(120_000);
    // the lost one (message consumed above without progress) and this one are both queued; one message exists
    const outcome = await requeueOrphans({ store, requests, clock }, { olderThanMs: 60_000 });
    assert.equal(outcome.missing, 1);
    assert.equal(outcome.resent.length, 1);
    assert.notEqual(outcome.resent[0], job!.id, 'the oldest queued job is the likelier orphan');
    assert.equal((await store.read(streamName('job', job!.id))).length, 1);
  });
});
