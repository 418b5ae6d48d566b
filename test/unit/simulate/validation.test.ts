/**
 * Validation against reality (issue 18, item 4): each recorded real embedded run (test/fixtures/
 * simulator, re-recorded with `npm run sim:record`) is replayed through the simulator with its own
 * measured boots, service times and supervisor reaction, and its own settings; the simulated latency p50/p95/p99 and
 * instance-seconds must be within 15 % of what the run measured from its event store. The same
 * replay with a different scaling rule must fall outside: the tolerance is tight enough to notice
 * a change of decide.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configForRecording, simSettings } from '../../../app/cli/simulateOptions.ts';
import { readRecorded, type Recording } from '../../../services/simulate/recording.ts';
import { simulate, type SimResult, type SimSettings } from '../../../services/simulate/simulate.ts';
import type { Trace } from '../../../services/simulate/traces.ts';

const tolerance = 0.15;

function load(name: string): { recording: Recording; trace: Trace } {
  const file = new URL(`../../fixtures/simulator/${name}.json`, import.meta.url);
  const input = readRecorded(name, JSON.parse(readFileSync(file, 'utf8')));
  assert.equal(input.kind, 'recording');
  if (input.kind !== 'recording') throw new Error('unreachable');
  return { recording: input.recording, trace: input.trace };
}

function replay(recording: Recording, trace: Trace, extra: Partial<SimSettings> = {}): SimResult {
  const config = configForRecording(recording, 'embedded');
  const measured = recording.reactionMs === undefined ? {} : { reactionMs: recording.reactionMs };
  return simulate(trace, simSettings(config, { kind: 'sequence', samplesMs: recording.bootMs }, { kind: 'sequence', samplesMs: recording.serviceMs }, { ...measured, ...extra }));
}

/** Each figure's relative error against the measured one. */
function errors(recording: Recording, result: SimResult): Record<string, number> {
  const m = recording.measured;
  const rel = (sim: number, real: number) => Math.abs(sim - real) / real;
  return {
    p50: rel(result.latencyMs.p50, m.latencyMs.p50),
    p95: rel(result.latencyMs.p95, m.latencyMs.p95),
    p99: rel(result.latencyMs.p99, m.latencyMs.p99),
    instanceSeconds: rel(result.instanceSeconds, m.instanceSeconds),
  };
}

const describeFigures = (recording: Recording, result: SimResult) =>
  `simulated p50/p95/p99 ${result.latencyMs.p50.toFixed(0)}/${result.latencyMs.p95.toFixed(0)}/${result.latencyMs.p99.toFixed(0)} ms, ${result.instanceSeconds.toFixed(2)} instance-s; ` +
  `measured ${recording.measured.latencyMs.p50}/${recording.measured.latencyMs.p95}/${recording.measured.latencyMs.p99} ms, ${recording.measured.instanceSeconds} instance-s`;

for (const name of ['fleet-burst-100', 'load-ramp']) {
  describe(`given the recorded real run ${name}`, () => {
    const { recording, trace } = load(name);

    it('when replayed with its measured boots and service times, then latency p50/p95/p99 and instance-seconds are within 15 %', () => {
      const result = replay(recording, trace);
      assert.equal(result.jobs.completed, recording.measured.jobs);
      for (const [figure, error] of Object.entries(errors(recording, result))) {
        assert.ok(error <= tolerance, `${figure} off by ${(error * 100).toFixed(1)} %: ${describeFigures(recording, result)}`);
      }
    });

    it('when replayed under a different scaling rule (one instance per 10 queued jobs), then at least one figure is off by more than 15 %', () => {
      const result = replay(recording, trace, { jobsPerInstance: 10, cap: 1 });
      const worst = Math.max(...Object.values(errors(recording, result)));
      assert.ok(worst > tolerance, `the drifted simulation still matched within ${(worst * 100).toFixed(1)} %: ${describeFigures(recording, result)}`);
    });
  });
}
