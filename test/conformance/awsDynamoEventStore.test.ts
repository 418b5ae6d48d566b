/**
 * The DynamoDB event store on dynalite (in-process, 127.0.0.1): the shared EventStore conformance
 * suite on a table created by the provisioning code, then what only this store adds — a read model
 * left behind by a process that died between the append and the row write is found and repaired.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { DeleteTableCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { AwsError } from '../../adapters/aws/awsErrors.ts';
import { createDynamoEventStore } from '../../adapters/aws/dynamoEventStore.ts';
import { indexNames } from '../../adapters/aws/dynamo/schema.ts';
import { ensureTable } from '../../adapters/aws/provision.ts';
import { fold, toReadModel, VersionConflictError, type NewEvent } from '../../machines/index.ts';
import { startDynaliteEmulator, type Dynalite } from '../support/emulators.ts';
import { eventStoreConformance } from './eventStore.suite.ts';

let emulator: Promise<Dynalite> | undefined;
let table: Promise<string> | undefined;
const dynalite = () => (emulator ??= startDynaliteEmulator());
/** One table for the cases below: each uses its own stream names. */
const sharedTable = () =>
  (table ??= dynalite().then(async ({ dynamodb }) => {
    const name = `ff-events-${randomUUID().slice(0, 8)}`;
    assert.equal((await ensureTable(dynamodb, name)).status, 'created');
    return name;
  }));
after(async () => {
  if (emulator) await (await emulator).stop();
});

// Lists and counts see the whole table: each case gets its own (dynalite creates one in milliseconds).
eventStoreConformance('dynamodb (dynalite)', async () => {
  const { dynamodb } = await dynalite();
  const tableName = `ff-events-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamodb, tableName);
  return {
    store: createDynamoEventStore({ client: dynamodb, tableName }),
    cleanup: async () => {
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
    },
  };
});

const uid = () => randomUUID().replaceAll('-', '').slice(0, 12);
const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
const submitted = (jobId: string): NewEvent => ({ type: 'JobSubmitted', at: at(1), data: { jobId, imageKey: `images/${jobId}`, fileName: 'a.jpg', contentType: 'image/jpeg', bytes: 10, source: 'v1', maxAttempts: 3 } });

describe('DynamoDB event store (dynalite): what only this store adds', () => {
  describe('given a table that was never provisioned', () => {
    it('when it is read, then the error names the table and says to run facefleet provision', async () => {
      const { dynamodb } = await dynalite();
      const store = createDynamoEventStore({ client: dynamodb, tableName: 'ff-never-created' });
      await assert.rejects(store.read('job-x'), (error: unknown) => {
        assert.ok(error instanceof AwsError);
        assert.match(error.message, /table ff-never-created does not exist; run `facefleet provision --backend aws`/);
        return true;
      });
    });
  });

  describe('given a provisioned table', () => {
    it('when provisioning runs again, then the table is reported as existing', async () => {
      const { dynamodb } = await dynalite();
      assert.equal((await ensureTable(dynamodb, await sharedTable())).status, 'exists');
    });
  });

  describe('given a job whose read-model write never happened (the process died after the append)', () => {
    it('when repairReadModels runs, then the row is rebuilt from the fold and the marker is gone', async () => {
      const { dynamodb } = await dynalite();
      const tableName = await sharedTable();
      const jobId = uid();
      const stream = `job-${jobId}`;
      const events = [submitted(jobId)];
      // The row write fails: the events are stored, the append still succeeds.
      const failures: string[] = [];
      let failRowWrite = true;
      const flaky = Object.create(dynamodb) as typeof dynamodb;
      flaky.send = ((command: unknown, ...rest: unknown[]) => {
        // The row step's write is the read-model item (pk view#…).
        if (failRowWrite && command instanceof PutItemCommand && String(command.input.Item?.pk?.S).startsWith('view#')) {
          return Promise.reject(Object.assign(new Error('connection reset'), { name: 'ValidationException' }));
        }
        return (dynamodb.send as (...args: unknown[]) => unknown)(command, ...rest);
      }) as typeof dynamodb.send;
      const store = createDynamoEventStore({ client: flaky, tableName, onReadModelError: (s) => failures.push(s) });
      const row = toReadModel(stream, fold(stream, [{ ...events[0]!, stream, seq: 1 }]));
      const result = await store.append(stream, 0, events, row);
      assert.equal(result.seq, 1);
      assert.deepEqual(failures, [stream]);
      assert.equal(await store.get('job', jobId), undefined, 'the row is behind its stream');

      failRowWrite = false;
      const report = await store.repairReadModels();
      assert.ok(report.repaired.includes(stream), JSON.stringify(report));
      assert.deepEqual(report.failed, []);
      assert.deepEqual(await store.get('job', jobId), row);
      const pending = await dynamodb.send(new QueryCommand({ TableName: tableName, IndexName: indexNames.pending, KeyConditionExpression: 'pendpk = :p', ExpressionAttributeValues: { ':p': { S: 'pending' } } }));
      assert.equal((pending.Items ?? []).filter((i) => i.pk?.S === stream).length, 0);
      assert.equal((await store.repairReadModels()).repaired.includes(stream), false, 'a second run finds nothing to do');
    });
  });

  describe('given appends whose rows were written', () => {
    it('when repairReadModels runs, then nothing is pending for them', async () => {
      const { dynamodb } = await dynalite();
      const store = createDynamoEventStore({ client: dynamodb, tableName: await sharedTable() });
      const jobId = uid();
      const stream = `job-${jobId}`;
      await store.append(stream, 0, [submitted(jobId)], toReadModel(stream, fold(stream, [{ ...submitted(jobId), stream, seq: 1 }])));
      const report = await store.repairReadModels();
      assert.equal(report.repaired.includes(stream), false);
    });
  });

  describe('given an append whose put committed but whose answer was lost (a timeout, then a retry)', () => {
    it('when the retry fails its condition, then the store recognises its own write and the append succeeds', async () => {
      const { dynamodb } = await dynalite();
      const tableName = await sharedTable();
      const jobId = uid();
      const stream = `job-${jobId}`;
      let lostAnswers = 0;
      const flaky = Object.create(dynamodb) as typeof dynamodb;
      flaky.send = (async (command: unknown, ...rest: unknown[]) => {
        const result = await (dynamodb.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
        // The commit item reaches the table; its answer does not (a 500 the caller retries).
        if (lostAnswers === 0 && command instanceof PutItemCommand && command.input.Item?.pk?.S === stream) {
          lostAnswers += 1;
          throw Object.assign(new Error('socket hang up after the write'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
        }
        return result;
      }) as typeof dynamodb.send;
      const store = createDynamoEventStore({ client: flaky, tableName, retry: { sleep: async () => undefined } });
      const row = toReadModel(stream, fold(stream, [{ ...submitted(jobId), stream, seq: 1 }]));
      const result = await store.append(stream, 0, [submitted(jobId)], row);
      assert.equal(lostAnswers, 1, 'the first answer was lost');
      assert.equal(result.seq, 1);
      assert.equal((await store.read(stream)).length, 1);
      assert.deepEqual(await store.get('job', jobId), row);
    });

    it('when another writer took the seq, then it is still a conflict', async () => {
      const { dynamodb } = await dynalite();
      const store = createDynamoEventStore({ client: dynamodb, tableName: await sharedTable() });
      const jobId = uid();
      const stream = `job-${jobId}`;
      await store.append(stream, 0, [submitted(jobId)]);
      await assert.rejects(store.append(stream, 0, [submitted(jobId)]), VersionConflictError);
    });
  });
});
