/**
 * Searching the job history (services/jobs/searchJobs.ts): given jobs in a real SQLite store, when a
 * search filters by state, file name, label or time range, then only the matching jobs come, newest
 * first, page by page with no job twice; bad filters are a ValidationError in one sentence; and the
 * rows read per request stay bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import type { EventStore } from '../../../adapters/ports.ts';
import { fold, toReadModel, ValidationError, type NewEvent } from '../../../machines/index.ts';
import { MAX_SCANNED, searchJobs } from '../../../services/jobs/searchJobs.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const dir = makeTempDir('jobs-search');
let store: EventStore;
const minute = (n: number) => new Date(Date.UTC(2026, 0, 1, 12, n)).toISOString();

/** Job `n` submitted at minute n; even ones done (label Ada for n % 4 == 0, else unknown), odd ones queued. */
function job(n: number, fileName: string): NewEvent[] {
  const events: NewEvent[] = [
    { type: 'JobSubmitted', at: minute(n), data: { jobId: `job${n}`, imageKey: `images/job${n}`, fileName, contentType: 'image/jpeg', bytes: 10, source: 'v1', maxAttempts: 3, detector: 'ssd' } },
  ];
  if (n % 2 === 0) {
    events.push({ type: 'JobStarted', at: minute(n), data: { instanceId: 'w1', attempt: 1 } });
    events.push({ type: 'JobCompleted', at: minute(n), data: { instanceId: 'w1', attempt: 1, resultKey: `results/job${n}/1.json`, faces: 1, label: n % 4 === 0 ? 'Ada' : 'unknown', durationMs: 5 } });
  }
  return events;
}

before(async () => {
  store = openSqliteEventStore({ file: dir.file('events.db') });
  for (let n = 1; n <= 40; n += 1) {
    const stream = `job-job${n}`;
    const events = job(n, n <= 20 ? `holiday-${n}.jpg` : `Party ${n}.JPG`);
    // The read model row goes in with the events, as services/streams/propose.ts writes it.
    const stored = events.map((e, i) => ({ ...e, stream, seq: i + 1 }));
    await store.append(stream, 0, events, toReadModel(stream, fold(stream, stored)));
  }
});
after(async () => {
  await store.close?.();
  await dir.cleanup();
});

describe('given 40 jobs: 20 holiday and 20 party photos, half done', () => {
  it('when no filter is given, then the plain list answers as before (no scan count)', async () => {
    const page = await searchJobs(store, { limit: '5' });
    assert.equal(page.items.length, 5);
    assert.equal(page.scanned, undefined);
    assert.equal(page.items[0]?.id, 'job40', 'newest first');
  });

  it('when the file name part is searched in another case, then only those jobs come, newest first', async () => {
    const page = await searchJobs(store, { file: 'PARTY' });
    assert.deepEqual(page.items.map((j) => j.id), Array.from({ length: 20 }, (_, i) => `job${40 - i}`));
    assert.equal(page.next, undefined);
  });

  it('when state and label are searched together, then both hold for every job', async () => {
    const page = await searchJobs(store, { state: 'done', label: 'ada' });
    assert.deepEqual(page.items.map((j) => j.id), ['job40', 'job36', 'job32', 'job28', 'job24', 'job20', 'job16', 'job12', 'job8', 'job4']);
    assert.ok(page.items.every((j) => j.state === 'done' && j.label === 'Ada'));
  });

  it('when a time range is searched, then from is included and to is not', async () => {
    const page = await searchJobs(store, { from: minute(10), to: minute(13) });
    assert.deepEqual(page.items.map((j) => j.id), ['job12', 'job11', 'job10']);
  });

  it('when a filtered search is read page by page, then every match comes once and the last page has no next', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchJobs(store, { file: 'holiday', limit: '6', ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 6);
      seen.push(...page.items.map((j) => j.id));
      cursor = page.next;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => `job${20 - i}`));
  });

  it('when the filters are wrong, then a ValidationError says which', async () => {
    await assert.rejects(searchJobs(store, { from: 'yesterday' }), (e: unknown) => e instanceof ValidationError && /from must be a date and time/.test(e.message));
    await assert.rejects(searchJobs(store, { from: minute(5), to: minute(1) }), (e: unknown) => e instanceof ValidationError && /from must be before to/.test(e.message));
    await assert.rejects(searchJobs(store, { file: 'x'.repeat(201) }), (e: unknown) => e instanceof ValidationError && /file must be at most 200/.test(e.message));
    await assert.rejects(searchJobs(store, { state: 'lost', file: 'a' }), (e: unknown) => e instanceof ValidationError && /state must be one of/.test(e.message));
  });

  it('when nothing matches, then the scan stops at the end of the jobs, well within its bound', async () => {
    const page = await searchJobs(store, { file: 'no such photo' });
    assert.deepEqual(page.items, []);
    assert.equal(page.scanned, 40);
    assert.ok(MAX_SCANNED >= 1000);
  });
});
