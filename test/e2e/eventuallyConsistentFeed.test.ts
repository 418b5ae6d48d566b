/**
 * Replies that cannot be lost, on an eventually consistent DynamoDB: the event store on dynalite
 * behind a wrapper that shows each read-model row's newest version in the indexes only after a
 * random lag (test/support/eventuallyConsistentDynamo.ts), so a row written later is often visible
 * before one written earlier. 200 classic requests (the use case behind `POST /`: submit, then
 * wait for the answer) run while workers complete their jobs in a shuffled order; every request must
 * be answered and an every-change subscriber (what SSE uses) must receive every job's `done` row.
 * A change feed whose cursor jumps to the highest position seen loses rows here; a waiter that only
 * trusts the feed then waits until its timeout.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoEventStore } from '../../adapters/aws/dynamoEventStore.ts';
import { ensureTable } from '../../adapters/aws/provision.ts';
import type { EventStore } from '../../adapters/ports.ts';
import { emptyState, streamName, type ReadModelRow } from '../../machines/index.ts';
import { awaitJob } from '../../services/jobs/awaitJob.ts';
import { classicAnswer } from '../../services/jobs/classic.ts';
import { createChangeFeed, type ChangeFeed } from '../../services/streams/changeFeed.ts';
import { propose } from '../../services/streams/propose.ts';
import { eventuallyConsistent, type LagStats } from '../support/eventuallyConsistentDynamo.ts';
import { startDynaliteEmulator, type Dynalite } from '../support/emulators.ts';
import { waitFor } from '../support/waitFor.ts';

const at = () => new Date().toISOString();
const JOBS = 200;

async function submit(store: EventStore, jobId: string) {
  const stream = streamName('job', jobId);
  await propose(
    store,
    stream,
    () => [{ type: 'JobSubmitted', at: at(), data: { jobId, imageKey: `images/${jobId}`, fileName: `${jobId}.jpg`, contentType: 'image/jpeg', bytes: 1, source: 'classic', maxAttempts: 2, detector: 'ssd' } }],
    { known: emptyState(stream) },
  );
}

/** What a worker writes for a job: started, then completed with a label. */
async function work(store: EventStore, jobId: string) {
  const stream = streamName('job', jobId);
  await propose(store, stream, () => [{ type: 'JobStarted', at: at(), data: { instanceId: 'w1', attempt: 1 } }]);
  await propose(store, stream, () => [
    { type: 'JobCompleted', at: at(), data: { instanceId: 'w1', attempt: 1, resultKey: `results/${jobId}.json`, faces: 1, label: `subject-${jobId.slice(-4)}`, durationMs: 1 } },
  ]);
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

describe('replies that cannot be lost, on an eventually consistent DynamoDB (dynalite with index lag)', () => {
  let dynalite: Dynalite;
  let tableName: string;
  let store: EventStore;
  let stats: LagStats;
  let feed: ChangeFeed;

  before(async () => {
    dynalite = await startDynaliteEmulator();
    tableName = `ff-lag-${randomUUID().slice(0, 8)}`;
    await ensureTable(dynalite.dynamodb, tableName);
    const lagging = eventuallyConsistent(dynalite.dynamodb, { maxLagMs: 400 });
    stats = lagging.stats;
    // The overlap window must exceed the write latency plus the index lag (plus clock skew, none
    // here): dynalite runs in this process, so on a busy machine a write itself can take seconds.
    store = createDynamoEventStore({ client: lagging.client, tableName, feedOverlapMs: 5000 });
    feed = createChangeFeed({ store, pollMs: 250 });
    await feed.ready();
  });

  after(async () => {
    await feed.close();
    await store.close();
    await dynalite.dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    await dynalite.stop();
  });

  it('given 200 classic requests waiting, when workers complete their jobs in any order, then every request is answered and the feed delivers every done row', async () => {
    const doneSeen = new Set<string>();
    const unsubscribe = feed.subscribe((row: ReadModelRow) => {
      if (row.kind === 'job' && row.state === 'done') doneSeen.add(row.id);
    });
    try {
      const ids = Array.from({ length: JOBS }, (_, i) => `${randomUUID().slice(0, 8)}${String(i).padStart(4, '0')}`);
      await Promise.all(ids.map((id) => submit(store, id)));
      const answers = ids.map((id) => classicAnswer({ store, feed }, { id, fileName: `photo-${id}.jpg` }, { timeoutMs: 60_000 }));
      answers.forEach((answer) => answer.catch(() => undefined)); // judged below, all together
      // Eight workers take the jobs in a shuffled order.
      const queue = shuffle([...ids]);
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let id = queue.pop(); id !== undefined; id = queue.pop()) await work(store, id);
        }),
      );
      const texts = await Promise.all(answers);
      assert.deepEqual(texts.map((a) => a.text), ids.map((id) => `photo-${id}:subject-${id.slice(-4)}`));
      await waitFor(() => doneSeen.size === JOBS, { timeoutMs: 10_000, what: `the feed to deliver all ${JOBS} done rows (has ${doneSeen.size})` });
      assert.deepEqual([...doneSeen].sort(), [...ids].sort());
      // The lag really reordered what the index showed (else this test proves nothing).
      assert.ok(stats.hidden > 0 && stats.overtaken > 0, `index lag hid ${stats.hidden} rows, ${stats.overtaken} feed reads saw a later row before an earlier one`);
    } finally {
      unsubscribe();
    }
  });

  it('given a feed that never delivers the job, when the job is done, then the waiter still answers by re-reading its row', async () => {
    const silent: EventStore = { ...store, changes: async (cursor) => ({ rows: [], cursor: cursor ?? 'x' }) };
    const deaf = createChangeFeed({ store: silent, pollMs: 50 });
    try {
      const id = `${randomUUID().slice(0, 8)}silent`;
      await submit(store, id);
      const waiting = awaitJob({ store, feed: deaf }, id, { timeoutMs: 10_000, recheckMs: 200 });
      await work(store, id);
      const row = await waiting;
      assert.equal(row.state, 'done');
      assert.equal(deaf.listenerCount(), 0, 'the waiter left no listener behind');
    } finally {
      await deaf.close();
    }
  });
});
