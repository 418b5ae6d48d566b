/**
 * Converting between our records and DynamoDB items (hand-written: the table has few attributes, and
 * event data and contexts are stored as JSON strings so that nulls, empty strings and numbers come
 * back exactly as they went in).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { shardOf } from './schema.ts';
import type { NewEvent, ReadModelRow, StoredEvent, StreamKind } from '../../../machines/index.ts';

export type Item = Record<string, AttributeValue>;

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });

export function str(item: Item, name: string): string {
  const value = item[name];
  if (!value || value.S === undefined) throw new Error(`item attribute ${name} is not a string`);
  return value.S;
}

export function num(item: Item, name: string): number {
  const value = item[name];
  if (!value || value.N === undefined) throw new Error(`item attribute ${name} is not a number`);
  return Number(value.N);
}

/** The read model item's partition key. */
export function viewKey(kind: StreamKind, id: string): Item {
  return { pk: S(`view#${kind}#${id}`), sk: N(0) };
}

/** `<createdAt>#<id>`: newest first when sorted descending; unique per row. */
export function listSortKey(row: Pick<ReadModelRow, 'createdAt' | 'id'>): string {
  return `${row.createdAt}#${row.id}`;
}

/** The partition key of a state's shard in the byState index. */
export const byStateKey = (kind: StreamKind, state: string, shard: number) => `${kind}#${state}#${shard}`;
/** The partition key of a shard in the byKind index. */
export const byKindKey = (kind: StreamKind, shard: number) => `${kind}#${shard}`;
/** The partition key of a shard in the changes index. */
export const changesKey = (shard: number) => `changes#${shard}`;

/** The partition of one count shard of a kind: its items are that shard's count per state. */
export const countPartition = (kind: StreamKind, shard: number) => `count#${kind}#${shard}`;

/** The key of a count item: a partition per kind and shard (no partition takes every count move), an item per state. */
export function countKey(kind: StreamKind, stateIndex: number, shard: number): Item {
  return { pk: S(countPartition(kind, shard)), sk: N(stateIndex) };
}

/**
 * The item of a read model row, with its index keys and change seq; `writeId` names the write, so a
 * retried put whose answer was lost recognises its own row.
 */
export function viewItem(row: ReadModelRow, changeSeq: number, writeId?: string): Item {
  const shard = shardOf(row.id);
  return {
    ...(writeId ? { wid: S(writeId) } : {}),
    ...viewKey(row.kind, row.id),
    kind: S(row.kind),
    id: S(row.id),
    stream: S(row.stream),
    state: S(row.state),
    seq: N(row.seq),
    createdAt: S(row.createdAt),
    updatedAt: S(row.updatedAt),
    context: S(JSON.stringify(row.context)),
    gsi1pk: S(byStateKey(row.kind, row.state, shard)),
    gsi1sk: S(listSortKey(row)),
    gsi2pk: S(byKindKey(row.kind, shard)),
    gsi2sk: S(listSortKey(row)),
    chpk: S(changesKey(shard)),
    chsk: N(changeSeq),
  };
}

export function rowFromItem(item: Item): ReadModelRow {
  return {
    kind: str(item, 'kind') as StreamKind,
    id: str(item, 'id'),
    stream: str(item, 'stream'),
    state: str(item, 'state'),
    seq: num(item, 'seq'),
    createdAt: str(item, 'createdAt'),
    updatedAt: str(item, 'updatedAt'),
    context: JSON.parse(str(item, 'context')) as Record<string, unknown>,
  };
}

/** `<ms, 15 digits>#<stream>#<seq>`: the pending index sorts markers by when they were written. */
export function pendingSortKey(writtenAtMs: number, stream: string, firstSeq: number): string {
  return `${String(writtenAtMs).padStart(15, '0')}#${stream}#${firstSeq}`;
}

/** The item of one append: the events `firstSeq … firstSeq + n - 1` of a stream, with the append's id (a retry recognises its own write). */
export function commitItem(stream: string, firstSeq: number, events: readonly NewEvent[], writtenAtMs: number, pending: boolean, appendId?: string): Item {
  const item: Item = {
    ...(appendId ? { appendId: S(appendId) } : {}),
    pk: S(stream),
    sk: N(firstSeq),
    last: N(firstSeq + events.length - 1),
    events: S(JSON.stringify(events.map((e) => ({ type: e.type, at: e.at, data: e.data })))),
    writtenAt: N(writtenAtMs),
  };
  if (pending) {
    item.pendpk = S('pending');
    item.pendsk = S(pendingSortKey(writtenAtMs, stream, firstSeq));
  }
  return item;
}

/** The stored events of a commit item. */
export function eventsFromCommit(item: Item): StoredEvent[] {
  const stream = str(item, 'pk');
  const first = num(item, 'sk');
  const events = JSON.parse(str(item, 'events')) as Array<Pick<StoredEvent, 'type' | 'at' | 'data'>>;
  return events.map((e, i) => ({ stream, seq: first + i, type: e.type, at: e.at, data: e.data }));
}
