/**
 * The AWS adapters' error handling, with the SDK clients mocked (aws-sdk-client-mock): each failure
 * kind becomes one clear sentence with the SDK error as `cause`, and throttling is retried with
 * backoff before it succeeds (or gives up with a clear message).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { EC2Client, EC2ServiceException, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { NoSuchKey, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { QueueDoesNotExist, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsError, callAws } from '../../../adapters/aws/awsErrors.ts';
import { createDynamoEventStore } from '../../../adapters/aws/dynamoEventStore.ts';
import { createEc2Compute } from '../../../adapters/aws/ec2Compute.ts';
import { createS3Blobs } from '../../../adapters/aws/s3Blobs.ts';
import { createSqsQueue } from '../../../adapters/aws/sqsQueue.ts';
import { NotFoundError, VersionConflictError } from '../../../machines/errors.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const region = 'eu-west-1';
const meta = { $metadata: {} };
const sdkError = (name: string, message = name, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const noSleep = { sleep: async () => undefined };

/** Asserts an AwsError of this kind whose message matches. */
const awsError = (kind: AwsError['kind'], message: RegExp) => (error: unknown) => {
  assert.ok(error instanceof AwsError, `expected an AwsError, got ${String(error)}`);
  assert.equal(error.kind, kind);
  assert.match(error.message, message);
  assert.ok(error.cause, 'keeps the SDK error as cause');
  return true;
};

