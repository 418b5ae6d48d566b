/**
 * The Lease port on the event store's DynamoDB table: one item (`pk` = `lease#<name>`, `sk` = 0)
 * with its holder and expiry, taken by a conditional put that succeeds only when the item is absent,
 * lapsed or already ours. Expiry compares the writers' clocks: keep the ttl well above their skew
 * (EC2 instances keep NTP time within milliseconds; the default ttl is 15 s).
 */
import type { DynamoDBClient} from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Lease, LeaseState } from '../ports.ts';
import { callAws, hasCode, type RetryOptions } from './awsErrors.ts';
import { N, S } from './dynamo/items.ts';

export interface DynamoLeaseOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The lease's name (default `supervisor`). */
  name?: string;
  now?: () => number;
  retry?: RetryOptions;
}

export function createDynamoLease(options: DynamoLeaseOptions): Lease {
  const { client, tableName: TableName } = options;
  const Key = { pk: S(`lease#${options.name ?? 'supervisor'}`), sk: N(0) };
  const now = options.now ?? Date.now;
  const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException || hasCode(error, 'ConditionalCheckFailedException');
  let closed = false;
  const call = <T>(operation: string, fn: () => Promise<T>) => {
    if (closed) return Promise.reject(new Error('the lease store is closed'));
    return callAws({ service: 'DynamoDB', operation, resource: `table ${TableName}` }, fn, { ...options.retry, passThrough: isConditionFailure });
  };

  return {
    async acquire(holder, ttlMs) {
      const at = now();
      try {
        await call('PutItem', () =>
          client.send(
            new PutItemCommand({
              TableName,
              Item: { ...Key, holder: S(holder), expiresAt: N(at + Math.max(1, Math.round(ttlMs))) },
              // A retried put of ours meets `holder = :me` and succeeds again: no misread conflict.
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR holder = :me',
              ExpressionAttributeValues: { ':now': N(at), ':me': S(holder) },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async release(holder) {
      try {
        await call('DeleteItem', () =>
          client.send(new DeleteItemCommand({ TableName, Key, ConditionExpression: 'holder = :me', ExpressionAttributeValues: { ':me': S(holder) } })),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
    async current(): Promise<LeaseState | undefined> {
      const out = await call('GetItem', () => client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true })));
      const holder = out.Item?.holder?.S;
      const expiresAtMs = Number(out.Item?.expiresAt?.N ?? 0);
      return holder !== undefined && expiresAtMs > now() ? { holder, expiresAtMs } : undefined;
    },
    async close() {
      closed = true; // the client belongs to the runtime
    },
  };
}
