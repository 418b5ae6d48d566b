/**
 * Load benchmark: a real facefleet (`facefleet start` as a child process) with the six demo people
 * enrolled, loaded in phases by the workload generator, while `/v1/instances` and `/v1/queues`
 * are sampled every 500 ms.
 *
 *   npm run bench:load   (tsx test/bench/loadBench.ts [--shape burst:8x2@20s] [--concurrency n]
 *                         [--mode classic|v1] [--cap n] [--json out.json] [--svg out.svg])
 *
 * Phases: cold (1 request with no instance running), warm baseline (6 requests one at a time),
 * back to zero, then the burst shape; then wait until the fleet is back to zero. The baseline
 * phase is the in-run baseline of the burst figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { figure, figuresTable, formatNumber, type Figure } from './benchFigures.ts';
import { getJson } from '../../client/load/http.ts';
import { readExpectationsFile, readImageFolder } from '../../client/load/loadOptions.ts';
import { renderSummary } from '../../client/load/renderSummary.ts';
import { runLoad, type LoadPlan } from '../../client/load/runner.ts';
import { formatShape, naturalTotal, parseShape } from '../../client/load/shapes.ts';
import { busyThroughput } from '../../client/load/stats.ts';
import { renderLoadSvg, type LoadChartData } from './svgChart.ts';
import type { LoadMode, LoadReport } from '../../client/load/types.ts';
import { enrolDemoPeople, startLoadTarget, writeDemoFolder } from '../support/loadTarget.ts';
import { makeTempDir } from '../support/tempDir.ts';

/** What `--json` holds: the figures (for bench/report.ts), the chart data and the burst's summary. */
export interface LoadBenchResult {
  bench: 'load';
  figures: Figure[];
  chart: LoadChartData;
  burst: LoadReport['summary'];
  settings: { shape: string; concurrency: number; mode: LoadMode; cap: number };
}

interface Sample {
  t: number;
  instances: number;
  backlog?: number;
  byState: Record<string, number>;
}

const GONE = new Set(['terminated', 'lost']);

/** Live instances by state from `GET /v1/instances` (`{ items: [{ state }] }`). */
function countInstances(json: unknown): { live: number; byState: Record<string, number> } {
  const items = (json as { items?: Array<{ state?: unknown }> }).items ?? [];
  const byState: Record<string, number> = {};
  for (const item of items) {
    const state = typeof item.state === 'string' ? item.state : 'unknown';
    byState[state] = (byState[state] ?? 0) + 1;
  }
  return { live: items.filter((i) => typeof i.state === 'string' && !GONE.has(i.state)).length, byState };
}

