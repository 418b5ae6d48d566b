/**
 * The fleet bench: the course grader's view of a run, replayed. A real `facefleet start` with the
 * embedded defaults (no FACEFLEET_* variable, no config file) gets 100 concurrent classic `POST /`
 * requests from zero instances, one 64×64 face crop each (made from the demo photos); a sampler
 * records every 0.25 s the request-queue depth (`/v1/queues`), the live instances (`/v1/counts`)
 * and the worker processes of this data dir (/proc). Then a burst shape of `facefleet load`
 * (`burst:NxK@Ss`) puts a short lull between bursts: a burst that comes 1 s after a lull must pay at
 * most one boot (no launch/terminate thrash).
 *
 *   npm run bench:fleet   (tsx test/bench/fleetBench.ts [--n 100] [--svg bench/fleet.svg] [--json out.json])
 *
 * Prints the timeline and the checks (exit code 1 when one fails): instances start at 0, reach the
 * cap, are 0 within 2 s after the last answer; the queue rises and returns to 0; one stored image
 * and one result per request; first answer from zero < 3 s.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from '../../client/load/runner.ts';
import { parseShape } from '../../client/load/shapes.ts';
import type { ImageFile } from '../../client/load/types.ts';
import { makeCourseCrops } from '../support/faceCrops.ts';
import { repoRoot } from '../support/facefleetProcess.ts';
import { renderLoadSvg } from './svgChart.ts';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '100' }, svg: { type: 'string', default: 'bench/fleet.svg' }, json: { type: 'string' }, burst: { type: 'string', default: 'burst:8x3@2.2s' } },
});
const N = Number(values.n);
const cap = Math.min(19, availableParallelism());

interface Sample {
  t: number;
  backlog: number;
  instances: number;
  processes: number;
}

// ── a facefleet with the embedded defaults ──
const dataDir = mkdtempSync(join(tmpdir(), 'facefleet-fleet-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FACEFLEET_') && k !== 'PORT'));
const child = spawn(process.execPath, [join(repoRoot, 'bin', 'facefleet.js'), 'start', '--port', '0', '--data-dir', dataDir], {
  cwd: repoRoot,
  env: { ...env, FACEFLEET_CONFIG: '' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
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

/** Worker processes whose environment names this data dir. */
function workerProcesses(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker')) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`FACEFLEET_DATA_DIR=${dataDir}\0`)) n += 1;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

const gone = new Set(['terminated', 'lost']);
async function sampleOnce(t0: number): Promise<Sample> {
  const [queues, counts] = await Promise.all([fetch(`${url}/v1/queues`).then((r) => r.json()), fetch(`${url}/v1/counts`).then((r) => r.json())]);
  const requests = (queues as { requests: { visible: number; inFlight: number } }).requests;
  const byState = (counts as { instances: Record<string, number> }).instances;
  const instances = Object.entries(byState).filter(([s]) => !gone.has(s)).reduce((a, [, n]) => a + n, 0);
  return { t: (performance.now() - t0) / 1000, backlog: requests.visible + requests.inFlight, instances, processes: workerProcesses() };
}

function sampler(t0: number) {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const due = performance.now() + 250;
      samples.push(await sampleOnce(t0));
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
  })();
  return { samples, stop: async () => ((stopped = true), await loop) };
}

