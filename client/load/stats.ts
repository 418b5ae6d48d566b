/**
 * Latency statistics: nearest-rank percentiles, the summary of a run, and a histogram on "nice"
 * bucket edges (1-2-5 steps) so that the bars stay readable from milliseconds to minutes.
 */
import type { HistogramBucket, LatencySummary, LoadSummary, RequestRecord } from './types.ts';

/**
 * The p-th percentile (0 < p ≤ 100) of ascending-sorted values by the nearest-rank rule: the
 * smallest value with at least p% of the values at or below it. 0 for an empty list.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

/** Min, mean, p50/p90/p99 and max of the values (any order); all 0 when empty. */
export function summarizeLatency(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    min: sorted[0] ?? 0,
    mean: sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}

/** The 1-2-5 ladder: 1, 2, 5, 10, 20, 50, … */
function ladder(step: number): number {
  const decade = 10 ** Math.floor(step / 3);
  return [1, 2, 5][step % 3]! * decade;
}

/** The greatest 1-2-5 number ≤ v (v > 0), and its step on the ladder. */
function ladderStepAtOrBelow(v: number): number {
  let step = 0;
  while (ladder(step + 1) <= v) step += 1;
  return step;
}

/**
 * Buckets on 1-2-5 edges covering all values: each value falls in exactly one bucket
 * (from ≤ v < to); the counts add up to the number of values. Empty input → [].
 */
export function histogram(values: readonly number[]): HistogramBucket[] {
  if (values.length === 0) return [];
  const min = Math.max(1, Math.min(...values));
  const max = Math.max(...values);
  const edges: number[] = [];
  let step = ladderStepAtOrBelow(min);
  edges.push(Math.min(...values) < 1 ? 0 : ladder(step));
  while (edges[edges.length - 1]! <= max) {
    step += 1;
    edges.push(ladder(step));
  }
  const buckets = edges.slice(0, -1).map((from, i) => ({ from, to: edges[i + 1]!, count: 0 }));
  for (const v of values) {
    const bucket = buckets.find((b) => v >= b.from && v < b.to);
    if (bucket) bucket.count += 1;
  }
  return buckets;
}

/** A duration in a short human unit: `850ms`, `1.25s`, `2m05s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * The histogram as ASCII bars, one line per bucket: `  100ms-200ms | ########   12`. Bars are
 * scaled so the biggest is `width` characters; a non-empty bucket always shows at least one `#`.
 */
export function renderHistogram(buckets: readonly HistogramBucket[], width = 40): string[] {
  if (buckets.length === 0) return ['  (no successful requests)'];
  const most = Math.max(...buckets.map((b) => b.count));
  const labels = buckets.map((b) => `${formatMs(b.from)}-${formatMs(b.to)}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const countWidth = String(most).length;
  return buckets.map((b, i) => {
    const bar = b.count === 0 ? '' : '#'.repeat(Math.max(1, Math.round((b.count / most) * width)));
    return `  ${labels[i]!.padStart(labelWidth)} | ${bar.padEnd(width)} ${String(b.count).padStart(countWidth)}`;
  });
}

/** The summary of a run from its records; `durationMs` is the wall time of the whole run. */
export function summarize(records: readonly RequestRecord[], durationMs: number): LoadSummary {
  const ok = records.filter((r) => r.outcome === 'ok');
  const latencies = ok.map((r) => r.latencyMs);
  return {
    requests: records.length,
    ok: ok.length,
    failed: records.length - ok.length,
    correct: records.filter((r) => r.check === 'correct').length,
    wrong: records.filter((r) => r.check === 'wrong').length,
    unchecked: records.filter((r) => r.check === 'unchecked').length,
    retries: records.reduce((n, r) => n + r.attempts - 1, 0),
    durationMs,
    throughput: durationMs > 0 ? records.length / (durationMs / 1000) : 0,
    latency: summarizeLatency(latencies),
    histogram: histogram(latencies),
  };
}

/**
 * Finished requests per second of busy time: the time when at least one request was in flight
 * (the union of [startedAt, finishedAt]), so that the pauses of a paced shape do not count.
 */
export function busyThroughput(records: ReadonlyArray<Pick<RequestRecord, 'startedAt' | 'finishedAt'>>): number {
  const spans = [...records].sort((a, b) => a.startedAt - b.startedAt);
  let busy = 0;
  let end = -Infinity;
  for (const r of spans) {
    if (r.startedAt >= end) {
      busy += r.finishedAt - r.startedAt;
      end = r.finishedAt;
    } else if (r.finishedAt > end) {
      busy += r.finishedAt - end;
      end = r.finishedAt;
    }
  }
  return busy > 0 ? records.length / (busy / 1000) : 0;
}
