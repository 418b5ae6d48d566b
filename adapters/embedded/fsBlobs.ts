/**
 * The Blobs port on the file system. An object `images/abc` is the plain file `<dir>/images/abc`
 * (so the data folder can be browsed), its content type and metadata live in the sidecar
 * `<dir>/.meta/images/abc.json`. Every write goes to a temp file in the target's folder, then is
 * renamed over the target: a reader sees the old bytes or the new, never half. The size comes from
 * the data file itself, so it always matches the bytes.
 *
 * Durability (what a 202 rests on): the bytes are fsynced before the rename and the folder after it,
 * so an acknowledged object survives an OS crash. Folder fsyncs are shared: renames that land while
 * one is running are covered by the next single one (group commit). The sidecar is written
 * atomically but not fsynced — it only describes the bytes (the job's event holds the content type
 * too), so after an OS crash `head` may report an object without its content type or metadata,
 * never different bytes. Two fsyncs fewer per put; see README, Benchmarks.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../../machines/errors.ts';
import type { BlobInfo, Blobs } from '../ports.ts';

export interface FsBlobsOptions {
  /** The folder that holds the objects (created when missing). */
  dir: string;
}

interface Sidecar {
  contentType?: string;
  metadata: Record<string, string>;
}

const segment = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const META_DIR = '.meta';

/**
 * Checks that `key` is one of ours: segments of `[A-Za-z0-9._-]` joined by `/`, none empty or
 * starting with a dot (so no `.`, `..`, hidden or temp names), at most 1024 characters. Throws a
 * plain Error otherwise: a bad key is our bug, never a user's input.
 */
export function checkBlobKey(key: string): string {
  if (key.length === 0 || key.length > 1024 || !key.split('/').every((part) => segment.test(part))) {
    throw new Error(`not a valid blob key: ${JSON.stringify(key)}`);
  }
  return key;
}

/** ENOENT, or EISDIR for a key that is only a prefix of others (`images` when `images/a` exists). */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}

/** Makes a rename durable: fsync the folder that holds the new name (best effort). */
async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse to fsync a folder; the rename itself is still atomic.
  }
}

/** Per folder: the fsync running now and the one queued behind it (shared by every caller meanwhile). */
const dirSyncs = new Map<string, { running?: Promise<void>; next?: Promise<void> }>();

/**
 * Resolves once an fsync of `dir` that started after this call has finished: a rename done before
 * the call is then durable. Callers arriving while one runs share the next one (group commit).
 */
function syncDir(dir: string): Promise<void> {
  let state = dirSyncs.get(dir);
  if (!state) dirSyncs.set(dir, (state = {}));
  const s = state;
  const start = (): Promise<void> => {
    const run = fsyncDir(dir).finally(() => {
      if (s.running === run) s.running = undefined;
      if (!s.running && !s.next) dirSyncs.delete(dir);
    });
    s.running = run;
    return run;
  };
  if (!s.running) return start();
  s.next ??= s.running.then(() => {
    s.next = undefined;
    return start();
  });
  return s.next;
}

/** Folders known to exist (created here once): no mkdir per write. */
const madeDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  if (madeDirs.size > 10_000) madeDirs.clear();
  madeDirs.add(dir);
}

/**
 * Writes `body` to `target` through a temp file in the same folder, then renames it into place;
 * when `durable`, the bytes are fsynced before the rename and the folder after it.
 */
