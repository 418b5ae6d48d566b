/**
 * The fleet's history for the chart (services/instances/fleetHistory.ts): given replayed instance
 * steps and job times, then state periods keep their real durations (to the millisecond), quiet
 * events continue a period, ended instances draw nothing, everything is clipped to the range; the
 * backlog starts with its value at the range's start and changes exactly at job times.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../../machines/index.ts';
import { backlogPoints, parseRange, statePeriods } from '../../../services/instances/fleetHistory.ts';

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (ms: number) => new Date(t0 + ms).toISOString();

describe('given an instance that worked for half a second between empty polls', () => {
  const steps = [
    { at: at(0), stateAfter: 'requested' },
    { at: at(1000), stateAfter: 'booting' },
    { at: at(2000), stateAfter: 'polling' },
    { at: at(3000), stateAfter: 'working' },
    { at: at(3200), stateAfter: 'working' }, // a heartbeat
    { at: at(3500), stateAfter: 'polling' },
    { at: at(4000), stateAfter: 'terminating' },
    { at: at(4100), stateAfter: 'terminated' },
  ];

  it('when its periods are asked over the whole range, then working lasts exactly 500 ms and terminated draws nothing', () => {
    const periods = statePeriods(steps, t0 - 60_000, t0 + 60_000);
    assert.deepEqual(
      periods.map((p) => [p.state, Date.parse(p.to) - Date.parse(p.from)]),
      [['requested', 1000], ['booting', 1000], ['polling', 1000], ['working', 500], ['polling', 500], ['terminating', 100]],
    );
  });

  it('when the range starts in the middle of its life, then the periods are clipped to it', () => {
    const periods = statePeriods(steps, t0 + 3100, t0 + 3300);
    assert.deepEqual(periods, [{ state: 'working', from: at(3100), to: at(3300) }]);
  });

  it('when it is still running, then its last period lasts until the end of the range', () => {
    const periods = statePeriods(steps.slice(0, 3), t0, t0 + 10_000);
    assert.deepEqual(periods.at(-1), { state: 'polling', from: at(2000), to: at(10_000) });
  });
});

describe('given three jobs: one before the range, one across its start, one inside it', () => {
  const jobs = [
    { submittedAt: t0 - 9000, startedAt: t0 - 8000, finishedAt: t0 - 7000 },
    { submittedAt: t0 - 1000, startedAt: t0 + 500, finishedAt: t0 + 2500 },
    { submittedAt: t0 + 1000, startedAt: null, finishedAt: null },
  ];

  it('when the backlog is asked from t0, then it starts with the job waiting at t0 and changes at each job time', () => {
    assert.deepEqual(backlogPoints(jobs, t0, t0 + 5000), [
      { at: at(0), queued: 1, processing: 0 },
      { at: at(500), queued: 0, processing: 1 },
      { at: at(1000), queued: 1, processing: 1 },
      { at: at(2500), queued: 1, processing: 0 },
    ]);
  });

  it('when a job failed before any worker started it, then it waited until it failed', () => {
    assert.deepEqual(backlogPoints([{ submittedAt: t0 + 100, startedAt: null, finishedAt: t0 + 300 }], t0, t0 + 1000), [
      { at: at(0), queued: 0, processing: 0 },
      { at: at(100), queued: 1, processing: 0 },
      { at: at(300), queued: 0, processing: 0 },
    ]);
  });
});

describe('given a range from a query string', () => {
  it('when it is 5m, 1h, 24h or absent, then it is taken; anything else is a ValidationError', () => {
    assert.equal(parseRange(undefined), '5m');
    assert.equal(parseRange('1h'), '1h');
    assert.equal(parseRange('24h'), '24h');
    assert.throws(() => parseRange('7d'), (e: unknown) => e instanceof ValidationError && /range must be one of 5m, 1h, 24h/.test(e.message));
    assert.throws(() => parseRange('toString'), ValidationError);
  });
});