describe('AWS errors', () => {
  const sqs = new SQSClient({ region });
  const sqsMock = mockClient(sqs);
  const dynamodb = new DynamoDBClient({ region });
  const dynamoMock = mockClient(dynamodb);
  const ec2 = new EC2Client({ region });
  const ec2Mock = mockClient(ec2);
  const s3 = new S3Client({ region });
  const s3Mock = mockClient(s3);
  afterEach(() => {
    sqsMock.reset();
    dynamoMock.reset();
    ec2Mock.reset();
    s3Mock.reset();
  });

  describe('given no credentials', () => {
    it('when a queue is used, then the error says how to give credentials', async () => {
      sqsMock.on(SendMessageCommand).rejects(sdkError('CredentialsProviderError', 'Could not load credentials from any providers'));
      const queue = createSqsQueue({ client: sqs, queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/facefleet-requests' });
      await assert.rejects(queue.send('x'), awsError('credentials', /SQS SendMessage on queue facefleet-requests failed: no usable AWS credentials \(set AWS_PROFILE or AWS_ACCESS_KEY_ID/));
      assert.equal(sqsMock.commandCalls(SendMessageCommand).length, 1, 'not retried');
    });
  });

  describe('given no region', () => {
    it('when the table is read, then the error says to set the region', async () => {
      dynamoMock.on(QueryCommand).rejects(new Error('Region is missing'));
      const store = createDynamoEventStore({ client: dynamodb, tableName: 'facefleet-events' });
      await assert.rejects(store.read('job-1'), awsError('region', /no AWS region is set \(set aws.region in the config or AWS_REGION\)/));
    });
  });

  describe('given resources that were never provisioned', () => {
    it('when the queue is missing, then the error names it and says to run facefleet provision', async () => {
      sqsMock.on(ReceiveMessageCommand).rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', ...meta }));
      const queue = createSqsQueue({ client: sqs, queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/facefleet-requests' });
      await assert.rejects(queue.receive({ waitSeconds: 1 }), awsError('missing-resource', /queue facefleet-requests does not exist; run `facefleet provision --backend aws` to create it/));
    });

    it('when the table is missing, then the error names it and says to run facefleet provision', async () => {
      dynamoMock.on(GetItemCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', ...meta }));
      const store = createDynamoEventStore({ client: dynamodb, tableName: 'facefleet-events' });
      await assert.rejects(store.get('job', 'x'), awsError('missing-resource', /DynamoDB GetItem on table facefleet-events failed: table facefleet-events does not exist; run `facefleet provision --backend aws`/));
    });

    it('when an object is missing, then it is NotFoundError, not an AWS failure', async () => {
      s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', ...meta }));
      await assert.rejects(createS3Blobs({ client: s3, bucket: 'b' }).getBytes('images/x'), NotFoundError);
    });
  });

  describe('given credentials without the permission', () => {
    it('when the table is written, then the error says which call was denied and points at the policy', async () => {
      dynamoMock.on(PutItemCommand).rejects(sdkError('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: dynamodb:PutItem'));
      const store = createDynamoEventStore({ client: dynamodb, tableName: 'facefleet-events' });
      await assert.rejects(
        store.append('job-1', 0, [{ type: 'A', at: '2025-01-01T00:00:00.000Z', data: {} }]),
        awsError('access-denied', /DynamoDB PutItem on table facefleet-events was denied: the credentials lack this permission \(attach deploy\/aws\/iam-policy.json\): User: .* dynamodb:PutItem/),
      );
    });

    it('when EC2 refuses a launch (UnauthorizedOperation), then the error says so', async () => {
      ec2Mock.on(RunInstancesCommand).rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', message: 'You are not authorized to perform this operation.', ...meta }));
      const compute = createEc2Compute({ client: ec2, launch: { imageId: 'ami-12345678' }, retry: noSleep });
      await assert.rejects(compute.launch({ instanceIds: ['a'] }), awsError('access-denied', /EC2 RunInstances on instance a was denied/));
    });
  });

  describe('given EC2 without capacity', () => {
    it('when a launch fails with InsufficientInstanceCapacity, then the error says to try another type or subnet, and it is not retried', async () => {
      ec2Mock.on(RunInstancesCommand).rejects(new EC2ServiceException({ name: 'InsufficientInstanceCapacity', $fault: 'server', message: 'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested.', ...meta }));
      const compute = createEc2Compute({ client: ec2, launch: { imageId: 'ami-12345678' }, retry: noSleep });
      await assert.rejects(compute.launch({ instanceIds: ['a'] }), awsError('capacity', /EC2 has no capacity or quota for this launch \(InsufficientInstanceCapacity\); try another instance type or subnet/));
      assert.equal(ec2Mock.commandCalls(RunInstancesCommand).length, 1);
    });
  });

  describe('given throttling', () => {
    it('when the first two calls are throttled, then the third succeeds after growing backoffs', async () => {
      ec2Mock
        .on(RunInstancesCommand)
        .rejectsOnce(sdkError('RequestLimitExceeded', 'Request limit exceeded.', 503))
        .rejectsOnce(sdkError('RequestLimitExceeded', 'Request limit exceeded.', 503))
        .resolves({ Instances: [{ InstanceId: 'i-0abc' }] });
      const sleeps: number[] = [];
      const compute = createEc2Compute({ client: ec2, launch: { imageId: 'ami-12345678' }, retry: { baseMs: 100, random: () => 1, sleep: async (ms) => void sleeps.push(ms) } });
      assert.deepEqual(await compute.launch({ instanceIds: ['a'] }), [{ instanceId: 'a', providerId: 'i-0abc' }]);
      assert.deepEqual(sleeps, [100, 200]);
      // Every retry carries the same ClientToken, so EC2 starts one instance however often we ask.
      const tokens = ec2Mock.commandCalls(RunInstancesCommand).map((c) => c.args[0].input.ClientToken);
      assert.deepEqual(new Set(tokens).size, 1);
    });

    it('when SQS throttles every time, then it gives up after the attempts with a clear message', async () => {
      sqsMock.on(SendMessageCommand).rejects(sdkError('RequestThrottled', 'Rate exceeded'));
      const queue = createSqsQueue({ client: sqs, queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', retry: { attempts: 3, ...noSleep } });
      await assert.rejects(queue.send('x'), awsError('throttled', /SQS SendMessage on queue q was throttled by AWS and still failed after retries: Rate exceeded/));
      assert.equal(sqsMock.commandCalls(SendMessageCommand).length, 3);
    });

    it('when a server error is followed by success, then the caller sees only the success', async () => {
      let calls = 0;
      const value = await callAws({ service: 'S3', operation: 'PutObject' }, async () => {
        calls += 1;
        if (calls === 1) throw sdkError('InternalError', 'We encountered an internal error.', 500);
        return 'ok';
      }, noSleep);
      assert.equal(value, 'ok');
      assert.equal(calls, 2);
    });
  });

  describe('given a condition that fails on append', () => {
    it('when two writers race, then the loser gets VersionConflictError, not an AWS error', async () => {
      dynamoMock.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta }));
      dynamoMock.on(QueryCommand).resolves({ Items: [{ last: { N: '1' } }] });
      // The item at that key is the other writer's (another append id): a real conflict, not our retry.
      dynamoMock.on(GetItemCommand).resolves({ Item: { appendId: { S: 'the-other-writer' } } });
      const store = createDynamoEventStore({ client: dynamodb, tableName: 't' });
      await assert.rejects(store.append('job-1', 0, [{ type: 'A', at: '2025-01-01T00:00:00.000Z', data: {} }]), VersionConflictError);
      assert.equal(dynamoMock.commandCalls(PutItemCommand).length, 1, 'a conflict is never retried');
    });
  });
});
