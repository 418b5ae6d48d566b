/**
 * The EventStore port on one DynamoDB table (layout in dynamo/schema.ts), using only PutItem,
 * UpdateItem, GetItem and Query with conditions — no TransactWriteItems, no Streams.
 *
 * Append: each append is ONE item (pk = stream, sk = its first seq, `appendId`) holding all its events, written
 * with `attribute_not_exists`, so an append of several events is atomic — it is wholly there or
 * not at all, and a conflict never leaves part of it behind. Before writing, a consistent read of
 * the stream's last commit checks `expectedSeq` (so a stale or too-high expectedSeq is a conflict,
 * never a gap); the conditional put then settles the race between two writers that both read the
 * same last seq. Every append's first seq follows the previous append's last, so two appends that
 * race always target the same sk and exactly one wins.
 *
 * Read model: after the append, the row is put with a condition that only moves it forward (its
 * stored seq below the new one). A process that dies between the two writes leaves the row behind
 * its stream; the append's item carries a `pending` marker (a sparse index) that is removed only
 * after the row is written, and `repairReadModels()` folds every stream still marked and rewrites
 * its row. Events stay the truth; the row is always a fold of them.
 *
 * Lists and the change feed read global secondary indexes, which DynamoDB updates asynchronously
 * (usually well under a second): right after an append they may lag; `get` and `counts` are
 * strongly consistent. Index partition keys carry a shard (hash of the id), so no index partition
 * takes every write; readers query every shard and merge.
 *
 * Counts: per-state count items, one per (kind, state, shard), a partition per kind and shard, so
 * `counts()` is one small Query per shard whatever the history. The row write is a compare-and-set on the
 * stored row's seq, so its writer knows the state it replaced and moves the count (ADD -1 / +1);
 * without transactions the move is a separate write — what can drift and how `reconcileCounts`
 * repairs it is in docs/aws.md.
 *
 * Change feed: a row's change position is the writer's clock (µs) when it wrote the row — no shared
 * counter, so no hot item. The index may show a row later than a row written after it, so a
 * cursor never jumps past what could still appear: each read looks again `feedOverlapMs` back and
 * drops the row versions (stream#seq) the cursor says were already returned.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  fold,
  instanceStates,
  parseStream,
  jobStates,
  toReadModel,
  ValidationError,
  VersionConflictError,
  type ReadModelRow,
  type StoredEvent,
  type StreamKind,
} from '../../machines/index.ts';
import type { EventStore, Page } from '../ports.ts';
import { callAws, hasCode, type RetryOptions } from './awsErrors.ts';
import { allShards, indexNames, shardOf } from './dynamo/schema.ts';
import {
  byKindKey,
  byStateKey,
  changesKey,
  commitItem,
  countKey,
  countPartition,
  eventsFromCommit,
  listSortKey,
  N,
  num,
  rowFromItem,
  S,
  viewItem,
  viewKey,
  type Item,
} from './dynamo/items.ts';

export interface DynamoEventStoreOptions {
  client?: DynamoDBClient;
  tableName: string;
  region?: string;
  endpoint?: string;
  retry?: RetryOptions;
  /** Wall clock for the pending markers (ms). */
  now?: () => number;
  /**
   * How far back (ms) every change-feed read looks again for rows the index showed late: at least the
   * index's visibility lag plus the clock skew between writers (default 3000; see docs/aws.md).
   */
  feedOverlapMs?: number;
  /**
   * reconcileCounts leaves a count shard alone when a move landed on it less than this long ago (ms):
   * the byState index may not show that row yet (default 10000; above the index's visibility lag).
   */
  countQuietMs?: number;
  /** Told when a read-model write failed after its events were stored (repair will fix the row). */
  onReadModelError?: (stream: string, error: unknown) => void;
}

export interface CountsReport {
  /** Count shards looked at. */
  checked: number;
  /** Count shards whose value was corrected: `kind#state#shard` → (stored, counted). */
  corrected: Array<{ shard: string; stored: number; counted: number }>;
}

export interface RepairReport {
  /** Streams whose marker was looked at. */
  checked: number;
  /** Streams whose row was rewritten from the fold. */
  repaired: string[];
  /** Streams that could not be folded (their marker stays). */
  failed: Array<{ stream: string; reason: string }>;
}

