/** Arrival traces: paced as facefleet load paces them, parsed with one-sentence errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arrivals, parseTrace, totalJobs, TraceSyntaxError } from '../../../services/simulate/traces.ts';

const all = (text: string) => {
  const a = arrivals(parseTrace(text));
  const out: number[] = [];
  for (let t = a.next(); t !== Infinity; t = a.next()) out.push(t);
  return out;
};

describe('given trace texts', () => {
  it('when a burst of 100 at 0 s is read, then 100 jobs arrive at 0', () => {
    const times = all('burst:100x1@0s');
    assert.equal(times.length, 100);
    assert.ok(times.every((t) => t === 0));
  });

  it('when 3 bursts of 2 every 10 s are read, then they arrive at 0, 10 and 20 s', () => {
    assert.deepEqual(all('burst:2x3@10s'), [0, 0, 10_000, 10_000, 20_000, 20_000]);
  });

  it('when a constant rate is read, then jobs come evenly, the first at 0', () => {
    const times = all('constant:4@2s');
    assert.deepEqual(times.map((t) => Math.round(t)), [0, 250, 500, 750, 1000, 1250, 1500, 1750]);
  });

  it('when a ramp is read, then its count is the area under the rate and the gaps shrink', () => {
    const times = all('ramp:1-9@10s');
    assert.ok(Math.abs(times.length - 50) <= 1, String(times.length));
    assert.ok((times[1] as number) - (times[0] as number) > (times.at(-1) as number) - (times.at(-2) as number));
    assert.ok(Math.abs(totalJobs(parseTrace('ramp:1-9@10s')) - times.length) <= 1);
  });

  it('when a diurnal day is read, then the rate peaks at mid-day', () => {
    const times = all('diurnal:2@24h');
    const hour = (h: number) => times.filter((t) => t >= h * 3_600_000 && t < (h + 1) * 3_600_000).length;
    assert.ok(hour(12) > 5 * hour(0), `${hour(12)} vs ${hour(0)}`);
  });

  for (const bad of ['burst:100x2@0s', 'constant:10', 'ramp:0-0@10s', 'wave:3', 'burst:axb@1s']) {
    it(`when "${bad}" is read, then a one-line TraceSyntaxError names it`, () => {
      assert.throws(() => parseTrace(bad), (e: unknown) => e instanceof TraceSyntaxError && e.message.includes(bad) && !e.message.includes('\n'));
    });
  }
});