/** The request queue's visible + in-flight messages from `GET /v1/queues`, if it says so. */
function backlogOf(json: unknown): number | undefined {
  const requests = (json as { requests?: { visible?: unknown; inFlight?: unknown } }).requests;
  return typeof requests?.visible === 'number' && typeof requests.inFlight === 'number' ? requests.visible + requests.inFlight : undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { shape: { type: 'string' }, concurrency: { type: 'string' }, mode: { type: 'string' }, cap: { type: 'string' }, json: { type: 'string' }, svg: { type: 'string' } },
  });
  const shape = parseShape(values.shape ?? 'burst:8x2@20s');
  const total = naturalTotal(shape) ?? 16;
  const concurrency = Number(values.concurrency ?? (shape.kind === 'burst' ? shape.size : 8));
  const mode: LoadMode = values.mode === 'v1' ? 'v1' : 'classic';
  const dir = makeTempDir('load-bench');
  const photos = dir.file('photos');
  const csv = writeDemoFolder(photos, dir.file('expect.csv'));
  const log = (line: string) => process.stderr.write(`[load bench] ${line}\n`);

  log('starting facefleet');
  const target = await startLoadTarget({ dataDir: dir.file('data'), args: values.cap ? ['--cap', values.cap] : [] });
  const stopAll = async () => {
    await target.stop();
    await dir.cleanup();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const cap = Number(/^\s+cap\s+(\d+)/m.exec(target.output())?.[1] ?? '19');
    log(`listening on ${target.url.href} (cap ${cap}); enrolling the six demo people`);
    await enrolDemoPeople(target.url, photos);
    const images = await readImageFolder(photos);
    const expectations = await readExpectationsFile(csv);
    const plan = (over: Partial<LoadPlan>): LoadPlan => ({ url: target.url, mode, shape: { kind: 'closed' }, requests: 1, concurrency: 1, images, expectations, retries: 5, timeoutMs: 300_000, ...over });

    const instancesNow = async () => countInstances(await getJson(new URL('/v1/instances', target.url), { timeoutMs: 10_000 }));
    const waitForZero = async (limitMs: number): Promise<number | undefined> => {
      const t0 = performance.now();
      while (performance.now() - t0 < limitMs) {
        if ((await instancesNow()).live === 0) return performance.now() - t0;
        await new Promise((r) => setTimeout(r, 500));
      }
      return undefined;
    };

    log('waiting for an empty fleet before the cold request');
    await waitForZero(120_000);
    const cold = await runLoad(plan({ requests: 1 }));
    log(`cold: ${formatNumber(cold.summary.latency.max)} ms`);
    const baseline = await runLoad(plan({ requests: images.length }));
    const baselinePeak = (await instancesNow()).live;
    log(`warm baseline: p50 ${formatNumber(baseline.summary.latency.p50)} ms, ${baseline.summary.throughput.toFixed(2)} req/s; waiting for the fleet to go back to zero`);
    await waitForZero(180_000);

    log(`burst: ${formatShape(shape)}, ${total} requests, concurrency ${concurrency}, ${mode}`);
    const samples: Sample[] = [];
    const t0 = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = (performance.now() - t0) / 1000;
        try {
          const [inst, queues] = await Promise.all([instancesNow(), getJson(new URL('/v1/queues', target.url), { timeoutMs: 10_000 })]);
          const backlog = backlogOf(queues);
          samples.push({ t, instances: inst.live, byState: inst.byState, ...(backlog !== undefined ? { backlog } : {}) });
        } catch (error) {
          log(`sample failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 500 - ((performance.now() - t0) % 500))));
      }
    })();
    const burst = await runLoad(plan({ shape, requests: total, concurrency }));
    const lastAnswerAt = (performance.now() - t0) / 1000;
    log(`burst done in ${(burst.summary.durationMs / 1000).toFixed(1)} s; waiting for the fleet to go back to zero`);
    const zeroAfterMs = await waitForZero(240_000);
    await new Promise((r) => setTimeout(r, 1000));
    sampling = false;
    await sampler;

    const peak = Math.max(0, ...samples.map((s) => s.instances));
    const firstPeak = samples.find((s) => s.instances === peak);
    const expectedPeak = Math.min(cap, shape.kind === 'burst' ? shape.size : total, concurrency);
    const b = burst.summary;
    const base = baseline.summary;
    const busyBurst = busyThroughput(burst.records);
    const busyBase = busyThroughput(baseline.records);
    const pct = (n: number, of: number) => (of === 0 ? 0 : Number(((100 * n) / of).toFixed(1)));
    const figures: Figure[] = [
      figure({ name: 'cold request (no instance running) latency', value: Math.round(cold.summary.latency.max), unit: 'ms', target: '≤ 30000 ms', met: cold.summary.ok === 1 && cold.summary.latency.max <= 30_000, baseline: Math.round(base.latency.p50) }),
      figure({ name: 'burst latency p50', value: Math.round(b.latency.p50), unit: 'ms', target: `≤ classic timeout 120000 ms`, met: b.latency.p50 <= 120_000, baseline: Math.round(base.latency.p50) }),
      figure({ name: 'burst latency p99', value: Math.round(b.latency.p99), unit: 'ms', target: `≤ classic timeout 120000 ms`, met: b.latency.p99 <= 120_000, baseline: Math.round(base.latency.p99) }),
      figure({ name: 'burst throughput while busy', value: Number(busyBurst.toFixed(3)), unit: 'req/s', target: '≥ baseline (scale-out helps)', met: busyBurst >= busyBase, baseline: Number(busyBase.toFixed(3)) }),
      figure({ name: 'burst throughput over the whole shape', value: Number(b.throughput.toFixed(3)), unit: 'req/s' }),
      figure({ name: 'burst answers correct', value: pct(b.correct, b.requests), unit: '%', target: '= 100 %', met: b.correct === b.requests, baseline: pct(base.correct, base.requests) }),
      figure({ name: 'burst requests failed', value: b.failed, unit: '', target: '= 0', met: b.failed === 0, baseline: base.failed }),
      figure({ name: 'peak live instances', value: peak, unit: 'instances', target: `= min(cap ${cap}, burst, concurrency) = ${expectedPeak}`, met: peak === expectedPeak, baseline: baselinePeak }),
      figure({ name: 'time to peak instances', value: firstPeak ? Number(firstPeak.t.toFixed(1)) : NaN, unit: 's', target: '≤ 30 s', met: firstPeak !== undefined && firstPeak.t <= 30 }),
      figure({ name: 'back to zero instances after the last answer', value: zeroAfterMs === undefined ? NaN : Number((zeroAfterMs / 1000).toFixed(1)), unit: 's', target: '≤ 60 s', met: zeroAfterMs !== undefined && zeroAfterMs <= 60_000 }),
    ];
    const chart: LoadChartData = {
      title: `facefleet load: ${formatShape(shape)}, ${total} requests, concurrency ${concurrency}, ${mode}, cap ${cap}`,
      requests: burst.records.map((r) => ({ t: r.startedAt / 1000, latencyMs: r.latencyMs, ok: r.outcome === 'ok' })),
      samples: samples.map(({ t, instances, backlog }) => ({ t, instances, ...(backlog !== undefined ? { backlog } : {}) })),
    };

    console.log(renderSummary(burst));
    console.log('');
    console.log(`facefleet load bench — ${formatShape(shape)}, concurrency ${concurrency}, ${mode}, cap ${cap}; last answer at ${lastAnswerAt.toFixed(1)} s`);
    console.log(figuresTable(figures));
    const result: LoadBenchResult = { bench: 'load', figures, chart, burst: b, settings: { shape: formatShape(shape), concurrency, mode, cap } };
    if (values.json) {
      mkdirSync(dirname(values.json), { recursive: true });
      writeFileSync(values.json, JSON.stringify(result, null, 2) + '\n');
    }
    if (values.svg) {
      mkdirSync(dirname(values.svg), { recursive: true });
      writeFileSync(values.svg, renderLoadSvg(chart));
    }
  } finally {
    await stopAll();
  }
}

await main();
