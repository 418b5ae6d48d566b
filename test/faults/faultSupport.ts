/**
 * Helpers for the fault-injection suite: the short/full scale, a seeded random source, batch
 * submission, the worker processes of a data dir, and read-only views of the stored streams and
 * result blobs that the "exactly once" assertions are made on.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadModelRow, StoredEvent } from '../../machines/index.ts';
import { demoPhoto, eventually, killOrphanWorkers, startFacefleet, type FacefleetProcess, type StartOptions } from '../support/facefleetProcess.ts';

/** `FACEFLEET_FAULTS_FULL=1` (npm run test:faults) runs the full numbers; unset, the short ones. */
export const full = !!process.env.FACEFLEET_FAULTS_FULL && process.env.FACEFLEET_FAULTS_FULL !== '0';

/** The short value under `npm test`, the full one under `npm run test:faults`. */
export function scale<T>(short: T, fullValue: T): T {
  return full ? fullValue : short;
}

/** Prints one measured figure as a TAP comment (collected into docs/reliability.md). */
export function figure(test: string, values: Record<string, unknown>): void {
  process.stdout.write(`# figure ${test} ${JSON.stringify(values)}\n`);
}

// ───────────────────────────── randomness ─────────────────────────────

/** A seeded PRNG (the simulator's mulberry32): a failing run can be replayed with FACEFLEET_FAULTS_SEED. */
export { seededRandom } from '../../services/simulate/random.ts';

/** The seed of this run: FACEFLEET_FAULTS_SEED or the clock, printed so the run can be repeated. */
export function runSeed(): number {
  const seed = Number(process.env.FACEFLEET_FAULTS_SEED) || Date.now() % 2 ** 31;
  process.stdout.write(`# FACEFLEET_FAULTS_SEED=${seed}\n`);
  return seed;
}

// ───────────────────────────── photos and submission ─────────────────────────────

/** sha256 (hex) of a demo photo's bytes: what `poison:` and `slow-job-ms:` select on. */
export function photoSha256(n: number): string {
  return createHash('sha256').update(readFileSync(demoPhoto(n))).digest('hex');
}

/** The file name that tells which demo photo a job is: `p<n>-<tag>.jpg`. */
export const photoName = (n: number, tag: string | number): string => `p${n}-${tag}.jpg`;
/** The photo number from such a file name, or undefined. */
export const photoOf = (fileName: string): number | undefined => {
  const match = /^p(\d+)-/.exec(fileName);
  return match ? Number(match[1]) : undefined;
};

