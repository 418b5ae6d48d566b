/**
 * Idempotent provisioning of the AWS resources facefleet uses: the queues (the request queue with a
 * RedrivePolicy to its dead-letter queue), the bucket, and the event table with its indexes. Each
 * step first looks (GetQueueUrl, HeadBucket, DescribeTable), then creates or corrects only what is
 * missing. A dry run only looks; when it cannot look (no credentials, no network) it still reports
 * the plan, marking those steps `unknown`.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { CreateBucketCommand, HeadBucketCommand, type BucketLocationConstraint, type S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DescribeTableCommand, UpdateTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { AwsError, callAws, classify, errorCode, hasCode, wrapAwsError } from './awsErrors.ts';
import { eventTableDefinition } from './dynamo/schema.ts';

export interface QueueSpec {
  name: string;
  visibilityTimeoutSeconds: number;
  /** Seconds a message is kept (default 4 days; dead-letter queues: 14 days). */
  retentionSeconds?: number;
  /** The queue's dead-letter queue, which must come earlier in the plan. */
  deadLetter?: { name: string; maxReceives: number };
}

export interface ProvisionPlan {
  region: string;
  /** In creation order: dead-letter queues before the queues that point at them. */
  queues: QueueSpec[];
  buckets: string[];
  tables: string[];
}

export interface AwsClients {
  sqs: SQSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
}

export type StepStatus = 'exists' | 'created' | 'updated' | 'would-create' | 'would-update' | 'unknown';

export interface ProvisionStep {
  kind: 'queue' | 'bucket' | 'table';
  name: string;
  status: StepStatus;
  /** What was done or would be done, or why the step is unknown. */
  detail?: string;
}

export interface ProvisionOptions {
  dryRun?: boolean;
  /** Told about each step as it finishes (the CLI prints them). */
  onStep?: (step: ProvisionStep) => void;
  /** How long to wait for a new table or index to become ACTIVE, ms (default 5 minutes). */
  waitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The queue attributes a spec asks for (the DLQ's ARN must be known when it has one). */
function queueAttributes(spec: QueueSpec, deadLetterArn: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(spec.retentionSeconds ?? 4 * 24 * 3600),
  };
  if (spec.deadLetter && deadLetterArn) {
    attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: String(spec.deadLetter.maxReceives) });
  }
  return attributes;
}

function sameRedrive(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  try {
    const x = JSON.parse(a) as { deadLetterTargetArn?: string; maxReceiveCount?: string | number };
    const y = JSON.parse(b) as { deadLetterTargetArn?: string; maxReceiveCount?: string | number };
    return x.deadLetterTargetArn === y.deadLetterTargetArn && String(x.maxReceiveCount) === String(y.maxReceiveCount);
  } catch {
    return false;
  }
}

/** Creates the queue or brings its attributes in line; resolves with its URL and ARN. */
export async function ensureQueue(
  sqs: SQSClient,
  spec: QueueSpec,
  options: { dryRun?: boolean; arns?: Map<string, string> } = {},
): Promise<ProvisionStep & { url?: string; arn?: string }> {
  const context = (operation: string) => ({ service: 'SQS', operation, resource: `queue ${spec.name}` });
  const deadLetterArn = spec.deadLetter ? options.arns?.get(spec.deadLetter.name) : undefined;
  let url: string | undefined;
  try {
    url = (await callAws(context('GetQueueUrl'), () => sqs.send(new GetQueueUrlCommand({ QueueName: spec.name })), { passThrough: isMissingQueue })).QueueUrl;
  } catch (error) {
    if (!isMissingQueue(error)) throw error;
  }
  const wanted = queueAttributes(spec, deadLetterArn);
  if (!url) {
    const detail = spec.deadLetter ? `redrive to ${spec.deadLetter.name} after ${spec.deadLetter.maxReceives} receives` : undefined;
    if (options.dryRun) return { kind: 'queue', name: spec.name, status: 'would-create', detail };
    if (spec.deadLetter && !deadLetterArn) throw new Error(`the dead-letter queue ${spec.deadLetter.name} must be provisioned before ${spec.name}`);
    const created = await callAws(context('CreateQueue'), () => sqs.send(new CreateQueueCommand({ QueueName: spec.name, Attributes: wanted })));
    url = created.QueueUrl as string;
    const arn = await queueArn(sqs, spec.name, url);
    options.arns?.set(spec.name, arn);
    return { kind: 'queue', name: spec.name, status: 'created', detail, url, arn };
  }
  const queueUrl = url;
  const current = await callAws(context('GetQueueAttributes'), () =>
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout', 'RedrivePolicy'] })),
  );
  const arn = current.Attributes?.QueueArn ?? '';
  options.arns?.set(spec.name, arn);
  const changes: Record<string, string> = {};
  if (current.Attributes?.VisibilityTimeout !== wanted.VisibilityTimeout) changes.VisibilityTimeout = wanted.VisibilityTimeout as string;
  if (wanted.RedrivePolicy && !sameRedrive(current.Attributes?.RedrivePolicy, wanted.RedrivePolicy)) changes.RedrivePolicy = wanted.RedrivePolicy;
  if (spec.deadLetter && !deadLetterArn && !current.Attributes?.RedrivePolicy) changes.RedrivePolicy = `(to ${spec.deadLetter.name})`;
  if (Object.keys(changes).length === 0) return { kind: 'queue', name: spec.name, status: 'exists', url, arn };
  const detail = `set ${Object.keys(changes).join(', ')}`;
  if (options.dryRun) return { kind: 'queue', name: spec.name, status: 'would-update', detail, url, arn };
  await callAws(context('SetQueueAttributes'), () => sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: changes })));
  return { kind: 'queue', name: spec.name, status: 'updated', detail, url, arn };
}

