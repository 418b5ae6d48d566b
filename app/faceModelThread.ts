/**
 * The face model in a worker thread: the web tier's enrolments (and anything else it asks of the
 * model) run their ONNX inference here, so the web process's event loop keeps answering waiters,
 * event streams and the supervisor meanwhile. Calls arrive as `{ id, method, args }` and are
 * answered as `{ id, value }` or `{ id, error: { name, code, message } }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel, type LoadModelOptions } from '../model/index.ts';
import type { FaceModelCall, FaceModelReply } from './threadedFaceModel.ts';

const port = parentPort;
if (!port) throw new Error('faceModelThread.ts runs as a worker thread');
const model = loadModel(workerData as LoadModelOptions);

port.on('message', (call: FaceModelCall) => {
  const reply = (answer: Omit<FaceModelReply, 'id'>): void => port.postMessage({ id: call.id, ...answer });
  model
    .then((loaded) => (loaded[call.method] as (...args: unknown[]) => Promise<unknown>)(...call.args))
    .then(
      (value) => reply({ value }),
      (error: unknown) => {
        const e = error as { name?: unknown; code?: unknown; message?: unknown };
        reply({ error: { name: String(e.name ?? 'Error'), code: typeof e.code === 'string' ? e.code : undefined, message: String(e.message ?? error) } });
      },
    );
});
