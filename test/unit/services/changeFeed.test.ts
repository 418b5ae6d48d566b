/**
 * The change feed: one store poll loop per process, woken early by response-queue messages, that
 * hands rows to every-change subscribers (filling coalesced gaps) and to per-job waiters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { EventStore, Queue } from '../../../adapters/ports.ts';
import { emptyState, streamName, type ReadModelRow } from '../../../machines/index.ts';
import { createChangeFeed, type ChangeFeed } from '../../../services/streams/changeFeed.ts';
import { propose } from '../../../services/streams/propose.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const at = () => new Date().toISOString();

async function submitted(store: EventStore, jobId: string) {
  const stream = streamName('job', jobId);
  await propose(
    store,
    stream,
    () => [{ type: 'JobSubmitted', at: at(), data: { jobId, imageKey: `images/${jobId}`, fileName: 'a.png', contentType: 'image/png', bytes: 1, source: 'v1', maxAttempts: 2, detector: 'ssd' } }],
    { known: emptyState(stream) },
  );
}

async function startedAndDone(store: EventStore, jobId: string) {
  const stream = streamName('job', jobId);
  await propose(store, stream, () => [{ type: 'JobStarted', at: at(), data: { instanceId: 'w1', attempt: 1 } }]);
  await propose(store, stream, () => [{ type: 'JobCompleted', at: at(), data: { instanceId: 'w1', attempt: 1, resultKey: `results/${jobId}.json`, faces: 0, label: 'no-face', durationMs: 1 } }]);
}

async function until(predicate: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('given a feed over an SQLite store and a response queue', () => {
  const dir = makeTempDir('feed');
  let store: EventStore;
  let queues: ReturnType<typeof openSqliteQueues>;
  let responses: Queue;
  let feed: ChangeFeed;
  before(() => {
    store = openSqliteEventStore({ file: dir.file('db.sqlite') });
    queues = openSqliteQueues({ file: dir.file('db.sqlite') });
    responses = queues.queue({ name: 'responses', visibilityTimeoutSeconds: 30 });
  });
  after(async () => {
    await feed?.close();
    queues.close();
    await store.close();
    await dir.cleanup();
  });

  it('when a job goes queued → processing → done between two polls then an every-change subscriber still sees each state, in order', async () => {
    feed = createChangeFeed({ store, responses, pollMs: 400 });
    const seen: ReadModelRow[] = [];
    feed.subscribe((row) => seen.push(row));
    await feed.ready();
    await submitted(store, 'j1');
    await startedAndDone(store, 'j1');
    await until(() => seen.some((r) => r.state === 'done'));
    assert.deepEqual(
      seen.filter((r) => r.id === 'j1').map((r) => [r.seq, r.state]),
      [
        [1, 'queued'],
        [2, 'processing'],
        [3, 'done'],
      ],
    );
  });

  it('when a job-specific waiter subscribes then it receives only its job’s rows', async () => {
    const mine: string[] = [];
    const unsubscribe = feed.subscribeJob('j2', (row) => mine.push(`${row.id}:${row.state}`));
    await submitted(store, 'j2');
    await submitted(store, 'j3');
    await until(() => mine.length > 0);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(mine, ['j2:queued']);
    unsubscribe();
  });

  it('when a response message arrives then the store is read at once (not at the next tick) and the message is deleted', async () => {
    await feed.close();
    feed = createChangeFeed({ store, responses, pollMs: 60_000 });
    await feed.ready();
    await new Promise((r) => setTimeout(r, 100)); // the first (immediate) poll has run; the next is a minute away
    const rows: string[] = [];
    feed.subscribeJob('j4', (row) => rows.push(row.state));
    await submitted(store, 'j4');
    await startedAndDone(store, 'j4');
    const sent = Date.now();
    await responses.send(JSON.stringify({ jobId: 'j4', state: 'done' }));
    await until(() => rows.includes('done'), 5000);
    assert.ok(Date.now() - sent < 5000);
    for (let i = 0; i < 100; i++) {
      const depth = await responses.depth();
      if (depth.visible + depth.inFlight === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await responses.depth(), { visible: 0, inFlight: 0 });
  });

  it('when closed then it stops promptly, even during a long poll, and drops its listeners', async () => {
    feed.subscribe(() => undefined);
    const started = Date.now();
    await feed.close();
    assert.ok(Date.now() - started < 2000);
    assert.equal(feed.listenerCount(), 0);
  });
});
