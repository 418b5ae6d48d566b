/**
 * The one DynamoDB table of the event store: its key schema, its four global secondary indexes and
 * the shape of the kinds of item it holds. Shared by the store and by provisioning.
 *
 * | item        | pk                   | sk        | what                                              |
 * |-------------|----------------------|-----------|---------------------------------------------------|
 * | commit      | `job-…`/`instance-…` | first seq | the events of one append (`last`, `events` JSON)  |
 * | read model  | `view#<kind>#<id>`   | 0         | the row (`state`, `seq`, `context` JSON, …)       |
| count       | `count#<kind>#<shard>` | state index | `n`: rows of that kind in `state` whose id falls in that shard |
 *
 * Indexes (all sparse: an item appears only when it has the index's key attributes):
 * - `byState` (`gsi1pk` = `<kind>#<state>#<shard>`, `gsi1sk` = `<createdAt>#<id>`): list by state;
 * - `byKind`  (`gsi2pk` = `<kind>#<shard>`,         `gsi2sk` = `<createdAt>#<id>`): list of a kind;
 * - `changes` (`chpk` = `changes#<shard>`,          `chsk` = change position, a number: the writer's clock in
 *   µs when the row was written, no shared counter): the change feed, read with an overlap window;
 *
 * `<shard>` = hash(id) % `indexShards`: no index partition takes every write (a GSI partition key
 * shared by every row is a hot key); readers query each shard and merge by sort key. The shard
 * count is part of the data layout: changing it needs the rows rewritten.
 * - `pending` (`pendpk` = `pending`,        `pendsk` = `<written ms>#<stream>#<seq>`): commits whose
 *   read model may not be written yet (the marker is removed right after the read-model write).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** How many partitions each index key (and each state's counter) is spread over. */
export const indexShards = 8;

/** The shard of a row: FNV-1a of its id, modulo `indexShards` (stable across processes and versions). */
export function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % indexShards;
}

/** Every shard number, for readers that merge them. */
export const allShards: readonly number[] = Array.from({ length: indexShards }, (_, i) => i);

export const indexNames = {
  byState: 'byState',
  byKind: 'byKind',
  changes: 'changes',
  pending: 'pending',
} as const;

/** The CreateTable input for the event store table (on-demand capacity). */
export function eventTableDefinition(tableName: string): CreateTableCommandInput {
  const stringKey = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  const index = (IndexName: string, pk: string, sk: string, keysOnly = false) => ({
    IndexName,
    KeySchema: [
      { AttributeName: pk, KeyType: 'HASH' as const },
      { AttributeName: sk, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: keysOnly ? ('KEYS_ONLY' as const) : ('ALL' as const) },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      stringKey('pk'),
      { AttributeName: 'sk', AttributeType: 'N' },
      stringKey('gsi1pk'),
      stringKey('gsi1sk'),
      stringKey('gsi2pk'),
      stringKey('gsi2sk'),
      stringKey('chpk'),
      { AttributeName: 'chsk', AttributeType: 'N' },
      stringKey('pendpk'),
      stringKey('pendsk'),
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      index(indexNames.byState, 'gsi1pk', 'gsi1sk'),
      index(indexNames.byKind, 'gsi2pk', 'gsi2sk'),
      index(indexNames.changes, 'chpk', 'chsk'),
      index(indexNames.pending, 'pendpk', 'pendsk', true),
    ],
  };
}

/** The names of the indexes the table must have. */
export const requiredIndexes: readonly string[] = Object.values(indexNames);
