/**
 * AWS emulators started in this process on free 127.0.0.1 ports: fauxqs (SQS and S3) and dynalite
 * (DynamoDB), with SDK clients pointed at them. Nothing to install or run by hand.
 *
 * fauxqs's `startFauxqs()` binds every interface, so we build its app and listen on 127.0.0.1 only.
 * Its queue URLs name hosts that do not resolve (`sqs.us-east-1.localhost`), so the SQS client
 * always has `endpoint` set; S3 uses path-style addressing for the same reason.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const emulatorRegion = 'us-east-1';
export const emulatorCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface Fauxqs {
  endpoint: string;
  sqs: SQSClient;
  s3: S3Client;
  stop(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1:<free port>. */
export async function startFauxqsEmulator(): Promise<Fauxqs> {
  const app = buildApp({ logger: false, defaultRegion: emulatorRegion });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = address.replace('localhost', '127.0.0.1');
  const common = { region: emulatorRegion, endpoint, credentials: emulatorCredentials };
  const sqs = new SQSClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  return {
    endpoint,
    sqs,
    s3,
    async stop() {
      sqs.destroy();
      s3.destroy();
      await app.close();
    },
  };
}

export interface Dynalite {
  endpoint: string;
  dynamodb: DynamoDBClient;
  stop(): Promise<void>;
}

/** Starts dynalite (in memory, tables ACTIVE at once) on 127.0.0.1:<free port>. */
export async function startDynaliteEmulator(): Promise<Dynalite> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const dynamodb = new DynamoDBClient({ region: emulatorRegion, endpoint, credentials: emulatorCredentials });
  return {
    endpoint,
    dynamodb,
    async stop() {
      dynamodb.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