async function writeAtomically(target: string, body: Buffer | Readable, durable: boolean): Promise<void> {
  const dir = dirname(target);
  await ensureDir(dir);
  const temp = join(dir, `.tmp-${randomUUID()}`);
  try {
    const handle = await open(temp, 'wx').catch(async (error: unknown) => {
      // The folder went away since we made it (someone removed the data dir): make it again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      madeDirs.delete(dir);
      await ensureDir(dir);
      return open(temp, 'wx');
    });
    try {
      if (Buffer.isBuffer(body)) await handle.writeFile(body);
      else for await (const chunk of body) await handle.write(chunk as Buffer);
      if (durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (durable) await syncDir(dir);
}

/** A blob's version on the file system: the hash of its bytes (what a compare-and-swap compares). */
const versionOf = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A lock older than this is a crashed holder's: it is broken. */
const staleLockMs = 10_000;

/**
 * Runs `body` holding the lock file `path` (created with `wx`: one holder across processes);
 * waits for another holder, breaks a stale lock.
 */
async function withLock<T>(path: string, body: () => Promise<T>): Promise<T> {
  await ensureDir(dirname(path));
  for (let waited = 0; ; ) {
    try {
      const handle = await open(path, 'wx');
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > staleLockMs) await rm(path, { force: true });
      else {
        if (waited > 2 * staleLockMs) throw new Error(`the lock ${path} is held for too long`);
        const pause = 5 + Math.floor(Math.random() * 20);
        await new Promise((resolve) => setTimeout(resolve, pause));
        waited += pause;
      }
    }
  }
  try {
    return await body();
  } finally {
    await rm(path, { force: true });
  }
}

/** Builds the file-system Blobs over `options.dir`. */
export function createFsBlobs(options: FsBlobsOptions): Blobs {
  const dataPath = (key: string): string => join(options.dir, checkBlobKey(key));
  const metaPath = (key: string): string => join(options.dir, META_DIR, `${checkBlobKey(key)}.json`);
  const notFound = (key: string, cause: unknown): NotFoundError => new NotFoundError(`no blob under ${key}`, { cause });

  return {
    async put(key, body, putOptions) {
      const sidecar: Sidecar = { metadata: { ...putOptions?.metadata } };
      if (putOptions?.contentType !== undefined) sidecar.contentType = putOptions.contentType;
      const data = dataPath(key);
      const meta = metaPath(key);
      // Bytes first: if the sidecar write failed, head would pair the new bytes with older metadata,
      // which is the lesser harm than metadata describing bytes that never arrived.
      await writeAtomically(data, body, true);
      await writeAtomically(meta, Buffer.from(JSON.stringify(sidecar)), false);
    },

    async get(key) {
      const path = dataPath(key);
      try {
        // Open first so a missing object is a NotFoundError here, not a stream error later; the open
        // handle keeps reading the bytes it opened even if the object is replaced meanwhile.
        const handle = await open(path, 'r');
        if (!(await handle.stat()).isFile()) {
          await handle.close();
          throw Object.assign(new Error(`${path} is a folder`), { code: 'EISDIR' });
        }
        return handle.createReadStream();
      } catch (error) {
        if (isMissing(error)) throw notFound(key, error);
        throw error;
      }
    },

    async getVersioned(key) {
      try {
        const bytes = await readFile(dataPath(key));
        return { bytes, version: versionOf(bytes) };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async putIfVersion(key, body, expected, putOptions) {
      const data = dataPath(key);
      return withLock(`${data}.lock`, async () => {
        const current = await readFile(data).then(versionOf, (error: unknown) => {
          if (isMissing(error)) return undefined;
          throw error;
        });
        if (current !== expected) return false;
        await writeAtomically(data, body, true);
        const sidecar: Sidecar = { metadata: {} };
        if (putOptions?.contentType !== undefined) sidecar.contentType = putOptions.contentType;
        await writeAtomically(metaPath(key), Buffer.from(JSON.stringify(sidecar)), false);
        return true;
      });
    },

    async getBytes(key) {
      try {
        return await readFile(dataPath(key));
      } catch (error) {
        if (isMissing(error)) throw notFound(key, error);
        throw error;
      }
    },

    async head(key): Promise<BlobInfo | undefined> {
      let size: number;
      try {
        const stats = await stat(dataPath(key));
        if (!stats.isFile()) return undefined;
        size = stats.size;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      let sidecar: Sidecar = { metadata: {} };
      try {
        sidecar = JSON.parse(await readFile(metaPath(key), 'utf8')) as Sidecar;
      } catch (error) {
        // Missing, or cut short by an OS crash (it is not fsynced): the object without its description.
        if (!isMissing(error) && !(error instanceof SyntaxError)) throw error;
      }
      const info: BlobInfo = { size, metadata: { ...sidecar.metadata } };
      if (sidecar.contentType !== undefined) info.contentType = sidecar.contentType;
      return info;
    },

    async delete(key) {
      for (const path of [dataPath(key), metaPath(key)]) {
        await unlink(path).catch((error: unknown) => {
          if (!isMissing(error)) throw error;
        });
      }
    },
  };
}
