/**
 * Starts the real `node bin/facefleet.js start` as a child process on a free port (port 0) with a
 * temp data dir, awaits its "facefleet listening on http://…" line, and stops it. Its output is kept
 * for assertions and printed when a test fails to start it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { createApiClient, type FileUpload, type Instance, type Job } from '../../client/api.ts';
import type { EventStore } from '../../adapters/ports.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(repoRoot, 'bin', 'facefleet.js');

/** The short timings that keep an end-to-end run quick. */
export const quickEnv: Record<string, string> = {
  FACEFLEET_POLL_WAIT_SECONDS: '1',
  FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: '5',
  FACEFLEET_HEARTBEAT_SECONDS: '1',
  FACEFLEET_HEARTBEAT_TIMEOUT_SECONDS: '15',
  FACEFLEET_EMPTY_POLLS_TO_IDLE: '1',
  FACEFLEET_SUPERVISOR_TICK_MS: '250',
  FACEFLEET_TERMINATE_GRACE_SECONDS: '10',
  FACEFLEET_BOOT_TIMEOUT_SECONDS: '60',
};

export interface StartOptions {
  /** Reuse a data dir (a restart); default: a new temp dir. */
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
  /** How long to wait for the listening line, ms. */
  timeoutMs?: number;
}

export interface FacefleetProcess {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM (or the given signal) and wait for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Removes the data dir (after stop). */
  cleanup(): void;
}

