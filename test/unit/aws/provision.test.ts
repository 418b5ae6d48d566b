/**
 * Provisioning with mocked SDK clients: a dry run never calls a create API and still prints the plan
 * without credentials; a real run creates only what is missing, dead-letter queue first.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { provisionAws, type ProvisionPlan } from '../../../adapters/aws/provision.ts';
import { eventTableDefinition } from '../../../adapters/aws/dynamo/schema.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const region = 'eu-west-1';
const meta = { $metadata: {} };
const plan: ProvisionPlan = {
  region,
  queues: [
    { name: 'ff-requests-dead', visibilityTimeoutSeconds: 30 },
    { name: 'ff-requests', visibilityTimeoutSeconds: 30, deadLetter: { name: 'ff-requests-dead', maxReceives: 3 } },
  ],
  buckets: ['ff-blobs'],
  tables: ['ff-events'],
};

describe('provisionAws', () => {
  const sqs = new SQSClient({ region });
  const s3 = new S3Client({ region });
  const dynamodb = new DynamoDBClient({ region });
  const mocks = [mockClient(sqs), mockClient(s3), mockClient(dynamodb)] as const;
  const [sqsMock, s3Mock, dynamoMock] = mocks;
  afterEach(() => mocks.forEach((m) => m.reset()));

  describe('given no credentials', () => {
    it('when it is a dry run, then every step is reported unknown and nothing is created', async () => {
      const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      for (const mock of mocks) (mock as ReturnType<typeof mockClient>).onAnyCommand().rejects(noCredentials);
      const lines: string[] = [];
      const steps = await provisionAws(plan, { sqs, s3, dynamodb }, { dryRun: true, onStep: (s) => lines.push(`${s.kind} ${s.name} ${s.status}`) });
      assert.deepEqual(lines, ['queue ff-requests-dead unknown', 'queue ff-requests unknown', 'bucket ff-blobs unknown', 'table ff-events unknown']);
      assert.match(steps[0]?.detail ?? '', /not checked: no usable AWS credentials; would be created if missing/);
    });

    it('when it is a real run, then it stops with the credentials message', async () => {
      sqsMock.onAnyCommand().rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
      await assert.rejects(provisionAws(plan, { sqs, s3, dynamodb }), /no usable AWS credentials/);
    });
  });

  describe('given an empty account', () => {
    it('when it is a dry run, then it plans to create everything and calls no create API', async () => {
      sqsMock.on(GetQueueUrlCommand).rejects(new QueueDoesNotExist({ message: 'no', ...meta }));
      s3Mock.on(HeadBucketCommand).rejects(new NotFound({ message: 'Not Found', ...meta }));
      dynamoMock.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'no', ...meta }));
      const steps = await provisionAws(plan, { sqs, s3, dynamodb }, { dryRun: true });
      assert.deepEqual(steps.map((s) => s.status), ['would-create', 'would-create', 'would-create', 'would-create']);
      assert.equal(steps[1]?.detail, 'redrive to ff-requests-dead after 3 receives');
      assert.equal(sqsMock.commandCalls(CreateQueueCommand).length, 0);
      assert.equal(s3Mock.commandCalls(CreateBucketCommand).length, 0);
      assert.equal(dynamoMock.commandCalls(CreateTableCommand).length, 0);
    });

    it('when it runs, then the dead-letter queue comes first and the request queue redrives to its ARN', async () => {
      sqsMock.on(GetQueueUrlCommand).rejects(new QueueDoesNotExist({ message: 'no', ...meta }));
      sqsMock.on(CreateQueueCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: `https://sqs/${input.QueueName}` }));
      sqsMock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({ Attributes: { QueueArn: `arn:aws:sqs:${region}:1:${input.QueueUrl.split('/').pop()}` } }));
      s3Mock.on(HeadBucketCommand).rejects(new NotFound({ message: 'Not Found', ...meta }));
      s3Mock.on(CreateBucketCommand).resolves({});
      dynamoMock.on(DescribeTableCommand).rejectsOnce(new ResourceNotFoundException({ message: 'no', ...meta })).resolves({
        Table: { TableStatus: 'ACTIVE', GlobalSecondaryIndexes: eventTableDefinition('ff-events').GlobalSecondaryIndexes?.map((i) => ({ IndexName: i.IndexName, IndexStatus: 'ACTIVE' })) },
      });
      dynamoMock.on(CreateTableCommand).resolves({});
      const steps = await provisionAws(plan, { sqs, s3, dynamodb }, { sleep: async () => undefined });
      assert.deepEqual(steps.map((s) => `${s.name} ${s.status}`), ['ff-requests-dead created', 'ff-requests created', 'ff-blobs created', 'ff-events created']);
      const created = sqsMock.commandCalls(CreateQueueCommand).map((c) => c.args[0].input);
      assert.deepEqual(created.map((q) => q.QueueName), ['ff-requests-dead', 'ff-requests']);
      assert.deepEqual(JSON.parse(created[1]?.Attributes?.RedrivePolicy ?? '{}'), { deadLetterTargetArn: `arn:aws:sqs:${region}:1:ff-requests-dead`, maxReceiveCount: '3' });
      assert.deepEqual(s3Mock.commandCalls(CreateBucketCommand)[0]?.args[0].input.CreateBucketConfiguration, { LocationConstraint: region });
      assert.equal(dynamoMock.commandCalls(CreateTableCommand)[0]?.args[0].input.BillingMode, 'PAY_PER_REQUEST');
    });
  });
});