/** The DynamoDB event store: the port plus the read-model catch-up. */
export interface DynamoEventStore extends EventStore {
  /**
   * Finds read models that may be behind their stream (an append whose row write did not happen or
   * was not confirmed) and rewrites them from the fold; only moves rows forward, so it is safe to run
   * at any time, beside live appends. `olderThanMs` skips appends younger than that (default 0).
   */
  repairReadModels(options?: { olderThanMs?: number }): Promise<RepairReport>;
  /**
   * Recounts every state's shards from the byState index (a COUNT query per shard: its cost grows
   * with the history, so it runs rarely) and corrects a count shard that drifted (see docs/aws.md:
   * a process that died between a row write and its count move, or a count move retried after
   * another move on the same shard). A shard that moved while it was being recounted is left alone.
   */
  reconcileCounts(): Promise<CountsReport>;
}

const statesOf: Record<StreamKind, readonly string[]> = { job: jobStates, instance: instanceStates };

function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!value.includes('#')) throw new ValidationError('the cursor is not one this store gave out');
  return value;
}

/** A row version's identity in the change feed: repeats of it inside the overlap window are dropped. */
const feedKey = (row: Pick<ReadModelRow, 'stream' | 'seq'>) => `${row.stream}#${row.seq}`;

interface FeedCursor {
  /** Change positions above this are read again on the next read. */
  low: number;
  /** The row versions above `low` already returned. */
  seen: string[];
}

function encodeFeedCursor(cursor: FeedCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeFeedCursor(cursor: string): FeedCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<FeedCursor>;
    if (typeof value.low === 'number' && Number.isFinite(value.low) && Array.isArray(value.seen) && value.seen.every((k) => typeof k === 'string')) {
      return { low: value.low, seen: value.seen };
    }
  } catch {
    // fall through: not one of ours
  }
  throw new ValidationError('the change cursor is not one this store gave out');
}

