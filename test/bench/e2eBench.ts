/**
 * End-to-end benchmark: N photos (default 100, cycling through the demo photos) through the whole
 * system — `facefleet start` as a real process, workers as real processes — via the classic
 * `POST /` at concurrency C (default 10), starting from zero instances. Then, in the same run, the
 * model alone on the same photos in this process, one at a time.
 *
 *   npx tsx test/bench/e2eBench.ts [--n 100] [--c 10] [--cap n] [--json]
 *
 * Normalisation: the fleet processes P photos at once, P = min(C, cap, most instances seen alive).
 * Steady-state end-to-end time per photo per worker = (t_last − t_first result) / (N − 1) × P; the
 * ratio to the model-only mean per photo says what the queue, events, blobs and HTTP add (target ≤ 1.3).
 * On a machine with fewer cores than P, the P workers share the cores (with the main process) and the
 * ratio also measures that contention, so it is also reported against the model alone in P processes
 * at once (the same CPU sharing without queue, events or HTTP) and with P capped at the core count.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { demoPhoto, postClassic, startFacefleet, watchFleet } from '../support/facefleetProcess.ts';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '100' }, c: { type: 'string', default: '10' }, cap: { type: 'string' }, json: { type: 'boolean', default: false } },
});
const N = Number(values.n);
const C = Number(values.c);
const cores = availableParallelism();
const cap = values.cap === undefined ? Math.min(19, cores) : Number(values.cap);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const photos = Array.from({ length: N }, (_, i) => (i % 6) + 1);

// ── end to end ──
const ff = await startFacefleet({
  env: {
    FACEFLEET_CAP: String(cap),
    FACEFLEET_SUPERVISOR_TICK_MS: process.env.FACEFLEET_SUPERVISOR_TICK_MS ?? '250',
  },
});
const fleet = watchFleet(ff.url, 200);
const latencies: number[] = [];
const finishedAt: number[] = [];
let failures = 0;
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: Math.min(C, N) }, async () => {
    while (next < N) {
      const i = next++;
      const answer = await postClassic(ff.url, photos[i]!, `photo-${i}.jpg`);
      if (answer.status !== 200) failures += 1;
      latencies.push(answer.ms);
      finishedAt.push(performance.now() - t0);
    }
  }),
);
const wallMs = performance.now() - t0;
await fleet.stop();
await ff.stop();
ff.cleanup();

// ── model only, same photos, same run ──
const model = await import('../../model/index.ts');
const loaded = await model.loadModel({ threads: 1 });
const gallery = model.emptyGallery();
const bytes = [1, 2, 3, 4, 5, 6].map((n) => readFileSync(demoPhoto(n)));
await loaded.recognize(bytes[0]!, gallery); // warm-up, as a worker's first job is not in steady state either
const modelTimes: number[] = [];
for (const n of photos) {
  const s = performance.now();
  await loaded.recognize(bytes[n - 1]!, gallery);
  modelTimes.push(performance.now() - s);
}
const modelMean = modelTimes.reduce((a, b) => a + b, 0) / modelTimes.length;

// ── model only at the fleet's parallelism: P processes at once on the same cores, no queue/events/HTTP ──
async function parallelModelOnly(p: number): Promise<number> {
  const shares = Array.from({ length: p }, (_, k) => photos.filter((_, i) => i % p === k));
  const children = shares.map((share) =>
    spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./modelOnlyChild.ts', import.meta.url)), share.join(',')], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const lines = children.map((child) => {
    const queue: string[] = [];
    const waiters: Array<(line: string) => void> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => (waiters.length ? waiters.shift()!(line) : queue.push(line)));
    return () => new Promise<string>((resolve) => (queue.length ? resolve(queue.shift()!) : waiters.push(resolve)));
  });
  await Promise.all(lines.map((next) => next())); // every child has loaded and warmed up
  const start = performance.now();
  for (const child of children) child.stdin!.write('go\n');
  await Promise.all(lines.map((next) => next()));
  return ((performance.now() - start) * p) / N; // ms per photo per worker
}

finishedAt.sort((a, b) => a - b);
latencies.sort((a, b) => a - b);
const first = finishedAt[0] ?? NaN;
const last = finishedAt.at(-1) ?? NaN;
const parallelism = Math.max(1, Math.min(C, cap, fleet.maxAlive() || cap));
const steadyPerPhoto = N > 1 ? (last - first) / (N - 1) : NaN;
const ratio = (steadyPerPhoto * parallelism) / modelMean;
const ratioCores = (steadyPerPhoto * Math.min(parallelism, cores)) / modelMean;
const parallelModelMs = parallelism > 1 ? await parallelModelOnly(parallelism) : modelMean;
const ratioParallel = (steadyPerPhoto * parallelism) / parallelModelMs;

const report = {
  photos: N,
  concurrency: C,
  cap,
  cores,
  failures,
  wallSeconds: +(wallMs / 1000).toFixed(2),
  throughputPerSecond: +(N / (wallMs / 1000)).toFixed(2),
  steadyThroughputPerSecond: +(1000 / steadyPerPhoto).toFixed(2),
  latencyMs: { p50: Math.round(percentile(latencies, 50)), p95: Math.round(percentile(latencies, 95)), p99: Math.round(percentile(latencies, 99)) },
  firstResultFromZeroMs: Math.round(first),
  maxInstancesAlive: fleet.maxAlive(),
  parallelism,
  modelOnlyMsPerPhoto: Math.round(modelMean),
  endToEndMsPerPhotoPerWorker: Math.round(steadyPerPhoto * parallelism),
  ratio: +ratio.toFixed(2),
  ratioWithParallelismCappedAtCores: +ratioCores.toFixed(2),
  /** The model alone in `parallelism` processes at once: the same CPU sharing as the fleet, without queue, events or HTTP. */
  modelOnlyParallelMsPerPhotoPerWorker: Math.round(parallelModelMs),
  ratioToParallelModelOnly: +ratioParallel.toFixed(2),
  targets: { ratio: '≤ 1.3', firstResultFromZeroMs: '< 3000' },
  timeline: fleet.timeline(),
};

if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else {
  const lines = [
    `facefleet e2e bench: ${N} photos, concurrency ${C}, cap ${cap}, ${cores} cores`,
    `  wall ${report.wallSeconds} s, throughput ${report.throughputPerSecond}/s (steady ${report.steadyThroughputPerSecond}/s), failures ${failures}`,
    `  latency p50 ${report.latencyMs.p50} ms, p95 ${report.latencyMs.p95} ms, p99 ${report.latencyMs.p99} ms`,
    `  first result from zero instances: ${report.firstResultFromZeroMs} ms (target < 3000)`,
    `  model only: ${report.modelOnlyMsPerPhoto} ms/photo; end to end at parallelism ${parallelism}: ${report.endToEndMsPerPhotoPerWorker} ms/photo/worker`,
    `  ratio ${report.ratio} (target ≤ 1.3); with parallelism capped at ${cores} cores: ${report.ratioWithParallelismCappedAtCores}`,
    `  model only in ${parallelism} processes at once: ${report.modelOnlyParallelMsPerPhotoPerWorker} ms/photo/worker; ratio to that ${report.ratioToParallelModelOnly} (target ≤ 1.3)`,
    `  instances alive over time:`,
    ...report.timeline.map((l) => `    ${l}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
process.exit(failures ? 1 : 0);
