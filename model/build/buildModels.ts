/**
 * Builds `model/onnx/<net>.onnx` + `manifest.json` from the TF.js weights shipped in
 * @vladmandic/face-api, and only when needed. Run as a script (`npm run model:build`) it prints one
 * line per rebuilt net, or "up to date".
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Manifest, NetEntry, NetName } from './manifest.ts';
import { RECIPES, inputEntry } from './nets.ts';
import type { NetRecipe } from './nets.ts';
import { readWeights, weightFiles } from './weights.ts';

export type { Manifest } from './manifest.ts';

/** Bump whenever a builder's output changes: every manifest with another version is rebuilt. */
export const BUILDER_VERSION = '1.1.0';

const require = createRequire(import.meta.url);
const PACKAGE = '@vladmandic/face-api';

/** `<repo>/model/onnx`. */
export const DEFAULT_MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'onnx');

/** Where the shipped face-api weights are. */
export function faceApiWeightsDir(): string {
  return path.join(path.dirname(require.resolve(`${PACKAGE}/package.json`)), 'model');
}

export interface BuildReport {
  readonly net: NetName;
  readonly bytes: number;
  readonly ms: number;
}

export interface EnsureOptions {
  /** Called once per net rebuilt. */
  readonly onBuilt?: (report: BuildReport) => void;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * sha256 of files, remembered by (size, mtime) in `<dir>/.stamps.json` so that an up-to-date check
 * does not re-read ~60 MB (as git's index does). A file whose size or mtime moved is hashed again.
 */
interface Stamp { size: number; mtimeMs: number; sha256: string }

class HashCache {
  private changed = false;
  private constructor(private readonly file: string, private readonly stamps: Record<string, Stamp>) {}

  static async open(dir: string): Promise<HashCache> {
    const file = path.join(dir, '.stamps.json');
    try {
      return new HashCache(file, JSON.parse(await readFile(file, 'utf8')) as Record<string, Stamp>);
    } catch {
      return new HashCache(file, {});
    }
  }

  /** The file's sha256, or undefined if it does not exist. */
  async hash(file: string): Promise<string | undefined> {
    let st;
    try {
      st = await stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const known = this.stamps[file];
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.sha256;
    const digest = sha256(await readFile(file));
    this.remember(file, { size: st.size, mtimeMs: st.mtimeMs, sha256: digest });
    return digest;
  }

  /** Records a hash computed from bytes just written to `file`. */
  async written(file: string, digest: string): Promise<void> {
    const st = await stat(file);
    this.remember(file, { size: st.size, mtimeMs: st.mtimeMs, sha256: digest });
  }

  private remember(file: string, stamp: Stamp): void {
    this.stamps[file] = stamp;
    this.changed = true;
  }

  async save(): Promise<void> {
    if (!this.changed) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeAtomic(this.file, JSON.stringify(this.stamps));
    this.changed = false;
  }
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a file. */
async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** sha256 of each weights file of each recipe, keyed by file name. */
async function hashWeights(weightsDir: string, cache: HashCache): Promise<Map<NetName, Record<string, string>>> {
  const out = new Map<NetName, Record<string, string>>();
  await Promise.all(RECIPES.map(async (r) => {
    const files = await weightFiles(weightsDir, r.weightsModel);
    const hashes: Record<string, string> = {};
    for (const f of files) {
      const digest = await cache.hash(f);
      if (!digest) throw new Error(`model build: weights file ${f} is missing`);
      hashes[path.basename(f)] = digest;
    }
    out.set(r.name, hashes);
  }));
  return out;
}

async function isFresh(dir: string, r: NetRecipe, old: Manifest | undefined, weights: Record<string, string>, cache: HashCache): Promise<boolean> {
  if (!old || old.version !== BUILDER_VERSION) return false;
  const entry = old.nets?.[r.name];
  if (!entry) return false;
  if (Object.entries(weights).some(([f, h]) => old.builtFrom?.weightsSha256?.[f] !== h)) return false;
  return (await cache.hash(path.join(dir, entry.file))) === entry.sha256;
}

async function buildNet(dir: string, weightsDir: string, r: NetRecipe, cache: HashCache): Promise<{ entry: NetEntry; report: BuildReport }> {
  const t0 = performance.now();
  const bytes = r.build(await readWeights(weightsDir, r.weightsModel));
  const file = `${r.name}.onnx`;
  const digest = sha256(bytes);
  await writeAtomic(path.join(dir, file), bytes);
  await cache.written(path.join(dir, file), digest);
  const entry: NetEntry = { file, sha256: digest, input: inputEntry(r), outputs: r.outputs };
  return { entry, report: { net: r.name, bytes: bytes.length, ms: Math.round(performance.now() - t0) } };
}

/**
 * Makes sure `dir` holds every net's .onnx and a manifest describing them, and returns the
 * manifest. A net is rebuilt when its file is missing, its sha256 differs from the manifest's,
 * the weights it was built from changed, or BUILDER_VERSION changed; otherwise nothing is written.
 */
export async function ensureModels(dir: string = DEFAULT_MODEL_DIR, options: EnsureOptions = {}): Promise<Manifest> {
  const weightsDir = faceApiWeightsDir();
  const cache = await HashCache.open(dir);
  const [old, weightHashes] = await Promise.all([readManifest(dir), hashWeights(weightsDir, cache)]);
  const fresh = await Promise.all(RECIPES.map((r) => isFresh(dir, r, old, weightHashes.get(r.name) ?? {}, cache)));
  if (old && fresh.every(Boolean) && Object.keys(old.nets).length === RECIPES.length) {
    await cache.save();
    return old;
  }

  await mkdir(dir, { recursive: true });
  const nets: Partial<Record<NetName, NetEntry>> = {};
  for (const [i, r] of RECIPES.entries()) {
    if (fresh[i] && old) {
      nets[r.name] = old.nets[r.name];
      continue;
    }
    const { entry, report } = await buildNet(dir, weightsDir, r, cache);
    nets[r.name] = entry;
    options.onBuilt?.(report);
  }
  const pkg = JSON.parse(await readFile(require.resolve(`${PACKAGE}/package.json`), 'utf8')) as { version: string };
  const manifest: Manifest = {
    version: BUILDER_VERSION,
    builtFrom: { package: PACKAGE, version: pkg.version, weightsSha256: Object.assign({}, ...weightHashes.values()) as Record<string, string> },
    nets: nets as Record<NetName, NetEntry>,
  };
  await writeAtomic(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await cache.save();
  return manifest;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const t0 = performance.now();
  let built = 0;
  await ensureModels(DEFAULT_MODEL_DIR, {
    onBuilt: ({ net, bytes, ms }) => {
      built += 1;
      console.log(`${net.padEnd(20)} ${(bytes / 1e6).toFixed(2).padStart(6)} MB ${String(ms).padStart(6)} ms`);
    },
  });
  const ms = Math.round(performance.now() - t0);
  console.log(built === 0 ? `up to date (${ms} ms)` : `built ${built} net(s) into ${DEFAULT_MODEL_DIR} in ${ms} ms`);
}
