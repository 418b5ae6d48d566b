/**
 * `facefleet simulate` through the real CLI process: the acceptance command prints the
 * comparison table and writes the plot where --out says; --json prints the runs; a bad trace or
 * option is one stderr line and exit code 2.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { runFacefleet } from '../../support/cli.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const dir = makeTempDir('simulate-cli');
after(() => dir.cleanup());

describe('given the real facefleet CLI', () => {
  it('when the acceptance command runs, then it prints the policy table and writes the plot to --out', async () => {
    const out = dir.file('plots', 'burst.svg');
    const run = await runFacefleet(['simulate', '--trace', 'burst:100x1@0s', '--boot', '1.5s', '--service', '60ms', '--cap', '2', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^burst:100x1@0s; boot 1\.5s, service 60ms, cap 2/);
    assert.match(run.stdout, /\| \| idle auto \(measured boot\) \| idle 0\.38 s \(0\.25× boot\) \| idle 6 s \(4× boot\) \|/);
    for (const row of ['instance-seconds (cost)', 'latency p50', 'latency p95', 'latency p99', 'launches', 'forced terminations']) assert.ok(run.stdout.includes(`| ${row} |`), row);
    assert.match(run.stdout, /\| jobs done \/ arrived \| 100 \/ 100 \| 100 \/ 100 \| 100 \/ 100 \|/);
    assert.ok(run.stdout.includes(`plot written to ${out}`));
    const svg = readFileSync(out, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<path /g) ?? []).length, 6, 'instances and backlog for each of the three policies');
  });

  it('when --json is asked with a recording as the trace, then the runs come out as JSON with the recording replayed', async () => {
    const out = dir.file('ramp.svg');
    const run = await runFacefleet(['simulate', '--trace', 'test/fixtures/simulator/load-ramp.json', '--idle', 'auto,10s', '--json', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout) as { runs: Array<{ label: string; result: { jobs: { completed: number }; latencyMs: { p99: number }; instanceSeconds: number } }> };
    assert.deepEqual(json.runs.map((r) => r.label), ['idle auto (measured boot)', 'idle 10 s']);
    assert.ok(json.runs.every((r) => r.result.jobs.completed === 130));
    assert.ok((json.runs[1]?.result.instanceSeconds ?? 0) > (json.runs[0]?.result.instanceSeconds ?? Infinity), 'a longer idle time costs more');
    assert.ok(existsSync(out));
  });

  for (const [args, message] of [
    [['--trace', 'burst:100x2@0s'], /^facefleet simulate: --trace "burst:100x2@0s": the time between bursts must be positive/],
    [['--boot', '1.5s'], /^facefleet simulate: --trace is required/],
    [['--trace', 'constant:5@10s', '--boot', 'soon'], /^facefleet simulate: --boot "soon": write a duration/],
    [['--trace', 'constant:5@10s', '--cap', '0'], /^facefleet simulate: --cap "0": must be an integer from 1/],
    [['--trace', 'missing.json'], /^facefleet simulate: --trace missing\.json: no such file/],
  ] as const) {
    it(`when run with ${args.join(' ')}, then one stderr line and exit code 2`, async () => {
      const run = await runFacefleet(['simulate', ...args, '--out', dir.file('x.svg')]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.equal(run.stdout, '');
    });
  }
});
