/**
 * Records the real runs the simulator is validated against (issue 18, item 4): a real
 * `facefleet start` with the embedded defaults (no FACEFLEET_* variable, no config file), driven by
 *   - fleet-burst-100: the fleet bench's burst — 100 concurrent classic POST / of 64×64 face crops
 *     from zero instances;
 *   - load-ramp: a `facefleet load` ramp (classic, ramp:1-12@20s) from zero instances;
 * each on its own data dir. When the fleet is back to zero, the run's event store is read and
 * turned into a fixture (services/simulate/deriveRecording.ts): arrivals, measured boots and
 * service times, and the measured latency percentiles and instance-seconds.
 *
 *   npm run sim:record   (tsx test/bench/simRecord.ts [--only fleet-burst-100|load-ramp])
 *
 * Run it when the machine is quiet: the boots and service times it measures are what the
 * simulator replays. Writes test/fixtures/simulator/<name>.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteEventStore } from '../../adapters/embedded/sqliteEventStore.ts';
import { configSchema } from '../../app/config.ts';
import { runLoad } from '../../client/load/runner.ts';
import { parseShape } from '../../client/load/shapes.ts';
import type { ImageFile } from '../../client/load/types.ts';
import type { EventStore } from '../../adapters/ports.ts';
import type { ReadModelRow } from '../../machines/index.ts';
import { deriveRecording } from '../../services/simulate/deriveRecording.ts';
import type { Recording } from '../../services/simulate/recording.ts';
import { makeCourseCrops } from '../support/faceCrops.ts';
import { repoRoot } from '../support/facefleetProcess.ts';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const scenarios = [
  { name: 'fleet-burst-100', description: 'the fleet bench burst: 100 concurrent classic POST / of 64×64 face crops from zero instances', shape: 'closed', requests: 100, concurrency: 100 },
  { name: 'load-ramp', description: 'facefleet load, classic, ramp:1-12@20s (130 requests) from zero instances', shape: 'ramp:1-12@20s', requests: 130, concurrency: 32 },
].filter((s) => !values.only || s.name === values.only);

const defaults = configSchema.parse({});
const cap = Math.min(19, availableParallelism());
const settings: Recording['settings'] = {
  cap,
  jobsPerInstance: defaults.jobsPerInstance,
  idleFloorSeconds: defaults.idleFloorSeconds,
  pollWaitSeconds: defaults.pollWaitSeconds,
  supervisorTickMs: defaults.supervisorTickMs,
  emptyPollsToIdle: defaults.emptyPollsToIdle,
  visibilityTimeoutSeconds: defaults.visibilityTimeoutSeconds,
  maxReceives: defaults.maxReceives,
};

async function startServer(dataDir: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FACEFLEET_') && k !== 'PORT'));
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'facefleet.js'), 'start', '--port', '0', '--data-dir', dataDir], { cwd: repoRoot, env: { ...env, FACEFLEET_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/[^\s"]+)/.exec(output);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    child.once('exit', (code) => reject(new Error(`facefleet exited with ${code}:\n${output}`)));
  });
  return { child, url };
}

async function fleetAtZero(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const counts = (await fetch(`${url}/v1/counts`).then((r) => r.json())) as { instances: Record<string, number> };
    const live = Object.entries(counts.instances).filter(([s]) => s !== 'terminated').reduce((a, [, n]) => a + n, 0);
    if (live === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the fleet did not return to zero');
}

async function allRows(store: EventStore, kind: 'job' | 'instance'): Promise<ReadModelRow[]> {
  const rows: ReadModelRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ kind, limit: 500, ...(cursor ? { cursor } : {}) });
    rows.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return rows;
}

const crops = await makeCourseCrops(100);
const images: ImageFile[] = crops.map((c, i) => ({ name: `face_${String(i).padStart(3, '0')}.jpg`, stem: `face_${String(i).padStart(3, '0')}`, type: 'image/jpeg', bytes: c.bytes }));

for (const scenario of scenarios) {
  const dataDir = mkdtempSync(join(tmpdir(), 'facefleet-simrec-'));
  const { child, url } = await startServer(dataDir);
  try {
    await fleetAtZero(url, 30_000);
    const report = await runLoad({ url: new URL(url), mode: 'classic', shape: parseShape(scenario.shape), requests: scenario.requests, concurrency: scenario.concurrency, images, expectations: new Map(), retries: 0, timeoutMs: 120_000 });
    const ok = report.records.filter((r) => r.outcome === 'ok').length;
    if (ok !== scenario.requests) throw new Error(`${scenario.name}: only ${ok}/${scenario.requests} answered`);
    await fleetAtZero(url, 60_000);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const store = openSqliteEventStore({ file: join(dataDir, 'facefleet.db'), readonly: true });
  const recording = deriveRecording(
    { name: scenario.name, description: scenario.description, recordedAt: new Date().toISOString(), command: `npm run sim:record -- --only ${scenario.name}`, settings },
    await allRows(store, 'job'),
    await allRows(store, 'instance'),
  );
  rmSync(dataDir, { recursive: true, force: true });
  const file = join(repoRoot, 'test', 'fixtures', 'simulator', `${scenario.name}.json`);
  writeFileSync(file, JSON.stringify(recording, null, 1) + '\n');
  const m = recording.measured;
  console.log(`${scenario.name}: ${m.jobs} jobs, ${m.launches} launches, latency p50/p95/p99 ${m.latencyMs.p50}/${m.latencyMs.p95}/${m.latencyMs.p99} ms, ${m.instanceSeconds} instance-s; boots ${recording.bootMs.map((b) => Math.round(b)).join(' ')} ms → ${file}`);
}