/** Starts facefleet and resolves once it listens. */
export async function startFacefleet(options: StartOptions = {}): Promise<FacefleetProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'facefleet-e2e-'));
  const child = spawn(process.execPath, [bin, 'start', '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...quickEnv, ...options.env, FACEFLEET_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`facefleet did not listen within ${options.timeoutMs ?? 60000} ms:\n${output}`)), options.timeoutMs ?? 60000);
    const check = () => {
      const match = /facefleet listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        res(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`facefleet exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 30000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Kills any worker processes still listed in a data dir's registry (after a test that killed the main process). */
export function killOrphanWorkers(dataDir: string): void {
  try {
    const registry = JSON.parse(readFileSync(join(dataDir, 'instances.json'), 'utf8')) as { instances: Array<{ pid: number }> };
    for (const { pid } of registry.instances) {
      // Only our own workers: a pid may have been reused by now.
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.includes('facefleet')) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  } catch {
    // no registry
  }
}

export const demoPhoto = (n: number): string => join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'demo', `sample${n}.jpg`);

// ─────────────── The demo photos over our API client (client/api.ts) ───────────────

/** Demo photo `sample<n>.jpg` as an upload, under `fileName`. */
export function demoUpload(n: number, fileName = `sample${n}.jpg`): FileUpload {
  return { fileName, bytes: readFileSync(demoPhoto(n)), type: 'image/jpeg' };
}

/** Enrols one subject per demo photo: `person<n>` from sample<n>.jpg. Resolves to the names. */
export async function enrolDemoSubjects(url: string, photos: number[] = [1, 2, 3, 4, 5, 6]): Promise<string[]> {
  const { gallery } = createApiClient({ url });
  const names: string[] = [];
  for (const n of photos) {
    const name = `person${n}`;
    await gallery.addExamples(await gallery.createSubject(name), [demoUpload(n)]);
    names.push(name);
  }
  return names;
}

/** The classic `POST /` with demo photo `n` named `fileName`: resolves to status and plain-text body. */
export const postClassic = (url: string, photo: number, fileName: string) => createApiClient({ url }).classic(demoUpload(photo, fileName));

/** `POST /v1/jobs` with demo photo `n`; resolves to the job id. */
export async function submitJob(url: string, photo: number, fileName = `sample${photo}.jpg`): Promise<string> {
  const [job] = await createApiClient({ url }).submitJobs([demoUpload(photo, fileName)]);
  if (!job) throw new Error('submit returned no job');
  return job.id;
}

/** Every instance (all pages). */
export const listInstances = (url: string): Promise<Instance[]> => createApiClient({ url }).listInstances();

/** One job's view. */
export const getJob = (url: string, jobId: string): Promise<Job> => createApiClient({ url }).getJob(jobId);

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Samples the number of instances per state every `everyMs` until stopped: the scaling timeline. */
export function watchFleet(url: string, everyMs = 250) {
  const started = Date.now();
  const samples: Array<{ t: number; alive: number; states: Record<string, number> }> = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const rows = await listInstances(url);
        const states: Record<string, number> = {};
        for (const r of rows) states[r.state] = (states[r.state] ?? 0) + 1;
        const alive = rows.filter((r) => !['terminated', 'lost'].includes(r.state)).length;
        samples.push({ t: Date.now() - started, alive, states });
      } catch {
        // the server may be restarting
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    samples,
    maxAlive: () => Math.max(0, ...samples.map((s) => s.alive)),
    async stop() {
      stopped = true;
      await loop;
    },
    /** One line per change of the fleet's states: `t=1.2s alive=3 {"polling":2,"working":1}`. */
    timeline(): string[] {
      const lines: string[] = [];
      let last = '';
      for (const s of samples) {
        const key = JSON.stringify(Object.entries(s.states).filter(([state]) => state !== 'terminated').sort());
        if (key === last) continue;
        last = key;
        lines.push(`t=${(s.t / 1000).toFixed(1)}s alive=${s.alive} ${JSON.stringify(s.states)}`);
      }
      return lines;
    },
  };
}

// ───────────────────────────── Stored streams ─────────────────────────────

/** Every stored read model row of a kind equals the fold of its stream, in a data dir; resolves to the rows checked. */
export async function readModelsMatchReplay(dataDir: string, kind: 'job' | 'instance'): Promise<{ checked: number; mismatches: string[] }> {
  const { openSqliteEventStore } = await import('../../adapters/embedded/sqliteEventStore.ts');
  const store = openSqliteEventStore({ file: join(dataDir, 'facefleet.db'), readonly: true });
  try {
    return await storeReadModelsMatchReplay(store, kind);
  } finally {
    await store.close();
  }
}

/** Every stored read model row of a kind equals the fold of its stream, in any event store. */
export async function storeReadModelsMatchReplay(store: EventStore, kind: 'job' | 'instance'): Promise<{ checked: number; mismatches: string[] }> {
  const { fold, toReadModel } = await import('../../machines/index.ts');
  const mismatches: string[] = [];
  let checked = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ kind, limit: 500, ...(cursor ? { cursor } : {}) });
    for (const listed of page.items) {
      // A list may read an index that lags (DynamoDB); the row itself is read consistently.
      const row = (await store.get(kind, listed.id)) ?? listed;
      checked += 1;
      const replayed = toReadModel(row.stream, fold(row.stream, await store.read(row.stream)));
      const a = { state: row.state, seq: row.seq, context: row.context };
      const b = { state: replayed.state, seq: replayed.seq, context: replayed.context };
      if (!isDeepStrictEqual(a, b)) mismatches.push(`${row.stream}: stored ${JSON.stringify(a)} ≠ replayed ${JSON.stringify(b)}`);
    }
    cursor = page.next;
  } while (cursor);
  return { checked, mismatches };
}

/** Polls until every job of `ids` is done; resolves to the jobs. */
export function allJobsDone(url: string, ids: string[], timeoutMs: number): Promise<Job[]> {
  return eventually(
    `${ids.length} jobs to be done`,
    async () => {
      const jobs = await Promise.all(ids.map((id) => getJob(url, id)));
      return jobs.every((j) => j.state === 'done') ? jobs : undefined;
    },
    timeoutMs,
  );
}

/** The event types of one stream, read from the data dir. */
export async function streamTypes(dataDir: string, stream: string): Promise<Array<{ type: string; data: unknown }>> {
  const { openSqliteEventStore } = await import('../../adapters/embedded/sqliteEventStore.ts');
  const store = openSqliteEventStore({ file: join(dataDir, 'facefleet.db'), readonly: true });
  try {
    return (await store.read(stream)).map((e) => ({ type: e.type, data: e.data }));
  } finally {
    await store.close();
  }
}
