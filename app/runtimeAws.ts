/**
 * The AWS composition: SQS queues, one S3 bucket, the DynamoDB event table and EC2 workers, built
 * from the config (`aws.region`, `aws.endpoints`, `aws.names` — see app/config/aws.ts).
 * `app/runtime.ts` loads this module only when `backend` is `aws`, so the embedded mode never
 * loads the AWS SDKs. On the main process it also runs the read-model catch-up once at start and
 * then every minute (repairing rows a crashed process left behind its stream).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoEventStore } from '../adapters/aws/dynamoEventStore.ts';
import { createDynamoLease } from '../adapters/aws/dynamoLease.ts';
import { createEc2Compute } from '../adapters/aws/ec2Compute.ts';
import { createImds } from '../adapters/aws/imds.ts';
import { createS3Blobs } from '../adapters/aws/s3Blobs.ts';
import { createSqsQueue } from '../adapters/aws/sqsQueue.ts';
import { systemClock } from '../services/clock.ts';
import type { Config } from './config.ts';
import { awsSettings, type AwsSettings } from './config/aws.ts';
import type { Runtime, RuntimeOptions } from './runtime.ts';

export interface AwsClients {
  sqs: SQSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  ec2: EC2Client;
  destroy(): void;
}

/** SDK clients for the configured region and endpoints, with the default credential chain. */
export function createAwsClients(settings: Pick<AwsSettings, 'region' | 'endpoints'>): AwsClients {
  const { region, endpoints } = settings;
  const sqs = new SQSClient({ region, endpoint: endpoints.sqs });
  // Path-style addressing when an endpoint is given (emulators, VPC endpoints by URL).
  const s3 = new S3Client({ region, endpoint: endpoints.s3, forcePathStyle: endpoints.s3 !== undefined });
  const dynamodb = new DynamoDBClient({ region, endpoint: endpoints.dynamodb });
  const ec2 = new EC2Client({ region, endpoint: endpoints.ec2 });
  return {
    sqs,
    s3,
    dynamodb,
    ec2,
    destroy() {
      for (const client of [sqs, s3, dynamodb, ec2]) client.destroy();
    },
  };
}

const repairEveryMs = 60_000;
/** Catch-ups between two count reconciles (60 × 1 min). */
const reconcileEvery = 60;

/** Builds every port on AWS; same shape as the embedded runtime. */
export async function createAwsRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const settings = awsSettings(config);
  const clients = createAwsClients(settings);
  const { sqs, s3, dynamodb, ec2 } = clients;
  const endpoint = settings.endpoints.sqs;
  const store = createDynamoEventStore({ client: dynamodb, tableName: settings.table });
  const queue = (name: string) => createSqsQueue({ client: sqs, name, endpoint });

  let repairTimer: NodeJS.Timeout | undefined;
  if (options.role === 'main') {
    const repair = () =>
      store.repairReadModels({ olderThanMs: 30_000 }).then(
        (report) => {
          for (const failure of report.failed) console.warn(`facefleet: read model of ${failure.stream} not repairable: ${failure.reason}`);
        },
        (error: unknown) => console.warn(`facefleet: read-model catch-up failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    // Counts are recounted from the rows rarely (the recount costs a COUNT query per state shard,
    // growing with the history): at start and then every `reconcileEvery` catch-ups (hourly).
    const reconcile = () =>
      store.reconcileCounts().then(
        (report) => {
          for (const fix of report.corrected) console.warn(`facefleet: count of ${fix.shard} corrected from ${fix.stored} to ${fix.counted}`);
        },
        (error: unknown) => console.warn(`facefleet: count reconcile failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    let catchUps = 0;
    void repair().then(reconcile);
    repairTimer = setInterval(() => {
      catchUps += 1;
      void repair().then(() => (catchUps % reconcileEvery === 0 ? reconcile() : undefined));
    }, repairEveryMs);
    repairTimer.unref();
  }

  let closed = false;
  return {
    config,
    store,
    blobs: createS3Blobs({ client: s3, bucket: settings.bucket, prefix: settings.blobPrefix }),
    requests: queue(settings.queues.requests),
    responses: queue(settings.queues.responses),
    deadLetters: queue(settings.queues.deadLetters),
    compute: createEc2Compute({ client: ec2, fleet: settings.fleet, launch: settings.ec2, imds: createImds() }),
    clock: options.clock ?? systemClock,
    ...(options.role === 'main' ? { lease: createDynamoLease({ client: dynamodb, tableName: settings.table }) } : {}),
    async close() {
      if (closed) return;
      closed = true;
      if (repairTimer) clearInterval(repairTimer);
      await store.close();
      clients.destroy();
    },
  };
}