/** Builds the DynamoDB event store on an existing table (see provision.ts to create it). */
export function createDynamoEventStore(options: DynamoEventStoreOptions): DynamoEventStore {
  const ownClient = !options.client;
  const client = options.client ?? new DynamoDBClient({ region: options.region, endpoint: options.endpoint });
  const TableName = options.tableName;
  const now = options.now ?? Date.now;
  const onReadModelError =
    options.onReadModelError ??
    ((stream: string, error: unknown) => {
      console.warn(`facefleet: the read model of ${stream} was not updated (repairReadModels will): ${error instanceof Error ? error.message : String(error)}`);
    });
  const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException || hasCode(error, 'ConditionalCheckFailedException');
  let closed = false;
  const call = <T>(operation: string, fn: () => Promise<T>, passThrough?: (error: unknown) => boolean) => {
    if (closed) return Promise.reject(new Error(`the event store on table ${TableName} is closed`));
    return callAws({ service: 'DynamoDB', operation, resource: `table ${TableName}` }, fn, { ...options.retry, passThrough });
  };

  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>, stopAt?: number): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const out = await call('Query', () => client.send(new QueryCommand({ ...input, TableName, ExclusiveStartKey })));
      items.push(...((out.Items ?? []) as Item[]));
      ExclusiveStartKey = out.LastEvaluatedKey as Item | undefined;
    } while (ExclusiveStartKey && (stopAt === undefined || items.length < stopAt));
    return items;
  }

  /** The last seq of a stream (0 when it has no events), read consistently. */
  async function lastSeq(stream: string): Promise<number> {
    const out = await call('Query', () =>
      client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': S(stream) },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
          ProjectionExpression: '#last',
          ExpressionAttributeNames: { '#last': 'last' },
        }),
      ),
    );
    const item = out.Items?.[0] as Item | undefined;
    return item ? num(item, 'last') : 0;
  }

  async function read(stream: string, fromSeq = 1): Promise<StoredEvent[]> {
    let start = Math.max(1, Math.floor(fromSeq));
    if (start > 1) {
      // The commit holding `fromSeq` may start before it.
      const out = await call('Query', () =>
        client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk AND sk <= :sk',
            ExpressionAttributeValues: { ':pk': S(stream), ':sk': N(start) },
            ScanIndexForward: false,
            Limit: 1,
            ConsistentRead: true,
          }),
        ),
      );
      const holder = out.Items?.[0] as Item | undefined;
      if (holder) start = num(holder, 'sk');
    }
    const items = await queryAll({
      KeyConditionExpression: 'pk = :pk AND sk >= :sk',
      ExpressionAttributeValues: { ':pk': S(stream), ':sk': N(start) },
      ConsistentRead: true,
    });
    return items.flatMap(eventsFromCommit).filter((e) => e.seq >= fromSeq);
  }

  /** Whether the commit item at (stream, firstSeq) is the one written by the append `appendId`. */
  async function isOwnCommit(stream: string, firstSeq: number, appendId: string): Promise<boolean> {
    const out = await call('GetItem', () =>
      client.send(new GetItemCommand({ TableName, Key: { pk: S(stream), sk: N(firstSeq) }, ConsistentRead: true, ProjectionExpression: 'appendId' })),
    );
    return out.Item?.appendId?.S === appendId;
  }

  /** The stored row's seq and state (consistent read), or undefined when it has none yet. */
  async function storedRow(kind: StreamKind, id: string): Promise<{ seq: number; state: string; wid?: string } | undefined> {
    const out = await call('GetItem', () =>
      client.send(
        new GetItemCommand({ TableName, Key: viewKey(kind, id), ConsistentRead: true, ProjectionExpression: '#seq, #state, wid', ExpressionAttributeNames: { '#seq': 'seq', '#state': 'state' } }),
      ),
    );
    const item = out.Item as Item | undefined;
    return item ? { seq: num(item, 'seq'), state: item.state?.S ?? '', ...(item.wid?.S ? { wid: item.wid.S } : {}) } : undefined;
  }

  /**
   * Puts a row unless the stored one is as new or newer; true when it was written. The put is a
   * compare-and-set on the stored row's seq, so row versions are written one after another and the
   * writer of each knows the state it replaced: it moves the count from that state to the new one.
   */
  async function putViewForward(row: ReadModelRow): Promise<boolean> {
    const writeId = randomUUID();
    for (;;) {
      const before = await storedRow(row.kind, row.id);
      if (before && before.seq >= row.seq) return false;
      try {
        await call(
          'PutItem',
          () =>
            client.send(
              new PutItemCommand({
                TableName,
                Item: viewItem(row, changeClock.next(), writeId),
                ConditionExpression: before ? '#seq = :seq' : 'attribute_not_exists(pk)',
                ...(before ? { ExpressionAttributeNames: { '#seq': 'seq' }, ExpressionAttributeValues: { ':seq': N(before.seq) } } : {}),
              }),
            ),
          isConditionFailure,
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // Our own put whose answer was lost (then `before` is what it replaced), or another writer's: look again.
        if ((await storedRow(row.kind, row.id))?.wid !== writeId) continue;
      }
      await moveCount(row, before?.state);
      return true;
    }
  }

  const stateIndex = (kind: StreamKind, state: string) => statesOf[kind].indexOf(state);

  /**
   * Moves one row's count from `from` to its new state: ADD -1 / +1 on the two shard items. Each
   * update names its move (`stream#seq`), so a retry whose answer was lost and that finds its own
   * move as the shard's last one is not counted twice.
   */
  async function moveCount(row: ReadModelRow, from: string | undefined): Promise<void> {
    if (from === row.state) return;
    const shard = shardOf(row.id);
    const move = `${row.stream}#${row.seq}`;
    const add = async (state: string, delta: number) => {
      const index = stateIndex(row.kind, state);
      if (index < 0) return; // not a state of this kind: nothing counts it
      await call(
        'UpdateItem',
        () =>
          client.send(
            new UpdateItemCommand({
              TableName,
              Key: countKey(row.kind, index, shard),
              UpdateExpression: 'ADD n :d SET #state = :state, mv = :mv, mt = :mt',
              ConditionExpression: 'attribute_not_exists(mv) OR mv <> :mv',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':d': N(delta), ':state': S(state), ':mv': S(move), ':mt': N(now()) },
            }),
          ),
        isConditionFailure,
      ).catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error; // our own move, already applied
      });
    };
    await Promise.all([...(from === undefined ? [] : [add(from, -1)]), add(row.state, 1)]);
  }

  async function clearPending(stream: string, firstSeq: number): Promise<void> {
    await call('UpdateItem', () =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: { pk: S(stream), sk: N(firstSeq) },
          UpdateExpression: 'REMOVE pendpk, pendsk',
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
      isConditionFailure,
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }

  /** Rows of one index partition, newest first, below the cursor's sort key. */
  async function queryPartition(index: string, pkName: string, skName: string, partition: string, below: string | undefined, want: number): Promise<Item[]> {
    const items = await queryAll(
      {
        IndexName: index,
        KeyConditionExpression: below === undefined ? '#pk = :pk' : '#pk = :pk AND #sk < :below',
        ExpressionAttributeNames: below === undefined ? { '#pk': pkName } : { '#pk': pkName, '#sk': skName },
        ExpressionAttributeValues: below === undefined ? { ':pk': S(partition) } : { ':pk': S(partition), ':below': S(below) },
        ScanIndexForward: false,
        Limit: want,
      },
      want,
    );
    return items.slice(0, want);
  }

  /**
   * Change-feed positions: microseconds of this process's clock, strictly increasing within the
   * process (so its own changes keep their order), spread across processes by their clocks.
   */
  const changeClock = (() => {
    let last = 0;
    return {
      now: () => now() * 1000,
      next: () => (last = Math.max(now() * 1000, last + 1)),
    };
  })();
  const countQuietMs = Math.max(0, options.countQuietMs ?? 10_000);
  const overlapUnits = Math.max(0, options.feedOverlapMs ?? 3000) * 1000;

  /** One shard of the change index after `low`, oldest first, until `isNew` has accepted `want` of them. */
  async function feedShardAfter(shard: number, low: number, want: number, isNew: (item: Item) => boolean): Promise<Item[]> {
    const scanned: Item[] = [];
    let taken = 0;
    let ExclusiveStartKey: Item | undefined;
    do {
      const out = await call('Query', () =>
        client.send(
          new QueryCommand({
            TableName,
            IndexName: indexNames.changes,
            KeyConditionExpression: 'chpk = :pk AND chsk > :after',
            ExpressionAttributeValues: { ':pk': S(changesKey(shard)), ':after': N(low) },
            ScanIndexForward: true,
            Limit: Number.isFinite(want) ? Math.min(1000, want * 2) : 1000,
            ExclusiveStartKey,
          }),
        ),
      );
      for (const item of (out.Items ?? []) as Item[]) {
        scanned.push(item);
        if (isNew(item) && ++taken >= want) return scanned;
      }
      ExclusiveStartKey = out.LastEvaluatedKey as Item | undefined;
    } while (ExclusiveStartKey);
    return scanned;
  }

  /**
   * The change index's items after `low`, oldest first across every shard, until `isNew` has
   * accepted `want` of them. Each shard is read up to its own `want` new items, so the first `want`
   * new items of the merge are all there, and everything read before the last one taken is too.
   */
  async function feedItemsAfter(low: number, want: number, isNew: (item: Item) => boolean = () => true): Promise<Item[]> {
    const merged = (await Promise.all(allShards.map((shard) => feedShardAfter(shard, low, want, isNew))))
      .flat()
      .sort((a, b) => num(a, 'chsk') - num(b, 'chsk'));
    if (!Number.isFinite(want)) return merged;
    let taken = 0;
    for (let i = 0; i < merged.length; i += 1) {
      if (isNew(merged[i]!) && ++taken >= want) return merged.slice(0, i + 1);
    }
    return merged;
  }

  /** How many rows one byState partition holds (a COUNT query, paged). */
  async function countIndex(partition: string): Promise<number> {
    let count = 0;
    let ExclusiveStartKey: Item | undefined;
    do {
      const out = await call('Query', () =>
        client.send(
          new QueryCommand({
            TableName,
            IndexName: indexNames.byState,
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': S(partition) },
            Select: 'COUNT',
            ExclusiveStartKey,
          }),
        ),
      );
      count += out.Count ?? 0;
      ExclusiveStartKey = out.LastEvaluatedKey as Item | undefined;
    } while (ExclusiveStartKey);
    return count;
  }

  return {
    async append(stream, expectedSeq, events, view) {
      if (!parseStream(stream)) throw new ValidationError(`"${stream}" is not a job-<id> or instance-<id> stream`);
      if (!Number.isInteger(expectedSeq) || expectedSeq < 0) throw new ValidationError(`expectedSeq must be a whole number ≥ 0, not ${expectedSeq}`);
      if (events.length === 0) throw new ValidationError('an append needs at least one event');
      if (expectedSeq > 0) {
        const actual = await lastSeq(stream);
        if (actual !== expectedSeq) throw new VersionConflictError(stream, expectedSeq, actual);
      }
      const firstSeq = expectedSeq + 1;
      const marked = view !== undefined;
      // Every append carries its own id: a put that committed but whose answer was lost is retried
      // (by callAws or the SDK) with the same item, fails its condition, and is recognised as ours.
      const appendId = randomUUID();
      try {
        await call(
          'PutItem',
          () =>
            client.send(
              new PutItemCommand({
                TableName,
                Item: commitItem(stream, firstSeq, events, now(), marked, appendId),
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            ),
          isConditionFailure,
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (!(await isOwnCommit(stream, firstSeq, appendId))) {
          throw new VersionConflictError(stream, expectedSeq, await lastSeq(stream).catch(() => undefined));
        }
      }
      const stored: StoredEvent[] = events.map((e, i) => ({ stream, seq: firstSeq + i, type: e.type, at: e.at, data: e.data }));
      if (view) {
        try {
          await putViewForward(view);
          await clearPending(stream, firstSeq);
        } catch (error) {
          // The events are stored: the append succeeded. The marker stays for repairReadModels.
          onReadModelError(stream, error);
        }
      }
      return { seq: firstSeq + events.length - 1, events: stored };
    },

    read,

    async get(kind, id) {
      const out = await call('GetItem', () => client.send(new GetItemCommand({ TableName, Key: viewKey(kind, id), ConsistentRead: true })));
      return out.Item ? rowFromItem(out.Item as Item) : undefined;
    },

    async list(query): Promise<Page<ReadModelRow>> {
      const limit = Math.min(500, Math.max(1, Math.floor(query.limit ?? 50)));
      const below = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const states = query.state === undefined ? undefined : Array.isArray(query.state) ? [...new Set(query.state)] : [query.state];
      const batches =
        states === undefined
          ? await Promise.all(allShards.map((shard) => queryPartition(indexNames.byKind, 'gsi2pk', 'gsi2sk', byKindKey(query.kind, shard), below, limit + 1)))
          : await Promise.all(
              states.flatMap((state) => allShards.map((shard) => queryPartition(indexNames.byState, 'gsi1pk', 'gsi1sk', byStateKey(query.kind, state, shard), below, limit + 1))),
            );
      // Merge the partitions newest first; the next page continues below the last row returned.
      const rows = batches
        .flat()
        .map(rowFromItem)
        .sort((a, b) => (listSortKey(a) < listSortKey(b) ? 1 : listSortKey(a) > listSortKey(b) ? -1 : 0));
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return rows.length > limit && last ? { items: page, next: encodeCursor(listSortKey(last)) } : { items: page };
    },

    async counts(kind, states) {
      // One consistent Query per shard, each of a few small items (one per state): the cost is the
      // same whatever the history (the rows are never read).
      const totals = new Map<string, number>();
      const shards = await Promise.all(
        allShards.map((shard) => queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': S(countPartition(kind, shard)) }, ConsistentRead: true })),
      );
      for (const item of shards.flat()) {
        const state = item.state?.S;
        if (state !== undefined) totals.set(state, (totals.get(state) ?? 0) + num(item, 'n'));
      }
      return Object.fromEntries(
        statesOf[kind].filter((state) => (!states || states.includes(state)) && (totals.get(state) ?? 0) > 0).map((state) => [state, totals.get(state) ?? 0] as const),
      );
    },

    async changes(cursor, limit = 100) {
      const want = Math.min(1000, Math.max(1, Math.floor(limit)));
      const readAt = changeClock.now();
      if (cursor === undefined) {
        // "From now on": what the index already shows in the overlap window counts as seen.
        const low = readAt - overlapUnits;
        const seen = (await feedItemsAfter(low, Number.POSITIVE_INFINITY)).map((item) => feedKey(rowFromItem(item)));
        return { rows: [], cursor: encodeFeedCursor({ low, seen }) };
      }
      const { low, seen } = decodeFeedCursor(cursor);
      const seenSet = new Set(seen);
      const isNew = (item: Item) => !seenSet.has(feedKey(rowFromItem(item)));
      const scanned = await feedItemsAfter(low, want, isNew);
      const rows = scanned.filter(isNew).map(rowFromItem);
      // Rows written before `readAt - overlap` were visible when this read began, so everything up to
      // there was returned now or before; when the read stopped at the limit, only up to where it got.
      const reachedEnd = rows.length < want;
      const lastScanned = scanned.length > 0 ? num(scanned[scanned.length - 1]!, 'chsk') : low;
      const nextLow = Math.max(low, reachedEnd ? readAt - overlapUnits : Math.min(readAt - overlapUnits, lastScanned - 1));
      // Keys still inside the window are remembered, so the next read drops them as repeats.
      const kept = new Set(scanned.filter((item) => num(item, 'chsk') > nextLow).map((item) => feedKey(rowFromItem(item))));
      if (!reachedEnd) for (const key of seen) kept.add(key); // beyond where this read got
      return { rows, cursor: encodeFeedCursor({ low: nextLow, seen: [...kept] }) };
    },

    async repairReadModels(repairOptions = {}) {
      const cutoff = now() - (repairOptions.olderThanMs ?? 0);
      const markers = await queryAll({
        IndexName: indexNames.pending,
        KeyConditionExpression: 'pendpk = :pk AND pendsk < :cutoff',
        ExpressionAttributeValues: { ':pk': S('pending'), ':cutoff': S(`${String(Math.max(0, cutoff) + 1).padStart(15, '0')}`) },
      });
      const report: RepairReport = { checked: 0, repaired: [], failed: [] };
      for (const marker of markers) {
        const stream = marker.pk?.S;
        const firstSeq = marker.sk?.N;
        if (stream === undefined || firstSeq === undefined) continue;
        report.checked += 1;
        try {
          const row = toReadModel(stream, fold(stream, await read(stream)));
          if (await putViewForward(row)) report.repaired.push(stream);
          await clearPending(stream, Number(firstSeq));
        } catch (error) {
          report.failed.push({ stream, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      return report;
    },

    async reconcileCounts() {
      const report: CountsReport = { checked: 0, corrected: [] };
      for (const kind of Object.keys(statesOf) as StreamKind[]) {
        for (const [index, state] of statesOf[kind].entries()) {
          for (const shard of allShards) {
            report.checked += 1;
            const Key = countKey(kind, index, shard);
            const stored = async () => {
              const out = await call('GetItem', () => client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true })));
              const item = out.Item as Item | undefined;
              return { n: item?.n?.N === undefined ? 0 : Number(item.n.N), mv: item?.mv?.S, mt: item?.mt?.N === undefined ? 0 : Number(item.mt.N) };
            };
            const seen = await stored();
            if (now() - seen.mt < countQuietMs) continue; // a recent move's row may not be in the index yet
            const counted = await countIndex(byStateKey(kind, state, shard));
            if (counted === seen.n) continue;
            // Only when no move landed on this shard since it was read (its last move is unchanged).
            try {
              await call(
                'UpdateItem',
                () =>
                  client.send(
                    new UpdateItemCommand({
                      TableName,
                      Key,
                      UpdateExpression: 'SET n = :n, #state = :state, mv = :mv, mt = :mt',
                      ConditionExpression: seen.mv === undefined ? 'attribute_not_exists(mv)' : 'mv = :old',
                      ExpressionAttributeNames: { '#state': 'state' },
                      ExpressionAttributeValues: { ':n': N(counted), ':state': S(state), ':mv': S(`reconcile#${randomUUID()}`), ':mt': N(now()), ...(seen.mv === undefined ? {} : { ':old': S(seen.mv) }) },
                    }),
                  ),
                isConditionFailure,
              );
              report.corrected.push({ shard: `${kind}#${state}#${shard}`, stored: seen.n, counted });
            } catch (error) {
              if (!isConditionFailure(error)) throw error;
            }
          }
        }
      }
      return report;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (ownClient) client.destroy();
    },
  };
}
