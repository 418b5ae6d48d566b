/** The instance machine's idle-time rule (idleSeconds on InstanceRequested) as given/when/then specs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewEvent } from '../../../machines/index.ts';
import { isoToMs } from '../../../machines/isoTime.ts';
import { machineSpec } from '../../support/machineSpec.ts';

const at = (ms: number) => new Date(Date.UTC(2025, 0, 1, 9, 0, 0) + ms).toISOString();
const e = (ms: number, type: string, data: unknown = {}): NewEvent => ({ type, at: at(ms), data });

// Idle after 2 empty polls; self-termination once the queue stayed empty 1.5 s.
const requested = e(0, 'InstanceRequested', { instanceId: 'i1', reason: 'backlog', emptyPollsToIdle: 2, idleSeconds: 1.5 });
const booted = e(1000, 'InstanceBooted', { modelLoadMs: 800 });
const leaving = (ms: number) => e(ms, 'InstanceTerminating', { reason: 'idle' });

const given = machineSpec('instance-i1');

describe('given an instance booted at t=1 s with idleSeconds 1.5', () => {
  it('when it polls empty once and leaves at t=2.5 s, then it is terminating', () =>
    given(requested, booted, e(2490, 'InstancePolledEmpty')).when(leaving(2500)).then('terminating', { emptySince: at(1000), idleSeconds: 1.5 }));
  it('when it wants to leave at t=2.4 s, then it is refused: the queue has not been empty long enough', () =>
    given(requested, booted, e(2390, 'InstancePolledEmpty')).when(leaving(2400)).thenRefused());
  it('when it wants to leave without having polled, then it is refused', () => given(requested, booted).when(leaving(9000)).thenRefused());
});

describe('given an instance that finished a job at t=5 s', () => {
  const worked = [requested, booted, e(1100, 'InstanceJobStarted', { jobId: 'j1' }), e(5000, 'InstanceJobFinished', { jobId: 'j1', outcome: 'done' })];
  it('when it leaves 1.5 s after the job ended, then it is terminating', () =>
    given(...worked, e(6400, 'InstancePolledEmpty')).when(leaving(6500)).then('terminating', { emptySince: at(5000) }));
  it('when it wants to leave 1 s after the job ended, then it is refused (the boot time no longer counts)', () =>
    given(...worked, e(5900, 'InstancePolledEmpty')).when(leaving(6000)).thenRefused());
  it('when a job is running, then it never counts as empty', () =>
    given(...worked, e(6000, 'InstanceJobStarted', { jobId: 'j2' })).when(leaving(60_000)).thenRefused());
});

describe('given ISO times as events carry them', () => {
  it('when read without a clock, then they equal Date.parse', () => {
    for (const iso of ['1970-01-01T00:00:00.000Z', '2000-02-29T23:59:59.999Z', '2025-01-01T09:00:01.5Z', '2100-03-01T00:00:00Z', new Date().toISOString()]) {
      assert.equal(isoToMs(iso), Date.parse(iso), iso);
    }
    assert.ok(Number.isNaN(isoToMs('yesterday')));
  });
});
