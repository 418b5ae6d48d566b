/**
 * The one DynamoDB table of the event store: its key schema, its four global secondary indexes and
 * the shape of the kinds of item it holds. Shared by the store and by provisioning.
 *
 * | item        | pk                   | sk        | what                                              |
 * |-------------|----------------------|-----------|---------------------------------------------------|
 * | commit      | `job-…`/`instance-…` | first seq | the events of one append (`last`, `events` JSON)  |
 * | read model  | `view#<kind>#<id>`   | 0         | the row (`state`, `seq`, `context` JSON, …)       |
 *
 * Indexes (all sparse: an item appears only when it has the index's key attributes):
 * - `byState` (`gsi1pk` = `<kind>#<state>`, `gsi1sk` = `<createdAt>#<id>`): list by state, counts;
 * - `byKind`  (`gsi2pk` = `<kind>`,         `gsi2sk` = `<createdAt>#<id>`): list of a kind;
 * - `changes` (`chpk` = `changes`,          `chsk` = change position, a number: the writer's clock in
 *   µs when the row was written, no shared counter): the change feed, read with an overlap window;
 * - `pending` (`pendpk` = `pending`,        `pendsk` = `<written ms>#<stream>#<seq>`): commits whose
 *   read model may not be written yet (the marker is removed right after the read-model write).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

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
