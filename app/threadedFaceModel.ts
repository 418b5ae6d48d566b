/**
 * A FaceModel whose work runs in a worker thread (app/faceModelThread.ts), for the web tier: ONNX
 * inference blocks the thread it runs on, and on the web tier's main thread it would stall every
 * waiter, event stream and the supervisor for the length of an enrolment. The model's input errors
 * come back as the same classes (InvalidImage, ImageTooLarge, NoFaceFound), so callers see no
 * difference. The thread is started on first use and does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { ImageTooLarge, InvalidImage, NoFaceFound } from '../model/errors.ts';
import type { FaceModel, LoadModelOptions } from '../model/index.ts';

type Method = 'recognize' | 'analyse' | 'enrolFace';

export interface FaceModelCall {
  id: number;
  method: Method;
  args: unknown[];
}

export interface FaceModelReply {
  id: number;
  value?: unknown;
  error?: { name: string; code: string | undefined; message: string };
}

export interface ThreadedFaceModel extends FaceModel {
  /** Ends the thread (pending calls are refused). */
  close(): Promise<void>;
}

/** The thread's entry: run through tsx when we run from source, as every facefleet process does. */
function threadUrl(): URL {
  const entry = new URL('./faceModelThread.ts', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

function rebuild(error: NonNullable<FaceModelReply['error']>): Error {
  switch (error.code) {
    case 'invalid-image':
      return new InvalidImage(error.message);
    case 'image-too-large':
      return new ImageTooLarge(error.message);
    case 'no-face':
      return new NoFaceFound(error.message);
    default:
      return Object.assign(new Error(error.message), { name: error.name });
  }
}

/** Starts the thread, loads the model in it and resolves once it is ready. */
export async function loadThreadedFaceModel(options: LoadModelOptions = {}): Promise<ThreadedFaceModel> {
  const thread = new Worker(threadUrl(), { workerData: options });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  let nextId = 1;
  let ended: Error | undefined;
  const refuseAll = (error: Error): void => {
    ended ??= error; // the first reason stays: a close is not reported as a crash
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  thread.on('message', (reply: FaceModelReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.error) p.reject(rebuild(reply.error));
    else p.resolve(reply.value);
  });
  thread.on('error', (error) => refuseAll(new Error(`the face model thread failed: ${error.message}`)));
  thread.on('exit', (code) => refuseAll(new Error(`the face model thread exited (${code})`)));
  // Idle, the thread must not hold the process open; while a call is pending it must.
  thread.unref();

  const call = <T>(method: Method, ...args: unknown[]): Promise<T> => {
    if (ended) return Promise.reject(ended);
    const id = nextId++;
    if (pending.size === 0) thread.ref();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.postMessage({ id, method, args } satisfies FaceModelCall);
    }).finally(() => {
      if (pending.size === 0) thread.unref();
    });
  };

  const started = performance.now();
  // A first call waits for the model to load: a failing load (missing ONNX files) shows here, once.
  await call('analyse', new Uint8Array(0)).catch((error: unknown) => {
    if (!(error instanceof InvalidImage)) throw error;
  });
  const loadTimeMs = performance.now() - started;

  return {
    loadTimeMs,
    recognize: (imageBytes, gallery, opts) => call('recognize', imageBytes, gallery, opts),
    analyse: (imageBytes, opts) => call('analyse', imageBytes, opts),
    enrolFace: (imageBytes, opts) => call('enrolFace', imageBytes, opts),
    async close() {
      refuseAll(new Error('the face model thread was closed'));
      await thread.terminate();
    },
  };
}
