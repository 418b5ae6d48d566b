import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, renderProgressLine } from '../../../client/load/progress.ts';
import type { RunProgress } from '../../../client/load/runner.ts';

const at = (finished: number, elapsedMs: number): RunProgress => ({ total: 10, started: finished + 2, finished, inFlight: 2, ok: finished - 1, failed: 1, wrong: 0, elapsedMs });

describe('given run counts', () => {
  it('when rendered plain, then one line of counts and rate', () => {
    assert.equal(renderProgressLine(at(5, 2000)), '5/10 done, 4 ok, 1 failed, 0 wrong, 2 in flight, 2.5 req/s, 2s');
  });
  it('when rendered with a bar, then the bar fills in proportion', () => {
    assert.match(renderProgressLine(at(5, 2000), 10), /^\[#####-----\] 5\/10 done/);
  });
});

describe('given a display that is not a TTY', () => {
  it('when updates come fast, then a plain line is written at most once per interval, and at the end', () => {
    const out: string[] = [];
    let now = 0;
    const display = createProgress({ write: (t: string) => out.push(t), isTTY: false }, { now: () => now, intervalMs: 1000 });
    display.update(at(1, 100));
    now = 500;
    display.update(at(2, 500));
    now = 1200;
    display.update(at(3, 1200));
    display.done();
    assert.deepEqual(out.map((l) => l.split(' ')[0]), ['1/10', '3/10', '3/10']);
    assert.ok(out.every((l) => l.endsWith('\n') && !l.includes('\r')));
  });
});

describe('given a TTY display', () => {
  it('when updated, then the line is redrawn in place and ended once at the end', () => {
    const out: string[] = [];
    const display = createProgress({ write: (t: string) => out.push(t), isTTY: true, columns: 120 }, { now: () => 0, intervalMs: 0 });
    display.update(at(1, 100));
    display.done();
    assert.ok(out[0]!.startsWith('\r\x1b[2K['));
    assert.equal(out.at(-1), '\n');
  });
  it('when quiet, then nothing is written', () => {
    const out: string[] = [];
    const display = createProgress({ write: (t: string) => out.push(t), isTTY: true }, { now: () => 0, quiet: true });
    display.update(at(1, 100));
    display.done();
    assert.deepEqual(out, []);
  });
});
