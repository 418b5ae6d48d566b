/**
 * The whole AWS path on one machine, for end-to-end tests of `facefleet start --backend aws`:
 * fauxqs (SQS + S3) and dynalite (DynamoDB) in this process on free 127.0.0.1 ports, the EC2 test
 * server whose instances are local `facefleet worker` processes booted from their user data (each
 * with its own access key, so the test can tell who called TerminateInstances), and the environment
 * that points `facefleet provision` / `facefleet start` at all of them. Every resource name carries
 * a random prefix; `stop()` kills every worker still running and closes the emulators.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDynamoEventStore } from '../../adapters/aws/dynamoEventStore.ts';
import type { EventStore } from '../../adapters/ports.ts';
import { startEc2TestServer, type Ec2TestServer, type TestInstance } from './ec2TestServer.ts';
import { emulatorRegion, startDynaliteEmulator, startFauxqsEmulator, type Dynalite, type Fauxqs } from './emulators.ts';
import { quickEnv, repoRoot, startFacefleet, storeReadModelsMatchReplay, type FacefleetProcess, type StartOptions } from './facefleetProcess.ts';

const bin = join(repoRoot, 'bin', 'facefleet.js');

/** The access key of the main process; each worker instance gets `worker-<provider id>`. */
export const mainAccessKey = 'AKIDMAINPROCESS';
export const workerAccessKey = (providerId: string) => `worker-${providerId}`;

export interface AwsStack {
  fauxqs: Fauxqs;
  dynalite: Dynalite;
  ec2: Ec2TestServer;
  /** The resource-name prefix of this stack (random). */
  prefix: string;
  /** Environment for `facefleet provision|start --backend aws` against this stack. */
  env: Record<string, string>;
  /** The event store on the emulated table, to read streams the way the service wrote them. */
  store: EventStore;
  /** Runs `facefleet provision --backend aws`; resolves to its output (rejects on a non-zero exit). */
  provision(): Promise<string>;
  /** `facefleet start --backend aws` on a free port (a temp data dir unless given). */
  start(options?: StartOptions): Promise<FacefleetProcess>;
  /** The worker instances' output, prefixed by provider id (for failure messages). */
  workerOutput(): string;
  /** Runs a test body; when it throws (or FACEFLEET_E2E_VERBOSE is set), prints what every process of the stack said. */
  explain<T>(body: () => Promise<T>): Promise<T>;
  /** The running worker process of a provider id. */
  instance(providerId: string): TestInstance | undefined;
  /** Stops every started facefleet, every instance, the servers; removes the temp dirs. */
  stop(): Promise<void>;
}

export interface AwsStackOptions {
  /** Extra FACEFLEET_* settings for start and provision (e.g. the cap). */
  env?: Record<string, string>;
}

/** Starts the emulators and the EC2 test server; nothing is provisioned yet. */
export async function startAwsStack(options: AwsStackOptions = {}): Promise<AwsStack> {
  const [fauxqs, dynalite] = await Promise.all([startFauxqsEmulator(), startDynaliteEmulator()]);
  const workerLines: string[] = [];
  const ec2 = await startEc2TestServer({
    command: [process.execPath, bin, 'worker'],
    cwd: repoRoot,
    // What the instance profile would give: credentials of its own; nothing from our environment's config.
    env: { FACEFLEET_CONFIG: '', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    instanceEnv: (providerId) => ({ AWS_ACCESS_KEY_ID: workerAccessKey(providerId) }),
    graceMs: 5000,
    onOutput: (providerId, line) => {
      workerLines.push(`[${providerId}] ${line}`);
      if (workerLines.length > 4000) workerLines.splice(0, 1000);
    },
  }).catch(async (error: unknown) => {
    await Promise.all([fauxqs.stop(), dynalite.stop()]);
    throw error;
  });
  const prefix = `ffe2e-${randomBytes(3).toString('hex')}`;
  const env: Record<string, string> = {
    FACEFLEET_BACKEND: 'aws',
    FACEFLEET_AWS_REGION: emulatorRegion,
    FACEFLEET_AWS_ENDPOINT_SQS: fauxqs.endpoint,
    FACEFLEET_AWS_ENDPOINT_S3: fauxqs.endpoint,
    FACEFLEET_AWS_ENDPOINT_DYNAMODB: dynalite.endpoint,
    FACEFLEET_AWS_ENDPOINT_EC2: ec2.endpoint,
    FACEFLEET_AWS_NAME_PREFIX: prefix,
    FACEFLEET_AWS_NAME_IMAGE_ID: 'ami-0123456789abcdef0',
    FACEFLEET_AWS_NAME_INSTANCE_TYPE: 't3.micro',
    // The emulated EC2 instances are local processes that boot in a second: not EC2's 60 s idle prior.
    FACEFLEET_IDLE_SECONDS: '3',
    AWS_ACCESS_KEY_ID: mainAccessKey,
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  const store = createDynamoEventStore({ client: dynalite.dynamodb, tableName: `${prefix}-events` });
  const started: FacefleetProcess[] = [];
  const dirs: string[] = [];

  return {
    fauxqs,
    dynalite,
    ec2,
    prefix,
    env,
    store,
    async provision() {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'provision', '--backend', 'aws'], {
        cwd: repoRoot,
        env: { ...process.env, FACEFLEET_CONFIG: '', ...quickEnv, ...env },
        timeout: 60_000,
      });
      return stdout + stderr;
    },
    async start(startOptions = {}) {
      const dataDir = startOptions.dataDir ?? mkdtempSync(join(tmpdir(), 'facefleet-aws-e2e-'));
      if (!startOptions.dataDir) dirs.push(dataDir);
      const ff = await startFacefleet({ ...startOptions, dataDir, env: { ...env, ...startOptions.env }, args: ['--backend', 'aws', ...(startOptions.args ?? [])] });
      started.push(ff);
      return ff;
    },
    workerOutput: () => workerLines.join('\n'),
    async explain(body) {
      const print = () => {
        const lines = started.flatMap((ff, i) => [`── facefleet start #${i + 1} (${ff.url}) ──`, ...ff.output().split('\n').slice(-80)]);
        lines.push('── EC2 test instances ──', ...ec2.instances().map((i) => `${i.providerId} ${i.tags['facefleet:instance']} ${i.state} exit=${String(i.exitCode)}`));
        lines.push('── workers ──', ...workerLines.slice(-120));
        process.stdout.write(`${lines.map((l) => `# ${l}`).join('\n')}\n`);
      };
      try {
        const value = await body();
        if (process.env.FACEFLEET_E2E_VERBOSE) print();
        return value;
      } catch (error) {
        print();
        throw error;
      }
    },
    instance: (providerId) => ec2.instances().find((i) => i.providerId === providerId),
    async stop() {
      for (const ff of started) await ff.stop('SIGKILL').catch(() => undefined);
      await ec2.stop();
      await store.close().catch(() => undefined);
      await Promise.all([fauxqs.stop(), dynalite.stop()]);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The event types of one stream in the emulated table. */
export async function awsStreamTypes(store: EventStore, stream: string): Promise<string[]> {
  return (await store.read(stream)).map((e) => e.type);
}

/** Every stored read model row of a kind equals the fold of its stream (rows read through the store). */
export const awsReadModelsMatchReplay = storeReadModelsMatchReplay;
