import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../app/cli/command.ts';
import { createPacer, formatShape, maxRequests, naturalTotal, parseShape, plannedOffset, type LoadClock, type Shape } from '../../../client/load/shapes.ts';

const offsets = (shape: Shape, n: number) => Array.from({ length: n }, (_, i) => Math.round(plannedOffset(shape, i)));

/** A clock that only moves when someone sleeps on it. */
function fakeClock(start = 1000): LoadClock & { sleeps: number[] } {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('given shape texts', () => {
  it('when they are well formed, then they parse and print back the same', () => {
    for (const text of ['closed', 'constant:5', 'constant:0.5', 'ramp:1-20@60s', 'ramp:10-0@5s', 'burst:50x3@20s', 'burst:2x2@0.5s']) {
      assert.equal(formatShape(parseShape(text)), text);
    }
    assert.deepEqual(parseShape('burst:50x3@20s'), { kind: 'burst', size: 50, count: 3, everyMs: 20_000 });
    assert.deepEqual(parseShape('ramp:1-20@500ms'), { kind: 'ramp', from: 1, to: 20, durationMs: 500 });
    assert.deepEqual(parseShape('burst:4x2@10'), { kind: 'burst', size: 4, count: 2, everyMs: 10_000 });
  });

  it('when they are malformed, then each is a one-line UsageError naming the shape', () => {
    for (const text of ['', 'constant', 'constant:', 'constant:0', 'constant:-1', 'constant:fast', 'ramp:1-20', 'ramp:0-0@10s', 'ramp:1-2@0s', 'ramp:a-2@3s', 'burst:50x3', 'burst:0x3@20s', 'burst:5x0@1s', 'burst:5.5x2@1s', 'burst:5x2@0s', 'burst:5x2@1h', 'spike:10']) {
      assert.throws(
        () => parseShape(text),
        (e: unknown) => e instanceof UsageError && !e.message.includes('\n') && e.message.includes(`"${text}"`),
        text,
      );
    }
  });
});

describe('given a closed shape', () => {
  it('when scheduling, then every request may go at once and the total is unbounded', () => {
    assert.deepEqual(offsets({ kind: 'closed' }, 3), [0, 0, 0]);
    assert.equal(naturalTotal({ kind: 'closed' }), undefined);
  });
});

describe('given constant:4', () => {
  it('when scheduling, then requests are 250 ms apart from 0', () => {
    assert.deepEqual(offsets(parseShape('constant:4'), 5), [0, 250, 500, 750, 1000]);
    assert.equal(naturalTotal(parseShape('constant:4')), undefined);
  });
});

describe('given a ramp', () => {
  it('when it is flat (ramp:2-2@10s), then it is a constant rate', () => {
    assert.deepEqual(offsets(parseShape('ramp:2-2@10s'), 4), [0, 500, 1000, 1500]);
  });

  it('when it rises from 0 (ramp:0-10@10s), then request i goes at sqrt(2i) s and there are 50', () => {
    const shape = parseShape('ramp:0-10@10s');
    assert.equal(naturalTotal(shape), 50);
    for (const i of [0, 1, 2, 8, 18, 32, 50]) assert.ok(Math.abs(plannedOffset(shape, i) - Math.sqrt(2 * i) * 1000) < 1e-6, `i=${i}`);
  });

  it('when past its end, then it keeps the final rate', () => {
    const shape = parseShape('ramp:0-10@10s');
    assert.equal(Math.round(plannedOffset(shape, 60)), 11_000);
  });

  it('when it falls to 0, then it sends its area and no more', () => {
    const shape = parseShape('ramp:10-0@10s');
    assert.equal(naturalTotal(shape), 50);
    assert.equal(maxRequests(shape), 50);
    assert.equal(plannedOffset(shape, 51), Infinity);
    const gaps = offsets(shape, 50).slice(1).map((t, i, all) => t - (i === 0 ? 0 : all[i - 1]!));
    assert.ok(gaps.every((g, i) => i === 0 || g >= gaps[i - 1]! - 1), 'the gaps grow as the rate falls');
  });

  it('when it is any ramp, then the schedule never goes backwards', () => {
    for (const text of ['ramp:1-20@60s', 'ramp:20-1@60s', 'ramp:0-3@2s', 'ramp:5-5@1s']) {
      const times = Array.from({ length: 200 }, (_, i) => plannedOffset(parseShape(text), i));
      assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!), text);
    }
  });
});

describe('given burst:3x2@20s', () => {
  const shape = parseShape('burst:3x2@20s');
  it('when scheduling, then 3 go at 0 s, 3 at 20 s, and the total is 6', () => {
    assert.deepEqual(offsets(shape, 6), [0, 0, 0, 20_000, 20_000, 20_000]);
    assert.equal(naturalTotal(shape), 6);
  });
  it('when asked for more, then further bursts follow at the same period', () => {
    assert.deepEqual(offsets(shape, 8).slice(6), [40_000, 40_000]);
  });
});

describe('given a pacer on a fake clock', () => {
  it('when a request is due later, then it sleeps exactly until then and returns the planned time', async () => {
    const clock = fakeClock();
    const pacer = createPacer(parseShape('constant:2'), clock);
    assert.equal(await pacer.waitTurn(0), 0);
    assert.equal(await pacer.waitTurn(1), 500);
    assert.equal(clock.now(), 1500);
    assert.deepEqual(clock.sleeps, [500]);
  });

  it('when the run is behind schedule, then it does not sleep', async () => {
    const clock = fakeClock();
    const pacer = createPacer(parseShape('burst:2x2@1s'), clock);
    await clock.sleep(5000);
    clock.sleeps.length = 0;
    for (const i of [0, 1, 2, 3]) await pacer.waitTurn(i);
    assert.deepEqual(clock.sleeps, []);
  });
});
