/** The DynamoDB lease (an item of the event table, on dynalite) against the shared Lease conformance suite. */
import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoLease } from '../../adapters/aws/dynamoLease.ts';
import { ensureTable } from '../../adapters/aws/provision.ts';
import { startDynaliteEmulator, type Dynalite } from '../support/emulators.ts';
import { leaseConformance } from './lease.suite.ts';

let emulator: Promise<Dynalite> | undefined;
const dynalite = () => (emulator ??= startDynaliteEmulator());
after(async () => {
  if (emulator) await (await emulator).stop();
});

leaseConformance('dynamodb (dynalite)', async (clock) => {
  const { dynamodb } = await dynalite();
  const tableName = `ff-lease-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamodb, tableName);
  return {
    a: createDynamoLease({ client: dynamodb, tableName, now: clock.now }),
    b: createDynamoLease({ client: dynamodb, tableName, now: clock.now }),
    cleanup: async () => {
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
    },
  };
});
