/**
 * A real facefleet to load, for the load e2e test and the load bench: `node bin/facefleet.js start
 * --port 0 --data-dir <tmp>` as a child process in its own process group, ready when it prints
 * `facefleet listening on http://HOST:PORT`; `stop()` sends SIGTERM (start stops its workers
 * cleanly) and, if it lingers, SIGKILL to the group. Also: the six face-api demo photos as a folder
 * with an expectations CSV, and their enrolment as six people.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enrolSubjects } from '../../services/load/enrol.ts';
import { readImageFolder } from '../../services/load/loadOptions.ts';

const bin = fileURLToPath(new URL('../../bin/facefleet.js', import.meta.url));

export interface LoadTarget {
  url: URL;
  child: ChildProcess;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export interface LoadTargetOptions {
  dataDir: string;
  /** Extra FACEFLEET_* variables, e.g. { FACEFLEET_CAP: '4' }. */
  env?: Record<string, string>;
  /** Extra `start` flags. */
  args?: string[];
  /** How long start-up may take (default 60 s). */
  timeoutMs?: number;
}

/** Starts facefleet and resolves once it listens; rejects with its output when it exits or times out first. */
export async function startLoadTarget(options: LoadTargetOptions): Promise<LoadTarget> {
  const child = spawn(process.execPath, [bin, 'start', '--port', '0', '--host', '127.0.0.1', '--data-dir', options.dataDir, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (c: string) => (text += c));
  child.stderr?.on('data', (c: string) => (text += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
  };

  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`facefleet did not listen within ${options.timeoutMs ?? 60_000} ms:\n${text}`)), options.timeoutMs ?? 60_000);
    const onData = () => {
      const m = /facefleet listening on (http:\/\/\S+)/.exec(text);
      if (m) finish(undefined, new URL(m[1]!));
    };
    const onExit = () => finish(new Error(`facefleet exited before listening (code ${child.exitCode}):\n${text}`));
    function finish(error?: Error, value?: URL) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) void stop().then(() => reject(error));
      else resolve(value!);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return { url, child, output: () => text, stop };
}

/** The six face-api demo photos: no person appears twice. */
export const demoDir = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
export const demoPeople = [1, 2, 3, 4, 5, 6].map((n) => ({ file: `sample${n}.jpg`, stem: `sample${n}`, name: `person-${n}` }));

/**
 * Copies the demo photos into `folder` and writes `folder/../<name>.csv`-style expectations next to
 * it (Image,Results). `wrong` stems get a deliberately wrong label. Returns the CSV's path.
 */
export function writeDemoFolder(folder: string, csvPath: string, wrong: readonly string[] = []): string {
  mkdirSync(folder, { recursive: true });
  for (const p of demoPeople) copyFileSync(join(demoDir, p.file), join(folder, p.file));
  const rows = demoPeople.map((p) => `${p.stem},${wrong.includes(p.stem) ? `not-${p.name}` : p.name}`);
  writeFileSync(csvPath, ['Image,Results', ...rows].join('\n') + '\n');
  return csvPath;
}

/** Enrols person-1 … person-6 from their demo photos. */
export async function enrolDemoPeople(url: URL, folder: string): Promise<void> {
  const images = await readImageFolder(folder);
  await enrolSubjects(
    url,
    demoPeople.map((p) => ({ name: p.name, image: images.find((i) => i.name === p.file)! })),
  );
}
