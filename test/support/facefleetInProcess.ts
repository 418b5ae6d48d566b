/**
 * The whole system in the test's own process through `startFacefleet` (app/startFacefleet.ts): the
 * config loaded exactly as `facefleet start` loads it (the quick timings as FACEFLEET_* variables,
 * port 0, a temp data dir), the web tier and the supervisor in-process, the worker instances as
 * their own processes as in production. Same shape as the child-process harness
 * (facefleetProcess.ts) for what tests use, so a test that does not kill the main process runs
 * either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../app/config.ts';
import { startFacefleet, type RunningFacefleet } from '../../app/startFacefleet.ts';
import { quickEnv } from './facefleetProcess.ts';

export interface InProcessOptions {
  /** Reuse a data dir (a restart); default: a new temp dir. */
  dataDir?: string;
  /** FACEFLEET_* variables over the quick timings. */
  env?: Record<string, string>;
}

export interface InProcessFacefleet {
  url: string;
  port: number;
  dataDir: string;
  /** The ports and services, for assertions on the stores. */
  running: RunningFacefleet;
  /** Every line the system logged so far. */
  output(): string;
  /** Stops it as SIGTERM stops `facefleet start`: supervisor, server, fleet, ports. */
  stop(): Promise<void>;
  /** Removes the data dir (after stop). */
  cleanup(): void;
}

/** Starts facefleet in this process and resolves once it listens. */
export async function startInProcess(options: InProcessOptions = {}): Promise<InProcessFacefleet> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'facefleet-e2e-'));
  const env = { ...process.env, ...quickEnv, ...options.env, FACEFLEET_CONFIG: '' };
  const { config } = loadConfig({ env, flags: { port: 0, dataDir } });
  let output = '';
  const running = await startFacefleet(config, { log: (line) => (output += `${line}\n`) });
  return {
    url: running.url,
    port: Number(new URL(running.url).port),
    dataDir,
    running,
    output: () => output,
    stop: () => running.stop(),
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
