/**
 * A worker test bench on the real embedded adapters (one temp SQLite file, temp blobs), with a fake
 * recognizer and a fake compute, so tests await lifecycle events instead of sleeping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Blobs, Compute } from '../../../adapters/ports.ts';
import { createFsBlobs } from '../../../adapters/embedded/fsBlobs.ts';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { Gallery, RecognitionResult, VerificationResult } from '../../../model/index.ts';
import { emptyState, streamName, type StoredEvent } from '../../../machines/index.ts';
import { systemClock } from '../../../services/clock.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { propose } from '../../../services/streams/propose.ts';
import type { Recognizer, VerifyAgainst } from '../../../services/worker/processMessage.ts';
import { createWorker, type Worker, type WorkerSettings } from '../../../services/worker/worker.ts';

export const fastSettings: WorkerSettings = {
  pollWaitSeconds: 0,
  visibilityTimeoutSeconds: 30,
  heartbeatSeconds: 0.2,
  emptyPollsToIdle: 1,
  emptyPollsToTerminate: 3,
};

/** A face found with the given label (the fake "model" reads the label from the image bytes). */
export function fakeResult(label: string): RecognitionResult {
  return {
    width: 10,
    height: 10,
    faces:
      label === 'no-face'
        ? []
        : [{ box: { x: 0, y: 0, width: 5, height: 5 }, score: 0.9, landmarks: [], descriptor: [], label, distance: 0.3, expressions: {} } as unknown as RecognitionResult['faces'][number]],
  };
}

export interface FakeRecognizerOptions {
  /** Delay per recognition, ms. */
  delayMs?: number;
  /** Called before each recognition (e.g. to hold it until a test lets go). */
  gate?: () => Promise<void>;
}

/** Image bytes are `label:<name>` or `bad` (invalid image) or `boom` (an unexpected error). */
export function fakeRecognizer(options: FakeRecognizerOptions = {}): Recognizer & { calls: number } {
  const r = {
    calls: 0,
    loadTimeMs: 12,
    async recognize(bytes: Uint8Array, _gallery: Gallery) {
      r.calls += 1;
      if (options.gate) await options.gate();
      if (options.delayMs) await new Promise((res) => setTimeout(res, options.delayMs));
      const text = Buffer.from(bytes).toString('utf8');
      if (text === 'bad') throw Object.assign(new Error('not an image'), { code: 'invalid-image' });
      if (text === 'boom') throw new Error('onnx exploded');
      return fakeResult(text.replace(/^label:/, ''));
    },
    label: (result: RecognitionResult) => (result.faces[0] as { label?: string } | undefined)?.label ?? 'no-face',
    /** Two photos are the same person when their bytes are equal (a subject: never). */
    async verify(a: Uint8Array, b: VerifyAgainst, opts: { threshold: number }): Promise<VerificationResult> {
      r.calls += 1;
      const same = 'photo' in b && Buffer.from(a).equals(Buffer.from(b.photo));
      const side = { kind: 'photo' as const, width: 1, height: 1, faces: 1, box: { x: 0, y: 0, width: 1, height: 1 } };
      return { kind: 'verify', label: same ? 'same' : 'different', same, distance: same ? 0 : 1, threshold: opts.threshold, noFace: [], a: side, b: side };
    },
  };
  return r;
}

export function fakeCompute(selfId = 'proc-1'): Compute & { terminated: string[] } {
  const terminated: string[] = [];
  return {
    backend: 'fake',
    terminated,
    async launch() {
      return [];
    },
    async terminate(providerId) {
      terminated.push(providerId);
    },
    async describe() {
      return [];
    },
    async selfId() {
      return selfId;
    },
  };
}

export type Bench = ReturnType<typeof openBench>;

/** Opens the adapters on a temp directory. */
export function openBench(queueOptions: { visibilityTimeoutSeconds?: number; maxReceives?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'facefleet-worker-'));
  const file = join(dir, 'facefleet.db');
  const store = openSqliteEventStore({ file });
  const queues = openSqliteQueues({ file, recheckMs: 20 });
  const blobs = createFsBlobs({ dir: join(dir, 'blobs') });
  const requests = queues.queue({
    name: 'requests',
    visibilityTimeoutSeconds: queueOptions.visibilityTimeoutSeconds ?? 30,
    maxReceives: queueOptions.maxReceives ?? 3,
    deadLetterQueueName: 'requests-dead',
  });
  const responses = queues.queue({ name: 'responses', visibilityTimeoutSeconds: 30 });
  const workers: Worker[] = [];
  const clock = systemClock;

  return {
    dir,
    store,
    blobs,
    requests,
    responses,
    clock,
    /** Stores the image, appends JobSubmitted and sends the request message, as the web tier does. */
    async submit(body: string, options: { maxAttempts?: number; send?: boolean; verify?: { second?: string; subjectId?: string } } = {}): Promise<string> {
      const jobId = clock.newId();
      const imageKey = blobKeys.image(jobId);
      await blobs.put(imageKey, Buffer.from(body), { contentType: 'image/jpeg' });
      const secondImageKey = blobKeys.secondImage(jobId);
      if (options.verify?.second !== undefined) await blobs.put(secondImageKey, Buffer.from(options.verify.second), { contentType: 'image/jpeg' });
      const verify = options.verify
        ? { kind: 'verify', ...(options.verify.subjectId === undefined ? { secondImageKey } : { subjectId: options.verify.subjectId }) }
        : {};
      const stream = streamName('job', jobId);
      await propose(
        store,
        stream,
        () => [
          {
            type: 'JobSubmitted',
            at: clock.now().toISOString(),
            data: { jobId, imageKey, fileName: 'x.jpg', contentType: 'image/jpeg', bytes: body.length, source: 'v1', maxAttempts: options.maxAttempts ?? 3, detector: 'ssd', ...verify },
          },
        ],
        { known: emptyState(stream) },
      );
      if (options.send !== false) await requests.send(JSON.stringify({ jobId }));
      return jobId;
    },
    /** A worker on this bench. */
    worker(options: { recognizer?: Recognizer; compute?: Compute; settings?: Partial<WorkerSettings>; instanceId?: string; blobs?: Blobs } = {}): Worker {
      const worker = createWorker({
        store,
        blobs: options.blobs ?? blobs,
        requests,
        responses,
        clock,
        compute: options.compute ?? fakeCompute(),
        loadRecognizer: async () => options.recognizer ?? fakeRecognizer(),
        gallery: async () => ({ version: 1, subjects: [] }) as unknown as Gallery,
        instanceId: options.instanceId ?? clock.newId(),
        settings: { ...fastSettings, ...options.settings },
        log: () => undefined,
      });
      workers.push(worker);
      return worker;
    },
    events: (stream: string): Promise<StoredEvent[]> => store.read(stream),
    types: async (stream: string): Promise<string[]> => (await store.read(stream)).map((e) => e.type),
    async close() {
      await Promise.all(workers.map((w) => w.stop({ abort: true }).catch(() => undefined)));
      queues.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
