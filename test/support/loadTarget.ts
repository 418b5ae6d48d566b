/**
 * A real facefleet to load, for the load e2e test and the load bench, started by a shared harness
 * with its quick timings: in this process through `startFacefleet` (facefleetInProcess.ts, the e2e
 * test) or as `facefleet start --port 0` in a child process (facefleetProcess.ts, the bench, so the
 * server does not share the generator's process), plus the six face-api demo photos as a folder with an expectations CSV, and their
 * enrolment as six people.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { enrolSubjects } from '../bench/enrol.ts';
import { readImageFolder } from '../../client/load/loadOptions.ts';
import { startInProcess, type InProcessFacefleet } from './facefleetInProcess.ts';
import { startFacefleet, type FacefleetProcess } from './facefleetProcess.ts';

export interface LoadTarget {
  url: URL;
  process: FacefleetProcess | InProcessFacefleet;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Stops it as SIGTERM does (start stops its workers). */
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
  /** Run the system in this process (no `args`, no start-up timeout). */
  inProcess?: boolean;
}

/** Starts facefleet and resolves once it listens; rejects with its output when it does not. */
export async function startLoadTarget(options: LoadTargetOptions): Promise<LoadTarget> {
  if (options.args && options.inProcess) throw new Error('start flags need a child process');
  const started = options.inProcess
    ? await startInProcess({ dataDir: options.dataDir, ...(options.env ? { env: options.env } : {}) })
    : await startFacefleet({ dataDir: options.dataDir, ...(options.env ? { env: options.env } : {}), ...(options.args ? { args: options.args } : {}), timeoutMs: options.timeoutMs ?? 60_000 });
  return {
    url: new URL(started.url),
    process: started,
    output: () => started.output(),
    stop: async () => {
      await started.stop();
    },
  };
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
