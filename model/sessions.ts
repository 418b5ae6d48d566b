/**
 * One onnxruntime-node session per network per process, created once and shared. The ONNX files
 * come from the build step (`ensureModels()` in model/build), which writes `model/onnx/<net>.onnx`.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { Manifest } from './build/buildModels.ts';
import { NET_NAMES, type NetName } from './build/manifest.ts';

export { NET_NAMES, type NetName };

export type Sessions = Record<NetName, ort.InferenceSession>;

export interface SessionOptions {
  /** Threads inside one operator. Default: FACEFLEET_MODEL_THREADS, else 1. */
  threads?: number;
  /** Where the `.onnx` files are. Default: model/onnx next to this file. */
  modelDir?: string;
  /** Builds the ONNX files into the directory if missing and returns the manifest. Default: `ensureModels` of model/build. */
  ensure?: (modelDir: string) => Promise<Pick<Manifest, 'nets'>>;
}

export const DEFAULT_MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), 'onnx');

/** The thread count from the options, else FACEFLEET_MODEL_THREADS, else 1. */
export function resolveThreads(threads?: number): number {
  if (threads !== undefined) return Math.max(1, Math.floor(threads));
  const fromEnv = Number(process.env.FACEFLEET_MODEL_THREADS);
  return Number.isFinite(fromEnv) && fromEnv >= 1 ? Math.floor(fromEnv) : 1;
}

const cache = new Map<string, Promise<Sessions>>();

/**
 * The five sessions, created on the first call for a given (directory, threads) and memoised:
 * later calls return the same sessions. A failed load is not memoised, so it can be retried.
 */
export function loadSessions(options: SessionOptions = {}): Promise<Sessions> {
  const threads = resolveThreads(options.threads);
  const modelDir = options.modelDir ?? DEFAULT_MODEL_DIR;
  const key = `${modelDir}|${threads}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = createSessions(modelDir, threads, options.ensure ?? defaultEnsure);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function defaultEnsure(modelDir: string): Promise<Manifest> {
  const { ensureModels } = await import('./build/buildModels.ts');
  return ensureModels(modelDir);
}

async function createSessions(modelDir: string, threads: number, ensure: (modelDir: string) => Promise<Pick<Manifest, 'nets'>>): Promise<Sessions> {
  const manifest = await ensure(modelDir);
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  const entries = await Promise.all(
    NET_NAMES.map(async (name) => {
      const file = manifest.nets[name]?.file ?? `${name}.onnx`;
      return [name, await ort.InferenceSession.create(join(modelDir, file), options)] as const;
    }),
  );
  return Object.fromEntries(entries) as Sessions;
}

/** Runs `session` on one `[1, S, S, 3]` image input and returns its named float outputs. */
export async function runSquare(session: ort.InferenceSession, data: Float32Array, size: number): Promise<Record<string, Float32Array>> {
  const feeds = { image: new ort.Tensor('float32', data, [1, size, size, 3]) };
  const results = await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(results)) {
    out[name] = tensor.data as Float32Array;
  }
  return out;
}
