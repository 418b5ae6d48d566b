/**
 * The DynamoDB event store's counts and spread indexes (issue 13, item 5) on dynalite (in-process,
 * 127.0.0.1): counts come from per-state count shards and stay right when two store instances race
 * and when an answer is lost and the write retried; counts() costs the same number of requests
 * whatever the history; the change feed delivers every row version across the index shards, also
 * when the index shows rows late; reconcileCounts repairs a count that drifted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoEventStore, type DynamoEventStore } from '../../adapters/aws/dynamoEventStore.ts';
import { indexShards, shardOf } from '../../adapters/aws/dynamo/schema.ts';
import { ensureTable } from '../../adapters/aws/provision.ts';
import type { NewEvent, ReadModelRow } from '../../machines/index.ts';
import { startDynaliteEmulator, type Dynalite } from '../support/emulators.ts';
import { eventuallyConsistent } from '../support/eventuallyConsistentDynamo.ts';
import { waitFor } from '../support/waitFor.ts';

let emulator: Promise<Dynalite> | undefined;
const dynalite = () => (emulator ??= startDynaliteEmulator());
after(async () => {
  if (emulator) await (await emulator).stop();
});

/** A fresh table per case: counts see the whole table. */
async function freshTable(): Promise<{ dynamodb: DynamoDBClient; tableName: string }> {
  const { dynamodb } = await dynalite();
  const tableName = `ff-shards-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamodb, tableName);
  return { dynamodb, tableName };
}

const uid = () => randomUUID().replaceAll('-', '').slice(0, 12);
const at = '2025-01-01T00:00:00.000Z';
const event = (type: string): NewEvent => ({ type, at, data: {} });
const row = (id: string, state: string, seq: number): ReadModelRow => ({ kind: 'job', id, stream: `job-${id}`, state, seq, createdAt: at, updatedAt: at, context: {} });

/** Appends one event moving job `id` to `state` at `seq` (the stream's next). */
const move = (store: DynamoEventStore, id: string, state: string, seq: number) => store.append(`job-${id}`, seq - 1, [event(`To-${state}`)], row(id, state, seq));

/** A client whose `send` goes through `around` (to count, delay, drop or lose answers). */
function wrap(client: DynamoDBClient, around: (command: unknown, send: () => Promise<unknown>) => Promise<unknown>): DynamoDBClient {
  const send = client.send.bind(client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  const wrapped = Object.create(client) as DynamoDBClient;
  wrapped.send = ((command: unknown, ...rest: unknown[]) => around(command, () => send(command, ...rest))) as DynamoDBClient['send'];
  return wrapped;
}

const isRowPut = (command: unknown) => command instanceof PutItemCommand && String(command.input.Item?.pk?.S).startsWith('view#');
const isCountMove = (command: unknown) => command instanceof UpdateItemCommand && String(command.input.Key?.pk?.S).startsWith('count#');
const lostAnswer = () => Object.assign(new Error('socket hang up after the write'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
const noSleep = { sleep: async () => undefined };

describe('DynamoDB event store: count shards and spread indexes', () => {
  describe('given two store instances on one table appending to the same jobs at once', () => {
    it('when every job has moved queued → processing → done across both, then counts() matches the rows', async () => {
      const { dynamodb, tableName } = await freshTable();
      const a = createDynamoEventStore({ client: dynamodb, tableName });
      const b = createDynamoEventStore({ client: dynamodb, tableName });
      const ids = Array.from({ length: 40 }, uid);
      // Both instances race for every step; exactly one wins each (the other gets a conflict).
      // Half the jobs go on to done.
      for (const [state, seq, jobs] of [['queued', 1, ids], ['processing', 2, ids], ['done', 3, ids.slice(20)]] as const) {
        const results = await Promise.allSettled(jobs.flatMap((id) => [move(a, id, state, seq), move(b, id, state, seq)]));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, jobs.length);
      }
      const byState: Record<string, number> = {};
      for (const id of ids) {
        const stored = await a.get('job', id);
        byState[stored!.state] = (byState[stored!.state] ?? 0) + 1;
      }
      assert.deepEqual(await a.counts('job'), byState);
      assert.deepEqual(await b.counts('job'), byState);
      assert.deepEqual(byState, { processing: 20, done: 20 });
    });

    it('when a row write is overtaken by the next version of the same row, then the job is counted once, in its newest state', async () => {
      const { dynamodb, tableName } = await freshTable();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let blocked: () => void = () => undefined;
      const isBlocked = new Promise<void>((resolve) => (blocked = resolve));
      let holdNext = false;
      const slow = wrap(dynamodb, async (command, send) => {
        if (holdNext && isRowPut(command)) {
          holdNext = false;
          blocked();
          await gate;
        }
        return send();
      });
      const a = createDynamoEventStore({ client: slow, tableName });
      const b = createDynamoEventStore({ client: dynamodb, tableName });
      const id = uid();
      await move(a, id, 'queued', 1);
      holdNext = true;
      const late = move(a, id, 'processing', 2); // its events are stored, its row write waits
      await isBlocked;
      await move(b, id, 'done', 3); // the next version's row lands first
      release();
      await late;
      assert.equal((await a.get('job', id))?.state, 'done');
      assert.deepEqual(await a.counts('job'), { done: 1 });
    });
  });

  describe('given answers lost after the write reached the table (a timeout, then a retry)', () => {
    it('when the row put and a count move are retried, then each is recognised as already done and counted once', async () => {
      const { dynamodb, tableName } = await freshTable();
      const lost = { rowPuts: 0, countMoves: 0 };
      const flaky = wrap(dynamodb, async (command, send) => {
        const result = await send();
        if (isRowPut(command) && lost.rowPuts < 2) {
          lost.rowPuts += 1;
          throw lostAnswer();
        }
        if (isCountMove(command) && lost.countMoves < 3) {
          lost.countMoves += 1;
          throw lostAnswer();
        }
        return result;
      });
      const store = createDynamoEventStore({ client: flaky, tableName, retry: noSleep });
      const id = uid();
      await move(store, id, 'queued', 1);
      await move(store, id, 'processing', 2);
      assert.deepEqual(lost, { rowPuts: 2, countMoves: 3 }, 'answers were lost and the writes retried');
      assert.deepEqual(await store.counts('job'), { processing: 1 });
      assert.equal((await store.get('job', id))?.seq, 2);
    });
  });

  describe('given a history of finished jobs', () => {
    it('when counts() is asked with 5 and with 150 finished jobs, then it sends the same few requests (one per shard)', async () => {
      const { dynamodb, tableName } = await freshTable();
      let requests = 0;
      const readsRows: string[] = [];
      const counting = wrap(dynamodb, async (command, send) => {
        requests += 1;
        // Only count items are read: no index, no read-model row (whose number grows with the history).
        const input = (command as { input?: { IndexName?: string; ExpressionAttributeValues?: Record<string, { S?: string }> } }).input;
        const pk = input?.ExpressionAttributeValues?.[':pk']?.S ?? '';
        if (input?.IndexName || !pk.startsWith('count#')) readsRows.push(JSON.stringify(input));
        return send();
      });
      const writer = createDynamoEventStore({ client: dynamodb, tableName });
      const reader = createDynamoEventStore({ client: counting, tableName });
      const finish = (n: number) => Promise.all(Array.from({ length: n }, async () => {
        const id = uid();
        await move(writer, id, 'queued', 1);
        await move(writer, id, 'done', 2);
      }));
      await finish(5);
      requests = 0;
      assert.deepEqual(await reader.counts('job'), { done: 5 });
      const small = requests;
      await finish(145);
      requests = 0;
      assert.deepEqual(await reader.counts('job'), { done: 150 });
      assert.equal(requests, small);
      assert.equal(small, indexShards);
      assert.deepEqual(readsRows, [], 'counts() read only count items');
    });
  });

  describe('given rows spread over the index shards', () => {
    it('when the feed is read in small pages while the index shows rows late, then every row version is delivered exactly once', async () => {
      const { dynamodb, tableName } = await freshTable();
      const { client: laggy, stats } = eventuallyConsistent(dynamodb, { maxLagMs: 150 });
      // The wrapper learns of each row write from the writer's puts and hides it from index reads for a while.
      const writer = createDynamoEventStore({ client: laggy, tableName });
      const feed = createDynamoEventStore({ client: laggy, tableName, feedOverlapMs: 2000 });
      let cursor = (await feed.changes(undefined)).cursor;
      const ids = Array.from({ length: 60 }, uid);
      assert.ok(new Set(ids.map(shardOf)).size >= 4, 'the jobs fall into several shards');
      const delivered: string[] = [];
      // One reader, as a subscriber is: each read continues from the cursor of the one before.
      let reading = Promise.resolve();
      const read = () =>
        (reading = reading.then(async () => {
          const page = await feed.changes(cursor, 7);
          cursor = page.cursor;
          delivered.push(...page.rows.map((r) => `${r.id}#${r.seq}`));
        }));
      await Promise.all(ids.map(async (id, i) => {
        await move(writer, id, 'queued', 1);
        if (i % 2 === 0) await move(writer, id, 'processing', 2);
        await read();
      }));
      const expected = ids.flatMap((id, i) => (i % 2 === 0 ? [`${id}#1`, `${id}#2`] : [`${id}#1`]));
      // A row version may be superseded before the index shows it (the feed then delivers the newest).
      const covered = () => ids.every((id, i) => delivered.includes(`${id}#${i % 2 === 0 ? 2 : 1}`));
      await waitFor(async () => {
        await read();
        return covered();
      }, { timeoutMs: 10_000, what: 'every job newest version in the feed' });
      assert.equal(new Set(delivered).size, delivered.length, 'no row version twice');
      assert.ok(delivered.every((key) => expected.includes(key)));
      assert.ok(stats.hidden > 0, 'the index did show rows late');
    });
  });

  describe('given count moves that never happened (the process died between the row write and the count)', () => {
    it('when reconcileCounts runs, then the counts match the rows again, and a second run corrects nothing', async () => {
      const { dynamodb, tableName } = await freshTable();
      let dropMoves = true;
      const dying = wrap(dynamodb, async (command, send) => {
        if (dropMoves && isCountMove(command)) return {}; // the row is written, its count move is not
        return send();
      });
      const healthy = createDynamoEventStore({ client: dynamodb, tableName, countQuietMs: 0 });
      const broken = createDynamoEventStore({ client: dying, tableName });
      const ids = Array.from({ length: 6 }, uid);
      for (const id of ids) await move(healthy, id, 'queued', 1);
      for (const id of ids.slice(0, 4)) await move(broken, id, 'done', 2);
      dropMoves = false;
      assert.deepEqual(await healthy.counts('job'), { queued: 6 }, 'the counts drifted');
      const report = await healthy.reconcileCounts();
      assert.ok(report.corrected.length > 0);
      assert.deepEqual(await healthy.counts('job'), { queued: 2, done: 4 });
      assert.deepEqual((await healthy.reconcileCounts()).corrected, []);
      // Counting goes on from the corrected values.
      await move(healthy, ids[4]!, 'done', 2);
      assert.deepEqual(await healthy.counts('job'), { queued: 1, done: 5 });
    });
  });
});
