/**
 * Listing dead letters among many other failures: a list request makes a bounded number of store
 * queries, so its page may be short (even empty) with a cursor to go on; following the cursors
 * finds every dead letter once, and a redrive of `max` follows them itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { EventStore, Queue } from '../../../adapters/ports.ts';
import { emptyState, streamName, type NewEvent } from '../../../machines/index.ts';
import { newId, type Clock } from '../../../services/clock.ts';
import { listDeadLetters, redriveDeadLetters } from '../../../services/jobs/deadLetters.ts';
import { propose } from '../../../services/streams/propose.ts';
import { makeTempDir } from '../../support/tempDir.ts';

let now = Date.parse('2030-01-01T00:00:00Z');
const clock: Clock = { now: () => new Date(now), newId: () => newId(now) };

describe('given 2 dead letters, the oldest, under 40 newer jobs that failed otherwise', () => {
  const dir = makeTempDir('dead-letter-pages');
  let store: EventStore;
  let queues: ReturnType<typeof openSqliteQueues>;
  let requests: Queue;
  const dead: string[] = [];

  async function failedJob(code: 'dead-letter' | 'max-attempts'): Promise<string> {
    now += 1000;
    const jobId = clock.newId();
    const at = new Date(now).toISOString();
    const stream = streamName('job', jobId);
    const events: NewEvent[] = [
      { type: 'JobSubmitted', at, data: { jobId, imageKey: `images/${jobId}`, fileName: 'a.jpg', contentType: 'image/jpeg', bytes: 10, source: 'v1', maxAttempts: 1, detector: 'ssd' } },
      { type: 'JobFailed', at, data: { code, reason: code === 'dead-letter' ? 'received 3 times' : 'attempts exhausted' } },
    ];
    await propose(store, stream, () => events, { known: emptyState(stream) });
    return jobId;
  }

  before(async () => {
    store = openSqliteEventStore({ file: dir.file('db.sqlite') });
    queues = openSqliteQueues({ file: dir.file('db.sqlite') });
    requests = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30 });
    dead.push(await failedJob('dead-letter'), await failedJob('dead-letter'));
    for (let i = 0; i < 40; i += 1) await failedJob('max-attempts');
  });
  after(async () => {
    queues.close();
    await store.close();
    await dir.cleanup();
  });

  it('when they are listed one at a time then the first page is short with a cursor, and the cursors lead to both, newest first', async () => {
    const first = await listDeadLetters(store, { limit: 1 });
    assert.deepEqual(first.items, [], 'twenty one-row queries met only other failures');
    assert.ok(first.next);
    const found: string[] = [];
    let cursor: string | undefined = first.next;
    while (cursor) {
      const page = await listDeadLetters(store, { limit: 1, cursor });
      found.push(...page.items.map((j) => j.id));
      cursor = page.next;
    }
    assert.deepEqual(found, [...dead].reverse());
  });

  it('when `max: 2` are redriven then the redrive follows the short pages and takes both', async () => {
    const outcome = await redriveDeadLetters({ store, requests, clock, maxAttempts: 3 }, { max: 2 });
    assert.deepEqual(outcome, { redriven: [...dead].reverse(), skipped: [] });
    assert.deepEqual(await requests.depth(), { visible: 2, inFlight: 0 });
  });
});