/** `POST /v1/jobs` with up to 10 photos at once (202); resolves to the job ids in order. */
export async function submitBatch(url: string, photos: Array<{ photo: number; name: string }>): Promise<string[]> {
  const form = new FormData();
  for (const { photo, name } of photos) form.append('file', new Blob([readFileSync(demoPhoto(photo))], { type: 'image/jpeg' }), name);
  const response = await fetch(`${url}/v1/jobs`, { method: 'POST', body: form });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`submit: HTTP ${response.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id);
}

/** Submits `n` jobs cycling through the six demo photos, 10 per request; resolves to id → photo. */
export async function submitMany(url: string, n: number, tag = 'job'): Promise<Map<string, number>> {
  const jobs = new Map<string, number>();
  for (let start = 0; start < n; start += 10) {
    const batch = Array.from({ length: Math.min(10, n - start) }, (_, i) => {
      const photo = ((start + i) % 6) + 1;
      return { photo, name: photoName(photo, `${tag}${start + i}`) };
    });
    const ids = await submitBatch(url, batch);
    ids.forEach((id, i) => jobs.set(id, batch[i]!.photo));
  }
  return jobs;
}

/** Job counts by state (`GET /v1/counts`). */
export async function jobCounts(url: string): Promise<Record<string, number>> {
  const response = await fetch(`${url}/v1/counts`);
  if (!response.ok) throw new Error(`counts: HTTP ${response.status}`);
  return ((await response.json()) as { jobs: Record<string, number> }).jobs;
}

/** Request / dead-letter queue depths (`GET /v1/queues`). */
export async function queueDepths(url: string): Promise<Record<'requests' | 'responses' | 'deadLetters', { visible: number; inFlight: number }>> {
  const response = await fetch(`${url}/v1/queues`);
  if (!response.ok) throw new Error(`queues: HTTP ${response.status}`);
  return (await response.json()) as Record<'requests' | 'responses' | 'deadLetters', { visible: number; inFlight: number }>;
}

/** Waits until no job is queued or processing; resolves to the final counts. */
export async function allSettled(url: string, timeoutMs: number): Promise<Record<string, number>> {
  return eventually(
    'every job to be done or failed',
    async () => {
      const counts = await jobCounts(url);
      return (counts.queued ?? 0) + (counts.processing ?? 0) + (counts.new ?? 0) === 0 && (counts.done ?? 0) + (counts.failed ?? 0) > 0 ? counts : undefined;
    },
    timeoutMs,
    200,
  );
}

// ───────────────────────────── processes ─────────────────────────────

export interface WorkerProcess {
  instanceId: string;
  pid: number;
}

/** True while `pid` is a live (not zombie) facefleet process. */
export function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state === 'Z' || state === 'X') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('facefleet');
  } catch {
    return false;
  }
}

/** The worker processes of a data dir that are alive now (from the compute registry `instances.json`). */
export function liveWorkers(dataDir: string): WorkerProcess[] {
  try {
    const registry = JSON.parse(readFileSync(join(dataDir, 'instances.json'), 'utf8')) as { instances: Array<{ instanceId: string; pid: number; exitCode?: number | null }> };
    return registry.instances.filter((e) => e.exitCode === undefined && isLive(e.pid)).map(({ instanceId, pid }) => ({ instanceId, pid }));
  } catch {
    return [];
  }
}

/** Starts facefleet and remembers it, so that `cleanupAll` kills it and its workers whatever happened. */
export function facefleetPool() {
  const started: FacefleetProcess[] = [];
  return {
    async start(options: StartOptions = {}): Promise<FacefleetProcess> {
      const ff = await startFacefleet(options);
      started.push(ff);
      return ff;
    },
    /** SIGKILLs every main process started here and their workers (SIGSTOPped ones too), removes the data dirs. */
    async cleanupAll(): Promise<void> {
      for (const ff of started) {
        await ff.stop('SIGKILL').catch(() => undefined);
        killOrphanWorkers(ff.dataDir);
      }
      for (const ff of new Set(started.map((s) => s.dataDir))) {
        await new Promise((r) => setTimeout(r, 100));
        started.find((s) => s.dataDir === ff)?.cleanup();
      }
    },
  };
}

// ───────────────────────────── stored streams ─────────────────────────────

export interface StoreView {
  read(stream: string): Promise<StoredEvent[]>;
  rows(kind: 'job' | 'instance'): Promise<ReadModelRow[]>;
  close(): Promise<void>;
}

/** Opens the data dir's SQLite store read-only (while facefleet runs). */
export async function openStore(dataDir: string): Promise<StoreView> {
  const { openSqliteEventStore } = await import('../../adapters/embedded/sqliteEventStore.ts');
  const store = openSqliteEventStore({ file: join(dataDir, 'facefleet.db'), readonly: true });
  return {
    read: (stream) => store.read(stream),
    async rows(kind) {
      const rows: ReadModelRow[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ kind, limit: 500, ...(cursor ? { cursor } : {}) });
        rows.push(...page.items);
        cursor = page.next;
      } while (cursor);
      return rows;
    },
    close: () => store.close(),
  };
}

/** Reads the store, runs `use`, closes it. */
export async function withStore<T>(dataDir: string, use: (store: StoreView) => Promise<T>): Promise<T> {
  const store = await openStore(dataDir);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** The result blobs in a data dir (`results/<jobId>/<attempt>.json`), by job id then attempt. */
export function resultBlobs(dataDir: string): Map<string, Map<number, { label: string }>> {
  const dir = join(dataDir, 'blobs', 'results');
  const out = new Map<string, Map<number, { label: string }>>();
  if (!existsSync(dir)) return out;
  for (const jobId of readdirSync(dir)) {
    const attempts = new Map<number, { label: string }>();
    for (const file of readdirSync(join(dir, jobId))) {
      if (!file.endsWith('.json')) continue;
      attempts.set(Number(file.slice(0, -'.json'.length)), JSON.parse(readFileSync(join(dir, jobId, file), 'utf8')) as { label: string });
    }
    out.set(jobId, attempts);
  }
  return out;
}

const ms = (iso: unknown): number => (typeof iso === 'string' ? Date.parse(iso) : NaN);
export { ms as isoMs };

/**
 * Checks that every job stream of the store (or `jobIds`) ended `done` exactly once: one
 * JobCompleted, the last event; its label the photo's person when the file name tells the photo
 * (unless `labels: false`: no gallery enrolled); the completed attempt's result blob, whose label
 * is the completed one. Resolves to the problems found (empty when all is well) and per-job facts.
 */
export async function exactlyOnce(dataDir: string, options: { jobIds?: Iterable<string>; labels?: boolean } = {}): Promise<{ problems: string[]; jobs: number; retried: number; attempts: number[] }> {
  const blobs = resultBlobs(dataDir);
  return withStore(dataDir, async (store) => {
    const rows = await store.rows('job');
    const ids = options.jobIds ? [...options.jobIds] : rows.map((r) => r.id);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const problems: string[] = [];
    const attempts: number[] = [];
    let retried = 0;
    for (const id of ids) {
      const events = await store.read(`job-${id}`);
      const types = events.map((e) => e.type);
      const completed = events.filter((e) => e.type === 'JobCompleted');
      const row = byId.get(id);
      if (!row) problems.push(`${id}: no read model row (lost)`);
      else if (row.state !== 'done') problems.push(`${id}: ${row.state} (${types.join(', ')})`);
      if (completed.length !== 1) problems.push(`${id}: ${completed.length} JobCompleted (${types.join(', ')})`);
      if (types.at(-1) !== 'JobCompleted') problems.push(`${id}: does not end with JobCompleted (${types.join(', ')})`);
      const label = (completed[0]?.data as { label?: string } | undefined)?.label;
      const photo = photoOf(String(row?.context.fileName ?? ''));
      if (options.labels !== false && photo !== undefined && label !== `person${photo}`) problems.push(`${id}: label ${label} for photo ${photo}`);
      // The result JobCompleted points at: written by the attempt that completed, never by another.
      const attempt = (completed[0]?.data as { attempt?: number } | undefined)?.attempt ?? 0;
      const blob = blobs.get(id)?.get(attempt);
      if (!blob) problems.push(`${id}: no result blob for the completed attempt ${attempt}`);
      else if (blob.label !== label) problems.push(`${id}: result blob says ${blob.label}, JobCompleted ${label}`);
      const n = events.filter((e) => e.type === 'JobStarted').length;
      attempts.push(n);
      if (n > 1) retried += 1;
    }
    const extra = [...blobs.keys()].filter((id) => !byId.has(id));
    if (extra.length) problems.push(`result blobs without a job: ${extra.join(', ')}`);
    return { problems, jobs: ids.length, retried, attempts };
  });
}

/** Mean and max of some numbers, rounded (ms), for the figures. */
export function stats(values: number[]): { n: number; mean: number; max: number; min: number } {
  if (values.length === 0) return { n: 0, mean: 0, max: 0, min: 0 };
  return {
    n: values.length,
    mean: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
    max: Math.round(Math.max(...values)),
    min: Math.round(Math.min(...values)),
  };
}
