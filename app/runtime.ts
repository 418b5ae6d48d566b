/**
 * The composition of the ports from the config: the one place that picks the adapters.
 * - embedded: one SQLite file `<dataDir>/facefleet.db` for the events and the queues, blobs under
 *   `<dataDir>/blobs`, workers as child processes (`facefleet worker`) with their registry in
 *   `<dataDir>/instances.json` and their logs in `<dataDir>/logs`;
 * - aws: `app/runtimeAws.ts` (`createAwsRuntime(config, options)`), loaded lazily so the embedded
 *   mode never loads the AWS SDKs.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Blobs, Compute, EventStore, Lease, Queue, QueueSettings } from '../adapters/ports.ts';
import { systemClock, type Clock } from '../services/clock.ts';
import type { Config } from './config.ts';

/** Every port a process of ours needs, built from the config. */
export interface Runtime {
  config: Config;
  store: EventStore;
  blobs: Blobs;
  /** Jobs to process (job ids); dead-letters into `deadLetters` after maxReceives. */
  requests: Queue;
  /** Jobs that reached done/failed, for the web tier. */
  responses: Queue;
  /** Request messages received maxReceives times without being deleted. */
  deadLetters: Queue;
  compute: Compute;
  clock: Clock;
  /** The supervisor lease (main processes only). */
  lease?: Lease;
  /** Closes connections (idempotent). */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** `main` runs the web tier and the supervisor; `worker` is one instance. */
  role: 'main' | 'worker';
  clock?: Clock;
  /** A worker bundle (app/workerBundle.ts) to start workers from instead of the tsx CLI. */
  workerBundle?: string;
}

/** The queue names shared by both backends (the AWS runtime may map them to its own names). */
export const queueNames = { requests: 'requests', responses: 'responses', deadLetters: 'requests-dead' } as const;

/** The queue settings derived from the config. */
export function queueSettings(config: Config): Record<keyof typeof queueNames, QueueSettings> {
  return {
    requests: {
      name: queueNames.requests,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      maxReceives: config.maxReceives,
      deadLetterQueueName: queueNames.deadLetters,
    },
    responses: { name: queueNames.responses, visibilityTimeoutSeconds: 30 },
    deadLetters: { name: queueNames.deadLetters, visibilityTimeoutSeconds: 30 },
  };
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The command that starts one worker instance as a child process: the prebuilt bundle when there is
 * one (plain node, fast boot), else the CLI through tsx.
 */
export function workerCommand(bundle?: string): string[] {
  return bundle ? [process.execPath, bundle] : [process.execPath, join(repoRoot, 'bin', 'facefleet.js'), 'worker'];
}

/** Paths of the embedded backend under the data directory. */
export function embeddedPaths(dataDir: string) {
  return {
    database: join(dataDir, 'facefleet.db'),
    blobs: join(dataDir, 'blobs'),
    registry: join(dataDir, 'instances.json'),
    logs: join(dataDir, 'logs'),
    /** The supervisor lease: every `start` on this data dir shares it. */
    lease: join(dataDir, 'supervisor-lease.db'),
  };
}

/** Builds the ports for this process from the config. */
export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  switch (config.backend) {
    case 'embedded':
      return createEmbeddedRuntime(config, options);
    case 'aws':
      return createAwsRuntimeLazily(config, options);
    default: {
      const never: never = config.backend;
      throw new Error(`unknown backend ${String(never)}`);
    }
  }
}

async function createEmbeddedRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const paths = embeddedPaths(config.dataDir);
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const [{ openSqliteEventStore }, { openSqliteQueues }, { createFsBlobs }, { createProcessCompute }, { openSqliteLease }] = await Promise.all([
    import('../adapters/embedded/sqliteEventStore.ts'),
    import('../adapters/embedded/sqliteQueue.ts'),
    import('../adapters/embedded/fsBlobs.ts'),
    import('../adapters/embedded/processCompute.ts'),
    import('../adapters/embedded/sqliteLease.ts'),
  ]);
  const lease = options.role === 'main' ? openSqliteLease({ file: paths.lease }) : undefined;
  const store = openSqliteEventStore({ file: paths.database, durability: config.durability });
  const queues = openSqliteQueues({ file: paths.database, durability: config.durability });
  const settings = queueSettings(config);
  const compute = createProcessCompute({
    command: workerCommand(options.workerBundle),
    cwd: repoRoot,
    logDir: paths.logs,
    registryFile: paths.registry,
    // A worker told to leave has terminateGraceSeconds to release its job before it is killed.
    graceMs: config.terminateGraceSeconds * 1000,
  });
  let closed = false;
  return {
    config,
    store,
    blobs: createFsBlobs({ dir: paths.blobs }),
    requests: queues.queue(settings.requests),
    responses: queues.queue(settings.responses),
    deadLetters: queues.queue(settings.deadLetters),
    compute,
    clock: options.clock ?? systemClock,
    ...(lease ? { lease } : {}),
    async close() {
      if (closed) return;
      closed = true;
      await lease?.close();
      queues.close();
      await store.close();
    },
  };
}

/** The AWS backend, loaded only when chosen so the embedded mode never loads the AWS SDKs. */
async function createAwsRuntimeLazily(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const { createAwsRuntime } = await import('./runtimeAws.ts');
  return createAwsRuntime(config, options);
}
