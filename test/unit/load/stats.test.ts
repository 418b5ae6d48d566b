import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { busyThroughput, formatMs, histogram, percentile, renderHistogram, summarize, summarizeLatency } from '../../../client/load/stats.ts';
import type { RequestRecord } from '../../../client/load/types.ts';

describe('given sorted values', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('when taking percentiles, then the nearest-rank rule applies', () => {
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 90), 90);
    assert.equal(percentile(hundred, 99), 99);
    assert.equal(percentile(hundred, 100), 100);
    assert.equal(percentile([7], 50), 7);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4, 5], 90), 5);
  });

  it('when the list is empty, then 0', () => {
    assert.equal(percentile([], 50), 0);
    assert.deepEqual(summarizeLatency([]), { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('when summarising unsorted values, then they are sorted first', () => {
    assert.deepEqual(summarizeLatency([30, 10, 20, 40]), { min: 10, mean: 25, p50: 20, p90: 40, p99: 40, max: 40 });
  });
});

describe('given latencies for a histogram', () => {
  it('when bucketed, then the edges are 1-2-5 steps covering min and max and the counts add up', () => {
    const values = [120, 180, 250, 260, 900, 1500, 4000];
    const buckets = histogram(values);
    assert.deepEqual(buckets.map((b) => b.from), [100, 200, 500, 1000, 2000]);
    assert.equal(buckets.at(-1)!.to, 5000);
    assert.deepEqual(buckets.map((b) => b.count), [2, 2, 1, 1, 1]);
    assert.equal(buckets.reduce((n, b) => n + b.count, 0), values.length);
  });

  it('when a value sits on an edge, then it belongs to the bucket that starts there', () => {
    const buckets = histogram([100, 200]);
    assert.deepEqual(buckets, [{ from: 100, to: 200, count: 1 }, { from: 200, to: 500, count: 1 }]);
  });

  it('when values are below 1 ms, then the first bucket starts at 0', () => {
    assert.equal(histogram([0.2, 3])[0]!.from, 0);
    assert.equal(histogram([0.2, 3]).reduce((n, b) => n + b.count, 0), 2);
  });

  it('when rendered, then the biggest bar has the full width, a small one at least one #', () => {
    const lines = renderHistogram([{ from: 100, to: 200, count: 100 }, { from: 200, to: 500, count: 1 }, { from: 500, to: 1000, count: 0 }], 20);
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /100ms-200ms \| #{20} 100$/);
    assert.match(lines[1]!, /200ms-500ms \| # {19} {3}1$/);
    assert.match(lines[2]!, /500ms-1s \| {22} {2}0$/);
    assert.deepEqual(renderHistogram([]), ['  (no successful requests)']);
  });
});

describe('given durations', () => {
  it('when formatted, then the unit fits the size', () => {
    assert.equal(formatMs(850.4), '850ms');
    assert.equal(formatMs(1250), '1.25s');
    assert.equal(formatMs(12_340), '12.3s');
    assert.equal(formatMs(125_000), '2m05s');
    assert.equal(formatMs(2000), '2s');
  });
});

describe('given the records of a run', () => {
  const record = (over: Partial<RequestRecord>): RequestRecord => ({ index: 0, image: 'a.jpg', plannedAt: 0, startedAt: 0, finishedAt: 100, latencyMs: 100, attempts: 1, outcome: 'ok', label: 'x', check: 'unchecked', ...over });
  it('when summarised, then counts, retries, throughput and ok-only latency follow', () => {
    const s = summarize(
      [
        record({ latencyMs: 100, check: 'correct' }),
        record({ latencyMs: 300, check: 'wrong', attempts: 3 }),
        record({ outcome: 'failed', latencyMs: 5000, check: 'unchecked', error: 'ECONNREFUSED' }),
        record({ latencyMs: 200 }),
      ],
      2000,
    );
    assert.deepEqual(
      { requests: s.requests, ok: s.ok, failed: s.failed, correct: s.correct, wrong: s.wrong, unchecked: s.unchecked, retries: s.retries, throughput: s.throughput },
      { requests: 4, ok: 3, failed: 1, correct: 1, wrong: 1, unchecked: 2, retries: 2, throughput: 2 },
    );
    assert.equal(s.latency.max, 300);
    assert.equal(s.latency.p50, 200);
  });
});

describe('given requests with a pause between them', () => {
  it('when measuring busy throughput, then only the time with something in flight counts', () => {
    const spans = [
      { startedAt: 0, finishedAt: 1000 },
      { startedAt: 500, finishedAt: 2000 },
      { startedAt: 10_000, finishedAt: 11_000 },
      { startedAt: 10_200, finishedAt: 10_800 },
    ];
    assert.equal(busyThroughput(spans), 4 / 3);
    assert.equal(busyThroughput([]), 0);
  });
});