async function untilZero(from: Sample[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const last = from.at(-1);
    if (last && last.instances === 0 && last.processes === 0 && last.backlog === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const checks: Array<{ what: string; ok: boolean; value: string }> = [];
const check = (what: string, ok: boolean, value: string) => checks.push({ what, ok, value });

try {
  const crops = await makeCourseCrops(N);
  const images: ImageFile[] = crops.map((c, i) => ({ name: `face_${String(i).padStart(3, '0')}.jpg`, stem: `face_${String(i).padStart(3, '0')}`, type: 'image/jpeg', bytes: c.bytes }));
  const plan = (shape: string, n: number, concurrency: number) => ({
    url: new URL(url),
    mode: 'classic' as const,
    shape: parseShape(shape),
    requests: n,
    concurrency,
    images,
    expectations: new Map<string, string>(),
    retries: 0,
    timeoutMs: 120_000,
  });

  // ── scenario 1: 100 concurrent classic requests from zero ──
  const t0 = performance.now();
  const sampling = sampler(t0);
  await new Promise((r) => setTimeout(r, 300)); // a first sample or two at rest
  const loadStart = (performance.now() - t0) / 1000;
  const report = await runLoad(plan('closed', N, N));
  const records = report.records.map((r) => ({ ...r, sent: loadStart + r.startedAt / 1000, done: loadStart + r.finishedAt / 1000 }));
  const lastAnswer = Math.max(...records.map((r) => r.done));
  const firstAnswer = Math.min(...records.map((r) => r.done)) - loadStart;
  await untilZero(sampling.samples, 30_000);
  await new Promise((r) => setTimeout(r, 500));
  await sampling.stop();
  const s = sampling.samples;

  const after = s.filter((x) => x.t >= lastAnswer);
  const zeroAt = after.find((x) => x.instances === 0 && x.processes === 0)?.t;
  const scaleIn = zeroAt === undefined ? Number.POSITIVE_INFINITY : zeroAt - lastAnswer;
  const ok = records.filter((r) => r.outcome === 'ok').length;
  const blobsDir = join(dataDir, 'blobs');
  const count = (sub: string) => {
    try {
      return readdirSync(join(blobsDir, sub)).length;
    } catch {
      return 0;
    }
  };
  const storedImages = count('images');
  const storedResults = count('results');

  console.log(`\nfacefleet ${url} (embedded defaults, cap ${cap}), ${N} concurrent classic POST / of 64×64 face crops\n`);
  console.log('   t (s)  queue  instances  processes');
  let previous = '';
  for (const x of s) {
    const key = `${x.backlog} ${x.instances} ${x.processes}`;
    const mark = Math.abs(x.t - lastAnswer) < 0.125 ? '  ← last answer' : '';
    if (key !== previous || mark) console.log(`${x.t.toFixed(2).padStart(8)}  ${String(x.backlog).padStart(5)}  ${String(x.instances).padStart(9)}  ${String(x.processes).padStart(9)}${mark}`);
    previous = key;
  }
  console.log(`\nanswers ${ok}/${N}; first answer ${firstAnswer.toFixed(2)} s after the first request; last answer at t=${lastAnswer.toFixed(2)} s; fleet at zero at t=${zeroAt?.toFixed(2) ?? 'never'} s`);

  check('instances start at 0', s[0]?.instances === 0 && s[0]?.processes === 0, `${s[0]?.instances}/${s[0]?.processes}`);
  check(`instances reach the cap (${cap})`, Math.max(...s.map((x) => x.instances)) === cap, String(Math.max(...s.map((x) => x.instances))));
  check('instances and processes are 0 within 2 s after the last answer', scaleIn <= 2, `${scaleIn.toFixed(2)} s`);
  check('the queue rises from 0', s[0]?.backlog === 0 && Math.max(...s.map((x) => x.backlog)) > 0, `max ${Math.max(...s.map((x) => x.backlog))}`);
  check('the queue returns to 0', s.at(-1)?.backlog === 0, String(s.at(-1)?.backlog));
  check('every request answered', ok === N, `${ok}/${N}`);
  check('one stored image and one result per request', storedImages === N && storedResults === N, `${storedImages} images, ${storedResults} results`);
  check('first answer from zero < 3 s', firstAnswer < 3, `${firstAnswer.toFixed(2)} s`);

  if (values.svg) {
    mkdirSync(dirname(values.svg), { recursive: true });
    writeFileSync(
      values.svg,
      renderLoadSvg({
        title: `${N} concurrent classic requests from zero (cap ${cap}): back to zero ${scaleIn.toFixed(1)} s after the last answer`,
        requests: records.map((r) => ({ t: r.sent, latencyMs: r.latencyMs, ok: r.outcome === 'ok' })),
        samples: s.map((x) => ({ t: x.t, instances: x.instances, backlog: x.backlog })),
      }),
    );
    console.log(`timeline drawn in ${values.svg}`);
  }

  // ── scenario 2: bursts with a lull between them (no thrash) ──
  // The burst shape sends K bursts of N every S seconds; the fleet clears a burst of 8 in about 1.2 s,
  // so with S = 2.2 s the next burst comes about a second after the queue went empty.
  const shape = parseShape(values.burst);
  const burstCount = shape.kind === 'burst' ? shape.size * shape.count : 16;
  const before = await instanceIds();
  const t1 = performance.now();
  const sampling2 = sampler(t1);
  const bursts = await runLoad(plan(values.burst, burstCount, burstCount));
  await untilZero(sampling2.samples, 30_000);
  await sampling2.stop();
  const launched = [...(await instanceIds())].filter((id) => !before.has(id)).length;
  const perBurst = shape.kind === 'burst' ? shape.count : 2;
  const burstOk = bursts.records.filter((r) => r.outcome === 'ok').length;
  console.log(`\n${values.burst}: ${burstOk}/${burstCount} answered, ${launched} instance(s) launched over ${perBurst} bursts (cap ${cap})`);
  for (const x of sampling2.samples.filter((_, i, a) => i === 0 || `${a[i - 1]!.backlog} ${a[i - 1]!.instances}` !== `${_.backlog} ${_.instances}`)) {
    console.log(`${x.t.toFixed(2).padStart(8)}  ${String(x.backlog).padStart(5)}  ${String(x.instances).padStart(9)}  ${String(x.processes).padStart(9)}`);
  }
  check(`${values.burst}: every request answered`, burstOk === burstCount, `${burstOk}/${burstCount}`);
  check(`${values.burst}: at most one boot of the cap per burst (no thrash)`, launched <= cap * perBurst, `${launched} launched`);

  console.log('\n| check | value | |\n|---|---|---|');
  for (const c of checks) console.log(`| ${c.what} | ${c.value} | ${c.ok ? 'ok' : '**FAILED**'} |`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ bench: 'fleet', checks, samples: s, lastAnswer, firstAnswer, scaleIn }, null, 2));
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}

async function instanceIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = (await fetch(`${url}/v1/instances?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).then((r) => r.json())) as { items: Array<{ id: string }>; next?: string };
    for (const i of page.items) ids.add(i.id);
    cursor = page.next;
  } while (cursor);
  return ids;
}
