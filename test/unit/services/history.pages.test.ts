/**
 * History pages: a job's or instance's history answers at most `limit` steps from seq `from`, with
 * the total and the next seq, so a long stream never becomes one unbounded answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import type { EventStore } from '../../../adapters/ports.ts';
import type { NewEvent } from '../../../machines/index.ts';
import { DEFAULT_HISTORY_LIMIT, jobHistory } from '../../../services/jobs/jobHistory.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const dir = makeTempDir('history-pages');
let store: EventStore;
const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();

/** A job that was started and requeued 1,500 times before it completed: 3,002 events. */
function longJob(): NewEvent[] {
  const events: NewEvent[] = [{ type: 'JobSubmitted', at: at(0), data: { jobId: 'long1', imageKey: 'images/long1', fileName: 'a.jpg', contentType: 'image/jpeg', bytes: 10, source: 'v1', maxAttempts: 100, detector: 'ssd' } }];
  for (let attempt = 1; attempt <= 1500; attempt++) {
    events.push({ type: 'JobStarted', at: at(events.length), data: { instanceId: 'w1', attempt } });
    events.push({ type: 'JobRequeued', at: at(events.length), data: { reason: 'retry' } });
  }
  events.push({ type: 'JobStarted', at: at(events.length), data: { instanceId: 'w1', attempt: 1501 } });
  return events;
}

before(async () => {
  store = openSqliteEventStore({ file: dir.file('events.db') });
  const events = longJob();
  for (let i = 0; i < events.length; i += 500) await store.append('job-long1', i, events.slice(i, i + 500));
});
after(async () => {
  await store.close?.();
  await dir.cleanup();
});

describe('given a job stream of 3,002 events', () => {
  it('when its history is read without a page, then the first 1,000 steps come with the total and the next seq', async () => {
    const history = await jobHistory(store, 'long1');
    assert.equal(history.total, 3002);
    assert.equal(history.steps.length, DEFAULT_HISTORY_LIMIT);
    assert.equal(history.steps[0]?.seq, 1);
    assert.equal(history.next, 1001);
    assert.equal(history.seq, 3002, 'the state is the whole stream’s');
  });

  it('when it is read page by page, then every step comes exactly once and the last page has no next', async () => {
    const seen: number[] = [];
    let from: number | null = 1;
    while (from !== null) {
      const page = await jobHistory(store, 'long1', { from, limit: '700' });
      seen.push(...page.steps.map((s) => s.seq));
      from = page.next;
    }
    assert.deepEqual(seen, Array.from({ length: 3002 }, (_, i) => i + 1));
  });

  it('when the page asks from beyond the end, then no steps and no next', async () => {
    const history = await jobHistory(store, 'long1', { from: 5000 });
    assert.deepEqual([history.steps.length, history.next, history.total], [0, null, 3002]);
  });

  it('when the page is malformed, then a validation error says the rule', async () => {
    for (const page of [{ limit: '0' }, { limit: '5001' }, { limit: '1e3' }, { from: '0' }, { from: '-1' }, { from: 'x' }]) {
      await assert.rejects(jobHistory(store, 'long1', page), /(limit|from) must be an integer from/, JSON.stringify(page));
    }
  });
});
