/**
 * A web test bench on the real embedded adapters (one temp SQLite file for events and queues, temp
 * fs blobs), the real app on a real HTTP server on 127.0.0.1:0, and a simulated worker that moves
 * jobs through `propose` exactly as a worker would.
 */
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { createFsBlobs } from '../../../adapters/embedded/fsBlobs.ts';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { Blobs, EventStore, Queue } from '../../../adapters/ports.ts';
import { streamName } from '../../../machines/index.ts';
import { createApiServices, type ApiDeps, type ApiServices } from '../../../services/api.ts';
import { systemClock } from '../../../services/clock.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { propose } from '../../../services/streams/propose.ts';
import { createApp, type AppOptions } from '../../../web/app.ts';

export interface Bench {
  dir: string;
  uploadDir: string;
  blobDir: string;
  store: EventStore;
  blobs: Blobs;
  requests: Queue;
  responses: Queue;
  deadLetters: Queue;
  services: ApiServices;
  server: Server;
  url: string;
  /** Unexpected errors the app logged (a test can assert there were none). */
  logged: unknown[];
  close(): Promise<void>;
}

export interface BenchOptions {
  app?: AppOptions;
  deps?: Partial<ApiDeps>;
}

/** Starts a bench; always `await bench.close()` in a finally/after. */
export async function startBench(options: BenchOptions = {}): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'facefleet-web-'));
  const uploadDir = join(dir, 'uploads');
  const blobDir = join(dir, 'blobs');
  const store = openSqliteEventStore({ file: join(dir, 'facefleet.db') });
  const queues = openSqliteQueues({ file: join(dir, 'facefleet.db') });
  const deadLetters = queues.queue({ name: 'dead-letters', visibilityTimeoutSeconds: 30 });
  const requests = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30, maxReceives: 3, deadLetterQueueName: 'dead-letters' });
  const responses = queues.queue({ name: 'responses', visibilityTimeoutSeconds: 30 });
  const blobs = createFsBlobs({ dir: blobDir });
  const logged: unknown[] = [];
  const services = createApiServices({
    store,
    blobs,
    requests,
    responses,
    deadLetters,
    clock: systemClock,
    limits: { maxUploadBytes: 2 * 1024 * 1024, maxFiles: 5, maxPixels: 4_000_000 },
    maxAttempts: 3,
    detector: 'ssd',
    threshold: 0.6,
    onWarning: (message, error) => logged.push({ message, error }),
    ...options.deps,
  });
  const app = createApp(services, {
    maxUploadBytes: 2 * 1024 * 1024,
    maxFiles: 5,
    classicTimeoutMs: 20_000,
    uploadDir,
    logError: (error) => logged.push(error),
    ...options.app,
  });
  const server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    dir,
    uploadDir,
    blobDir,
    store,
    blobs,
    requests,
    responses,
    deadLetters,
    services,
    server,
    url: `http://127.0.0.1:${port}`,
    logged,
    async close() {
      server.closeAllConnections();
      server.close();
      await services.close();
      queues.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under a folder, relative to it (an absent folder is empty). */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}

/** What a refused request must not leave behind: blobs, job rows, messages, temp files. */
export async function leftovers(bench: Bench): Promise<{ blobs: string[]; jobs: number; requests: number; uploads: string[] }> {
  const counts = await bench.store.counts('job');
  const depth = await bench.requests.depth();
  return {
    blobs: filesUnder(bench.blobDir).filter((f) => !f.startsWith('.meta/gallery') && !f.startsWith('gallery/')),
    jobs: Object.values(counts).reduce((a, b) => a + b, 0),
    requests: depth.visible + depth.inFlight,
    uploads: filesUnder(bench.uploadDir),
  };
}

const images = new Map<string, Buffer>();

/** A small solid image of the given format, made once per process. */
export async function sampleImage(format: 'jpeg' | 'png' | 'webp', size = 32): Promise<Buffer> {
  const key = `${format}:${size}`;
  let bytes = images.get(key);
  if (!bytes) {
    bytes = await sharp({ create: { width: size, height: size, channels: 3, background: { r: 200, g: 120, b: 40 } } })
      .toFormat(format)
      .toBuffer();
    images.set(key, bytes);
  }
  return bytes;
}

/** A multipart body with files (and optional text fields). */
export function form(files: Array<{ field: string; name: string; bytes: Buffer; type?: string }>, values: Record<string, string> = {}): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(values)) body.append(k, v);
  for (const f of files) body.append(f.field, new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'application/octet-stream' }), f.name);
  return body;
}

export interface SimulatedOutcome {
  label?: string;
  faces?: number;
  fail?: { code: 'invalid-image' | 'model-error'; reason: string };
}

/** Does what a worker does for one job: JobStarted, result blob, JobCompleted (or JobFailed), response message. */
export async function simulateWorker(bench: Bench, jobId: string, outcome: SimulatedOutcome = {}): Promise<void> {
  const stream = streamName('job', jobId);
  const instanceId = 'test-worker';
  const at = () => new Date().toISOString();
  const started = await propose(bench.store, stream, (s) => [
    { type: 'JobStarted', at: at(), data: { instanceId, attempt: (s.context as { attempts: number }).attempts + 1 } },
  ]);
  const attempt = (started.state.context as { attempts: number }).attempts;
  if (outcome.fail) {
    await propose(bench.store, stream, () => [{ type: 'JobFailed', at: at(), data: { ...outcome.fail, instanceId, attempt } }], { known: started.state });
    await bench.responses.send(JSON.stringify({ jobId, state: 'failed' }));
    return;
  }
  const label = outcome.label ?? 'unknown';
  const faces = outcome.faces ?? (label === 'no-face' ? 0 : 1);
  const resultKey = blobKeys.result(jobId, attempt);
  await bench.blobs.put(resultKey, Buffer.from(JSON.stringify({ width: 32, height: 32, label, faces: [] })), { contentType: 'application/json' });
  await propose(
    bench.store,
    stream,
    () => [{ type: 'JobCompleted', at: at(), data: { instanceId, attempt, resultKey, faces, label, durationMs: 7 } }],
    { known: started.state },
  );
  await bench.responses.send(JSON.stringify({ jobId, state: 'done' }));
}

/**
 * A loop that takes request messages and completes their jobs with `label` (or `decide(jobId)`),
 * as a fleet of workers would. `stop()` ends it.
 */
export function runSimulatedWorkers(bench: Bench, decide: (jobId: string) => SimulatedOutcome = () => ({ label: 'alice' })): { stop(): Promise<void>; handled: string[] } {
  const abort = new AbortController();
  const handled: string[] = [];
  const loop = (async () => {
    while (!abort.signal.aborted) {
      const messages = await bench.requests.receive({ maxMessages: 10, waitSeconds: 1, signal: abort.signal });
      await Promise.all(
        messages.map(async (m) => {
          const { jobId } = JSON.parse(m.body) as { jobId: string };
          await simulateWorker(bench, jobId, decide(jobId));
          await bench.requests.delete(m.receiptHandle);
          handled.push(jobId);
        }),
      );
    }
  })();
  return {
    handled,
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
