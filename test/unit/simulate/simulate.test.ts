/**
 * The simulator's own rules, given/when/then, on traces small enough to check by hand: the real
 * decide scales the fleet (never past the cap), the idle rule of the instance machine ends it,
 * compute refuses launches, hung workers are found by decide's heartbeat check and their jobs are
 * delivered again, and one seed always gives one result.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configForRecording, simSettings } from '../../../app/cli/simulateOptions.ts';
import { simulate, type SimSettings } from '../../../services/simulate/simulate.ts';
import { parseTrace } from '../../../services/simulate/traces.ts';

// A supervisor that acts at the instant it observes (reactionMs 0), so the figures can be checked by hand.
const embedded = (extra: Partial<SimSettings> = {}) =>
  simSettings({ ...configForRecording(undefined, 'embedded'), cap: 2 }, { kind: 'fixed', ms: 1500 }, { kind: 'fixed', ms: 60 }, { reactionMs: 0, ...extra });

describe('given a burst of 100 jobs at 0 s, boots of 1.5 s, 60 ms a job, cap 2', () => {
  const result = simulate(parseTrace('burst:100x1@0s'), embedded());

  it('when simulated, then the first tick launches the cap and the two workers share the burst', () => {
    assert.equal(result.launches, 2);
    assert.equal(result.peakInstances, 2);
    assert.equal(result.jobs.completed, 100);
    // 50 jobs each after a 1.5 s boot: the last is done at 1.5 + 50 × 0.06 = 4.5 s.
    assert.ok(Math.abs(result.latencyMs.max - 4500) < 1, String(result.latencyMs.max));
    assert.ok(Math.abs(result.latencyMs.p50 - 3000) < 3000 * 0.02, String(result.latencyMs.p50));
  });

  it('when simulated, then each instance leaves by the machine idle rule: cost = 2 × (4.5 s + its idle time + the last poll)', () => {
    // Launched before any boot was measured: idle = the embedded prior (the 1 s floor); the
    // worker's last empty poll ends 20 ms past it.
    assert.ok(Math.abs(result.instanceSeconds - 2 * (4.5 + 1 + 0.02)) < 0.01, String(result.instanceSeconds));
    assert.equal(result.idleSeconds, 1.5, 'the measured boots now set the idle time');
    assert.equal(result.forcedTerminations, 0);
    assert.ok(result.jobs.folded, 'a small run folds every job through the job machine');
  });

  it('when a longer fixed idle time is compared, then the cost grows by that much per instance (to the last poll) and latency stays', () => {
    const longer = simulate(parseTrace('burst:100x1@0s'), embedded({ idle: { floorSeconds: 1, priorSeconds: 1, window: 9, fixedSeconds: 6 } }));
    assert.ok(Math.abs(longer.instanceSeconds - result.instanceSeconds - 2 * (6 - 1)) < 0.1, `${longer.instanceSeconds} vs ${result.instanceSeconds}`);
    assert.deepEqual(longer.latencyMs, result.latencyMs);
  });
});

describe('given a cap of 5 and a steady load that needs more', () => {
  it('when simulated, then decide never has more than 5 live instances', () => {
    const result = simulate(parseTrace('constant:100@30s'), embedded({ cap: 5, service: { kind: 'fixed', ms: 200 } }));
    assert.equal(result.peakInstances, 5);
    assert.ok(Math.max(...result.series.instances) <= 5);
    assert.equal(result.jobs.completed, result.jobs.arrived);
  });
});

describe('given compute that refuses launches', () => {
  it('when every other launch fails, then the failures are counted and replacements still do the work', () => {
    const result = simulate(parseTrace('burst:40x1@0s'), embedded({ cap: 4, launchFailureRate: 0.5, seed: 7 }));
    assert.ok(result.launchFailures > 0, 'some launches failed');
    assert.ok(result.launches > 4, 'decide asked again for the instances that did not come');
    assert.equal(result.jobs.completed, 40);
  });

  it('when compute runs at most 1 instance, then the cap of 4 is never reached and the rest are refused', () => {
    const result = simulate(parseTrace('burst:40x1@0s'), embedded({ cap: 4, capacity: 1 }));
    assert.equal(result.peakInstances, 1, 'refused launches end at once: one instance ever runs');
    assert.ok(result.launchFailures >= 3, String(result.launchFailures));
    assert.equal(result.jobs.completed, 40);
    // One worker: 40 × 60 ms after a 1.5 s boot.
    assert.ok(Math.abs(result.latencyMs.max - (1500 + 40 * 60)) < 1, String(result.latencyMs.max));
  });
});

describe('given workers that hang', () => {
  it('when simulated, then decide finds them by their heartbeats, forces them off, and their jobs come back after the visibility timeout', () => {
    const result = simulate(parseTrace('constant:5@300s'), embedded({ cap: 4, service: { kind: 'fixed', ms: 500 }, hangsPerInstanceHour: 60, visibilityTimeoutSeconds: 10 }));
    assert.ok(result.lost > 0, 'hung workers were marked lost');
    assert.ok(result.forcedTerminations > 0, 'and terminated by force');
    assert.equal(result.jobs.completed + result.jobs.deadLettered, result.jobs.arrived, 'every job ends, done or dead-lettered');
    assert.ok(result.latencyMs.max >= 10_000, 'a redelivered job waited at least the visibility timeout');
  });
});

describe('given one seed', () => {
  it('when the same uniform-boot run is simulated twice, then the results are identical; another seed differs', () => {
    const run = (seed: number) => simulate(parseTrace('ramp:1-20@60s'), embedded({ cap: 4, boot: { kind: 'uniform', minMs: 1000, maxMs: 3000 }, seed }));
    assert.deepEqual(run(3), run(3));
    assert.notDeepEqual(run(3).instanceSeconds, run(4).instanceSeconds);
  });
});