function isMissingQueue(error: unknown): boolean {
  return hasCode(error, 'AWS.SimpleQueueService.NonExistentQueue', 'QueueDoesNotExist');
}

async function queueArn(sqs: SQSClient, name: string, url: string): Promise<string> {
  const out = await callAws({ service: 'SQS', operation: 'GetQueueAttributes', resource: `queue ${name}` }, () =>
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
  );
  return out.Attributes?.QueueArn ?? '';
}

/** Creates the bucket unless it exists and is ours. */
export async function ensureBucket(s3: S3Client, name: string, region: string, options: { dryRun?: boolean } = {}): Promise<ProvisionStep> {
  const context = (operation: string) => ({ service: 'S3', operation, resource: `bucket ${name}` });
  const missing = (error: unknown) => hasCode(error, 'NotFound', 'NoSuchBucket');
  const taken = (error: unknown) => hasCode(error, 'Forbidden', 'AccessDenied', '403');
  try {
    await callAws(context('HeadBucket'), () => s3.send(new HeadBucketCommand({ Bucket: name })), { passThrough: (e) => missing(e) || taken(e) });
    return { kind: 'bucket', name, status: 'exists' };
  } catch (error) {
    if (taken(error)) {
      throw new AwsError('access-denied', 'HeadBucket', `S3 bucket ${name} exists but is not ours (or these credentials may not see it); choose another name with aws.names.bucket`, { cause: error, resource: `bucket ${name}` });
    }
    if (!missing(error)) throw error;
  }
  if (options.dryRun) return { kind: 'bucket', name, status: 'would-create' };
  try {
    await callAws(
      context('CreateBucket'),
      () =>
        s3.send(
          new CreateBucketCommand({
            Bucket: name,
            CreateBucketConfiguration: region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
          }),
        ),
      { passThrough: (e) => hasCode(e, 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists') },
    );
  } catch (error) {
    if (hasCode(error, 'BucketAlreadyOwnedByYou')) return { kind: 'bucket', name, status: 'exists' };
    if (hasCode(error, 'BucketAlreadyExists')) {
      throw new AwsError('other', 'CreateBucket', `S3 bucket name ${name} is taken by another account (bucket names are global); choose another with aws.names.bucket`, { cause: error, resource: `bucket ${name}` });
    }
    throw error;
  }
  return { kind: 'bucket', name, status: 'created' };
}

/** Creates the event table with its indexes, or adds the indexes it lacks; waits until ACTIVE. */
export async function ensureTable(dynamodb: DynamoDBClient, name: string, options: ProvisionOptions = {}): Promise<ProvisionStep> {
  const context = (operation: string) => ({ service: 'DynamoDB', operation, resource: `table ${name}` });
  const definition = eventTableDefinition(name);
  const missing = (error: unknown) => hasCode(error, 'ResourceNotFoundException');
  const describe = async (): Promise<TableDescription | undefined> => {
    try {
      const out = await callAws(context('DescribeTable'), () => dynamodb.send(new DescribeTableCommand({ TableName: name })), { passThrough: missing });
      return out.Table;
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  };
  const sleep = options.sleep ?? realSleep;
  const waitActive = async () => {
    const deadline = Date.now() + (options.waitMs ?? 300_000);
    for (let delay = 100; ; delay = Math.min(5000, delay * 2)) {
      const table = await describe();
      const ready = table?.TableStatus === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`DynamoDB table ${name} is not ACTIVE after ${Math.round((options.waitMs ?? 300_000) / 1000)} s`);
      await sleep(delay);
    }
  };

  const table = await describe();
  const indexCount = definition.GlobalSecondaryIndexes?.length ?? 0;
  if (!table) {
    if (options.dryRun) return { kind: 'table', name, status: 'would-create', detail: `on-demand, ${indexCount} indexes` };
    await callAws(context('CreateTable'), () => dynamodb.send(new CreateTableCommand(definition)));
    await waitActive();
    return { kind: 'table', name, status: 'created', detail: `on-demand, ${indexCount} indexes` };
  }
  const keys = (table.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  if (keys !== 'pk:HASH,sk:RANGE') throw new Error(`DynamoDB table ${name} exists with another key schema (${keys}); choose another name with aws.names.table`);
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const lacking = (definition.GlobalSecondaryIndexes ?? []).filter((i) => !present.has(i.IndexName));
  if (lacking.length === 0) return { kind: 'table', name, status: 'exists' };
  const detail = `add indexes ${lacking.map((i) => i.IndexName).join(', ')}`;
  if (options.dryRun) return { kind: 'table', name, status: 'would-update', detail };
  await waitActive();
  for (const index of lacking) {
    // DynamoDB adds one index per UpdateTable.
    const attributes = new Set(index.KeySchema?.map((k) => k.AttributeName));
    await callAws(context('UpdateTable'), () =>
      dynamodb.send(
        new UpdateTableCommand({
          TableName: name,
          AttributeDefinitions: definition.AttributeDefinitions?.filter((a) => attributes.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
        }),
      ),
    );
    await waitActive();
  }
  return { kind: 'table', name, status: 'updated', detail };
}

/** A step that could not look: no credentials, no region, no network. */
function unknownStep(kind: ProvisionStep['kind'], name: string, error: unknown): ProvisionStep {
  const wrapped = wrapAwsError(error, { service: kind, operation: 'look-up', resource: name });
  const why =
    wrapped.kind === 'credentials' ? 'not checked: no usable AWS credentials' : wrapped.kind === 'region' ? 'not checked: no AWS region' : `not checked: ${errorCode(error) || wrapped.message}`;
  return { kind, name, status: 'unknown', detail: `${why}; would be created if missing` };
}

/** True for failures that mean "we could not look", which a dry run reports instead of failing. */
function cannotLook(error: unknown): boolean {
  const kind = classify(error);
  return kind === 'credentials' || kind === 'region' || kind === 'transient' || kind === 'access-denied';
}

/**
 * Runs the plan: the queues in order (dead-letter queues first), the buckets, the tables. Stops at
 * the first failure, except in a dry run, where a step it cannot look at is reported `unknown`.
 */
export async function provisionAws(plan: ProvisionPlan, clients: AwsClients, options: ProvisionOptions = {}): Promise<ProvisionStep[]> {
  const steps: ProvisionStep[] = [];
  const record = (step: ProvisionStep) => {
    const { kind, name, status, detail } = step;
    const clean: ProvisionStep = detail === undefined ? { kind, name, status } : { kind, name, status, detail };
    steps.push(clean);
    options.onStep?.(clean);
  };
  const attempt = async (kind: ProvisionStep['kind'], name: string, run: () => Promise<ProvisionStep>) => {
    try {
      record(await run());
    } catch (error) {
      if (options.dryRun && cannotLook(error)) record(unknownStep(kind, name, error));
      else throw error;
    }
  };
  const arns = new Map<string, string>();
  for (const spec of plan.queues) await attempt('queue', spec.name, () => ensureQueue(clients.sqs, spec, { dryRun: options.dryRun, arns }));
  for (const bucket of plan.buckets) await attempt('bucket', bucket, () => ensureBucket(clients.s3, bucket, plan.region, { dryRun: options.dryRun }));
  for (const table of plan.tables) await attempt('table', table, () => ensureTable(clients.dynamodb, table, options));
  return steps;
}
