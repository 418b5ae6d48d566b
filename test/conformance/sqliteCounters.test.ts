/**
 * The SQLite counters behind counts() and depth(): moved in the same transaction as the change, equal
 * to counting the rows, and filled once from the rows of a file written before they existed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteEventStore } from '../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../adapters/embedded/sqliteQueue.ts';
import type { ReadModelRow } from '../../machines/index.ts';
import { makeTempDir } from '../support/tempDir.ts';

const row = (id: string, state: string, seq: number): ReadModelRow => ({
  kind: 'job', id, stream: `job-${id}`, state, seq, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', context: {},
});
const ev = { type: 'X', at: '2025-01-01T00:00:00.000Z', data: {} };

function scanCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  const out: Record<string, number> = {};
  for (const r of db.prepare("SELECT state, count(*) AS n FROM read_models WHERE kind = 'job' GROUP BY state").all() as Array<{ state: string; n: number }>) out[r.state] = r.n;
  db.close();
  return out;
}

describe('given jobs moving through states', () => {
  it('when rows move forward (and a stale write is ignored), then counts() equals counting the rows', async () => {
    const dir = makeTempDir('counters');
    const file = dir.file('facefleet.db');
    const store = openSqliteEventStore({ file });
    for (let i = 0; i < 20; i++) await store.append(`job-j${i}`, 0, [ev], row(`j${i}`, 'queued', 1));
    for (let i = 0; i < 12; i++) await store.append(`job-j${i}`, 1, [ev], row(`j${i}`, 'processing', 2));
    for (let i = 0; i < 7; i++) await store.append(`job-j${i}`, 2, [ev], row(`j${i}`, 'done', 3));
    // A view older than the stored row changes nothing, the counts included.
    await store.append('job-j0', 3, [ev], row('j0', 'queued', 1));
    assert.deepEqual(await store.counts('job'), { queued: 8, processing: 5, done: 7 });
    assert.deepEqual(await store.counts('job'), scanCounts(file));
    await store.close();
    dir.cleanup();
  });
});

describe('given files written before the counters existed', () => {
  it('when opened, then the counters are filled from the rows already there (read-only: counted by a scan)', async () => {
    const dir = makeTempDir('counters');
    const file = dir.file('facefleet.db');
    const store = openSqliteEventStore({ file });
    for (let i = 0; i < 5; i++) await store.append(`job-j${i}`, 0, [ev], row(`j${i}`, i < 2 ? 'done' : 'queued', 1));
    await store.close();
    const queues = openSqliteQueues({ file });
    const queue = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30 });
    for (let i = 0; i < 4; i++) await queue.send(`m${i}`);
    await queue.receive({ visibilityTimeoutSeconds: 30 });
    queues.close();
    const db = new Database(file);
    db.exec('DROP TABLE read_model_counts; DROP TABLE queue_counts;');
    db.close();

    // A read-only open (the replay CLI) of such a file cannot add the table: it counts by scanning.
    const readonly = openSqliteEventStore({ file, readonly: true });
    assert.deepEqual(await readonly.counts('job'), { done: 2, queued: 3 });
    await readonly.close();
    const reopened = openSqliteEventStore({ file });
    assert.deepEqual(await reopened.counts('job'), { done: 2, queued: 3 });
    await reopened.close();
    const again = openSqliteQueues({ file });
    assert.deepEqual(await again.queue({ name: 'requests', visibilityTimeoutSeconds: 30 }).depth(), { visible: 3, inFlight: 1 });
    again.close();
    dir.cleanup();
  });
});
