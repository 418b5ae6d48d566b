/**
 * Reads a tfjs weights manifest and its .bin shards into plain float32 (or int32) tensors, with the
 * same dequantization as tfjs-core `io.decodeWeights`: one scale and one minimum per tensor,
 * `w = q * scale + min`, no zero point; int32 targets are rounded.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One decoded tensor, TF layout (NHWC activations, HWIO filters). */
export interface WeightTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  /** Always a fresh, aligned array (never a view into the .bin). */
  readonly data: Float32Array | Int32Array;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { scale?: number; min?: number; dtype: string };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

/** The named tensors of one model, with a lookup that fails loudly on a missing or misshapen name. */
export class WeightMap {
  constructor(readonly tensors: ReadonlyMap<string, WeightTensor>) {}

  /** The float32 tensor `name`; throws if absent, not float32, or (when given) of another shape. */
  get(name: string, shape?: readonly number[]): WeightTensor & { data: Float32Array } {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`weights: no tensor named '${name}'`);
    if (!(t.data instanceof Float32Array)) throw new Error(`weights: '${name}' is ${t.dtype}, expected float32`);
    if (shape && (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))) {
      throw new Error(`weights: '${name}' has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    return t as WeightTensor & { data: Float32Array };
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };

/** Decodes one manifest entry from `bytes` at `offset`; returns the tensor and the bytes it took. */
function decodeEntry(entry: ManifestEntry, bytes: Buffer, offset: number): { tensor: WeightTensor; size: number } {
  const n = product(entry.shape);
  if (entry.dtype !== 'float32' && entry.dtype !== 'int32') throw new Error(`weights: '${entry.name}' has unsupported dtype ${entry.dtype}`);
  const q = entry.quantization;
  const storedAs = q?.dtype ?? entry.dtype;
  const width = BYTES[storedAs];
  if (width === undefined) throw new Error(`weights: '${entry.name}' is stored as unsupported ${storedAs}`);
  const size = n * width;
  if (offset + size > bytes.length) throw new Error(`weights: '${entry.name}' runs past the end of the .bin`);
  // Copy before viewing: the shard offset need not be aligned for a typed-array view.
  const raw = new Uint8Array(bytes.subarray(offset, offset + size));
  const out = entry.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  if (q) {
    if (storedAs !== 'uint8' && storedAs !== 'uint16') throw new Error(`weights: '${entry.name}' quantized as ${storedAs} is not supported`);
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    const src = storedAs === 'uint8' ? raw : new Uint16Array(raw.buffer);
    for (let i = 0; i < n; i++) {
      const v = (src[i] as number) * scale + min;
      out[i] = entry.dtype === 'int32' ? Math.round(v) : v;
    }
  } else {
    out.set(entry.dtype === 'float32' ? new Float32Array(raw.buffer) : new Int32Array(raw.buffer));
  }
  return { tensor: { name: entry.name, shape: [...entry.shape], dtype: entry.dtype, data: out }, size };
}

/** Reads `<dir>/<model>-weights_manifest.json` and its shards; tensors keep manifest order. */
export async function readWeights(dir: string, model: string): Promise<WeightMap> {
  const manifestPath = path.join(dir, `${model}-weights_manifest.json`);
  const groups = JSON.parse(await readFile(manifestPath, 'utf8')) as ManifestGroup[];
  const tensors = new Map<string, WeightTensor>();
  for (const group of groups) {
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(dir, p))));
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const entry of group.weights) {
      const { tensor, size } = decodeEntry(entry, bytes, offset);
      tensors.set(entry.name, tensor);
      offset += size;
    }
    if (offset !== bytes.length) throw new Error(`weights: ${model} manifest covers ${offset} bytes, its shards hold ${bytes.length}`);
  }
  return new WeightMap(tensors);
}

/** The weight files (manifest first, then shards) that `readWeights(dir, model)` reads. */
export async function weightFiles(dir: string, model: string): Promise<string[]> {
  const manifestPath = path.join(dir, `${model}-weights_manifest.json`);
  const groups = JSON.parse(await readFile(manifestPath, 'utf8')) as ManifestGroup[];
  return [manifestPath, ...groups.flatMap((g) => g.paths.map((p) => path.join(dir, p)))];
}
