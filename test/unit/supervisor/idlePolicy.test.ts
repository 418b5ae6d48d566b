/** The idle policy: configured, or the rolling median of measured boots with a floor (ski rental). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootSamples, idleSeconds, median } from '../../../services/supervisor/idlePolicy.ts';

const policy = { floorSeconds: 1, priorSeconds: 60, window: 3 };

describe('given no measured boot', () => {
  it('when asked, then the prior is the idle time (never below the floor)', () => {
    assert.equal(idleSeconds(policy, []), 60);
    assert.equal(idleSeconds({ ...policy, priorSeconds: 0.2 }, []), 1);
  });
});

describe('given measured boots', () => {
  it('when asked, then the idle time is their median in seconds, floored at 1 s', () => {
    assert.equal(idleSeconds(policy, [1400, 1800, 9000]), 1.8);
    assert.equal(idleSeconds(policy, [300, 400]), 1);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
  it('when a value is configured, then it wins over the measurement', () => {
    assert.equal(idleSeconds({ ...policy, fixedSeconds: 7 }, [1400]), 7);
  });
});

describe('given a window of 3 boot samples', () => {
  it('when four instances boot and one is seen twice, then the last three distinct boots are kept', () => {
    const samples = new BootSamples(3);
    const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
    samples.add('a', t(0), t(1));
    samples.add('b', t(0), t(2));
    samples.add('b', t(0), t(2));
    samples.add('c', t(0), t(3));
    samples.add('d', t(0), t(4));
    samples.add('e', t(0), null);
    assert.deepEqual(samples.values(), [2000, 3000, 4000]);
  });
});
