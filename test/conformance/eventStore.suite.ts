/**
 * The EventStore conformance suite: port behaviour only, so every implementation (SQLite, DynamoDB)
 * runs the very same blocks. Each test opens a fresh store through the factory and uses its own
 * stream names, so a factory may also hand out one shared backend.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { EventStore } from '../../adapters/ports.ts';
import { ValidationError, VersionConflictError, type NewEvent, type ReadModelRow, type StreamKind } from '../../machines/index.ts';

export interface OpenedStore {
  store: EventStore;
  cleanup(): Promise<void>;
}

const uid = () => randomUUID().replaceAll('-', '').slice(0, 12);

function ev(type: string, n: number, data: unknown = { n }): NewEvent {
  return { type, at: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(), data };
}

function view(kind: StreamKind, id: string, state: string, seq: number, createdAt: string, extra: Record<string, unknown> = {}): ReadModelRow {
  return {
    kind,
    id,
    stream: `${kind}-${id}`,
    state,
    seq,
    createdAt,
    updatedAt: createdAt,
    context: { id, state, nested: { list: [1, 'two', null], flag: true }, ...extra },
  };
}

/** Registers the suite for one implementation. */
export function eventStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  async function withStore(body: (store: EventStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await open();
    try {
      await body(store);
    } finally {
      await store.close();
      await cleanup();
    }
  }

  describe(`EventStore conformance: ${name}`, () => {
    describe('given an empty stream', () => {
      it('when events are appended at expected seq 0, then they are stored with seqs 1..n and returned', () =>
        withStore(async (store) => {
          const stream = `job-${uid()}`;
          const result = await store.append(stream, 0, [ev('A', 1), ev('B', 2, { nested: { x: [1, 2] }, s: 'é✓' })]);
          assert.equal(result.seq, 2);
          assert.deepEqual(result.events.map((e) => [e.stream, e.seq, e.type]), [[stream, 1, 'A'], [stream, 2, 'B']]);
          const read = await store.read(stream);
          assert.deepEqual(read, result.events);
          assert.deepEqual(read[1]?.data, { nested: { x: [1, 2] }, s: 'é✓' });
          assert.equal(read[0]?.at, '2025-01-01T00:00:01.000Z');
        }));

      it('when it is read, then it is empty and has no read model', () =>
        withStore(async (store) => {
          const id = uid();
          assert.deepEqual(await store.read(`job-${id}`), []);
          assert.equal(await store.get('job', id), undefined);
        }));

      it('when nothing or nonsense is appended, then it refuses with a validation error and writes nothing', () =>
        withStore(async (store) => {
          const stream = `job-${uid()}`;
          await assert.rejects(store.append(stream, 0, []), ValidationError);
          await assert.rejects(store.append(stream, -1, [ev('A', 1)]), ValidationError);
          await assert.rejects(store.append(stream, 0.5, [ev('A', 1)]), ValidationError);
          await assert.rejects(store.append('not a stream', 0, [ev('A', 1)]), ValidationError);
          assert.deepEqual(await store.read(stream), []);
        }));
    });

    describe('given a stream with three events', () => {
      async function seeded(store: EventStore): Promise<string> {
        const stream = `instance-${uid()}`;
        await store.append(stream, 0, [ev('A', 1), ev('B', 2)]);
        await store.append(stream, 2, [ev('C', 3)]);
        return stream;
      }

      it('when it is read from seq 2, then only seqs 2 and 3 come back, in order', () =>
        withStore(async (store) => {
          const stream = await seeded(store);
          assert.deepEqual((await store.read(stream, 2)).map((e) => [e.seq, e.type]), [[2, 'B'], [3, 'C']]);
          assert.deepEqual(await store.read(stream, 4), []);
        }));

      it('when someone appends at a stale expected seq, then it is a version conflict and nothing is written', () =>
        withStore(async (store) => {
          const stream = await seeded(store);
          await assert.rejects(store.append(stream, 2, [ev('X', 4), ev('Y', 5)]), VersionConflictError);
          await assert.rejects(store.append(stream, 0, [ev('X', 4)]), VersionConflictError);
          await assert.rejects(store.append(stream, 7, [ev('X', 4)]), VersionConflictError);
          assert.deepEqual((await store.read(stream)).map((e) => e.type), ['A', 'B', 'C']);
        }));

      it('when two appends race at the same expected seq, then exactly one wins', () =>
        withStore(async (store) => {
          const stream = await seeded(store);
          const outcomes = await Promise.allSettled([store.append(stream, 3, [ev('W1', 4)]), store.append(stream, 3, [ev('W2', 4)])]);
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
          assert.equal(won.length, 1);
          assert.equal(lost.length, 1);
          assert.ok(lost[0]?.reason instanceof VersionConflictError);
          assert.equal((await store.read(stream)).length, 4);
        }));
    });

    describe('given a stream with a read model row', () => {
      it('when events are appended with a row, then the row is stored with the append', () =>
        withStore(async (store) => {
          const id = uid();
          const row = view('job', id, 'queued', 1, '2025-01-01T00:00:01.000Z');
          await store.append(`job-${id}`, 0, [ev('JobSubmitted', 1)], row);
          assert.deepEqual(await store.get('job', id), row);
          assert.equal(await store.get('instance', id), undefined);
        }));

      it('when a conflicting append carries a row, then the row is not written either', () =>
        withStore(async (store) => {
          const id = uid();
          const row = view('job', id, 'queued', 1, '2025-01-01T00:00:01.000Z');
          await store.append(`job-${id}`, 0, [ev('JobSubmitted', 1)], row);
          await assert.rejects(store.append(`job-${id}`, 0, [ev('JobSubmitted', 1)], view('job', id, 'done', 1, '2025-01-01T00:00:09.000Z')), VersionConflictError);
          assert.deepEqual(await store.get('job', id), row);
        }));

      it('when a later append carries an older row, then the row never moves backward', () =>
        withStore(async (store) => {
          const id = uid();
          const stream = `job-${id}`;
          const at = '2025-01-01T00:00:01.000Z';
          await store.append(stream, 0, [ev('A', 1), ev('B', 2)], view('job', id, 'processing', 2, at));
          await store.append(stream, 2, [ev('C', 3)], view('job', id, 'queued', 1, at));
          assert.equal((await store.get('job', id))?.state, 'processing');
          assert.equal((await store.get('job', id))?.seq, 2);
          await store.append(stream, 3, [ev('D', 4)], view('job', id, 'done', 4, at));
          assert.equal((await store.get('job', id))?.state, 'done');
          assert.equal((await store.get('job', id))?.seq, 4);
        }));
    });

    describe('given several rows of each kind', () => {
      // Seven jobs created one second apart (job 0 oldest), in states cycling queued/processing/done, and two instances.
      async function seeded(store: EventStore): Promise<string[]> {
        const ids: string[] = [];
        const states = ['queued', 'processing', 'done'];
        for (let i = 0; i < 7; i += 1) {
          const id = `${uid()}${i}`;
          ids.push(id);
          const state = states[i % 3] as string;
          await store.append(`job-${id}`, 0, [ev('A', i)], view('job', id, state, 1, ev('A', i).at));
        }
        for (let i = 0; i < 2; i += 1) {
          const id = uid();
          await store.append(`instance-${id}`, 0, [ev('A', i)], view('instance', id, 'polling', 1, ev('A', i).at));
        }
        return ids;
      }

      it('when listed in pages of 3, then every row comes once, newest first, and the last page has no cursor', () =>
        withStore(async (store) => {
          const ids = await seeded(store);
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await store.list({ kind: 'job', limit: 3, ...(cursor ? { cursor } : {}) });
            assert.ok(page.items.length <= 3);
            seen.push(...page.items.map((r) => r.id));
            cursor = page.next;
            pages += 1;
          } while (cursor && pages < 10);
          assert.equal(pages, 3);
          assert.deepEqual(seen, [...ids].reverse());
        }));

      it('when listed by state, then only rows in that state (or those states) come back', () =>
        withStore(async (store) => {
          const ids = await seeded(store);
          const queued = await store.list({ kind: 'job', state: 'queued' });
          assert.deepEqual(queued.items.map((r) => r.id), [ids[6], ids[3], ids[0]]);
          assert.equal(queued.next, undefined);
          const open = await store.list({ kind: 'job', state: ['queued', 'processing'], limit: 4 });
          assert.deepEqual(open.items.map((r) => r.id), [ids[6], ids[4], ids[3], ids[1]]);
          assert.ok(open.next);
          const rest = await store.list({ kind: 'job', state: ['queued', 'processing'], limit: 4, cursor: open.next });
          assert.deepEqual(rest.items.map((r) => r.id), [ids[0]]);
          assert.equal(rest.next, undefined);
          assert.deepEqual((await store.list({ kind: 'job', state: 'failed' })).items, []);
          assert.equal((await store.list({ kind: 'instance' })).items.length, 2);
        }));

      it('when counted, then each kind has its rows per state and empty states are absent', () =>
        withStore(async (store) => {
          await seeded(store);
          assert.deepEqual(await store.counts('job'), { queued: 3, processing: 2, done: 2 });
          assert.deepEqual(await store.counts('instance'), { polling: 2 });
        }));
    });

    describe('given a change feed cursor taken now', () => {
      it('when nothing has changed, then no rows come back and the cursor stays usable', () =>
        withStore(async (store) => {
          const id = uid();
          await store.append(`job-${id}`, 0, [ev('A', 1)], view('job', id, 'queued', 1, ev('A', 1).at));
          const now = await store.changes();
          assert.deepEqual(now.rows, []);
          const again = await store.changes(now.cursor);
          assert.deepEqual(again.rows, []);
        }));

      it('when rows change, then they come back oldest change first and only after the cursor', () =>
        withStore(async (store) => {
          const [a, b] = [uid(), uid()];
          await store.append(`job-${a}`, 0, [ev('A', 1)], view('job', a, 'queued', 1, ev('A', 1).at));
          const start = await store.changes();
          await store.append(`job-${b}`, 0, [ev('A', 2)], view('job', b, 'queued', 1, ev('A', 2).at));
          await store.append(`job-${a}`, 1, [ev('B', 3)], view('job', a, 'processing', 2, ev('A', 1).at));
          await store.append(`instance-${b}`, 0, [ev('A', 4)], view('instance', b, 'requested', 1, ev('A', 4).at));
          const page = await store.changes(start.cursor);
          assert.deepEqual(page.rows.map((r) => [r.stream, r.state]), [[`job-${b}`, 'queued'], [`job-${a}`, 'processing'], [`instance-${b}`, 'requested']]);
          const later = await store.changes(page.cursor);
          assert.deepEqual(later.rows, []);
          await store.append(`job-${b}`, 1, [ev('B', 5)], view('job', b, 'done', 2, ev('A', 2).at));
          assert.deepEqual((await store.changes(page.cursor)).rows.map((r) => [r.stream, r.state]), [[`job-${b}`, 'done']]);
        }));

      it('when more rows changed than the limit, then they come in pages that follow each other', () =>
        withStore(async (store) => {
          const start = await store.changes();
          const ids = Array.from({ length: 5 }, (_, i) => `${uid()}${i}`);
          for (const [i, id] of ids.entries()) await store.append(`job-${id}`, 0, [ev('A', i)], view('job', id, 'queued', 1, ev('A', i).at));
          const first = await store.changes(start.cursor, 2);
          const second = await store.changes(first.cursor, 2);
          const third = await store.changes(second.cursor, 2);
          assert.deepEqual([...first.rows, ...second.rows, ...third.rows].map((r) => r.id), ids);
          assert.equal(third.rows.length, 1);
        }));

      it('when an append is refused, then no change is published', () =>
        withStore(async (store) => {
          const id = uid();
          await store.append(`job-${id}`, 0, [ev('A', 1)], view('job', id, 'queued', 1, ev('A', 1).at));
          const start = await store.changes();
          await assert.rejects(store.append(`job-${id}`, 0, [ev('A', 1)], view('job', id, 'done', 1, ev('A', 1).at)), VersionConflictError);
          assert.deepEqual((await store.changes(start.cursor)).rows, []);
        }));
    });

    describe('given an open store', () => {
      it('when it is closed, then closing again is harmless and further calls are refused', async () => {
        const { store, cleanup } = await open();
        try {
          await store.append(`job-${uid()}`, 0, [ev('A', 1)]);
          await store.close();
          await store.close();
          await assert.rejects(store.read(`job-${uid()}`));
        } finally {
          await cleanup();
        }
      });
    });
  });
}
