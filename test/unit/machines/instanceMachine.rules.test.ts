/** The instance machine's important rules as given/when/then specs on the fold. */
import { describe, it } from 'node:test';
import { CorruptHistoryError, fold, type NewEvent } from '../../../machines/index.ts';
import { machineSpec } from '../../support/machineSpec.ts';

const stream = 'instance-i1';
let t = 0;
const e = (type: string, data: unknown = {}): NewEvent => ({ type, at: new Date(Date.UTC(2025, 0, 1, 9, 0, (t += 1))).toISOString(), data });

// Idle after 2 empty polls, self-termination allowed after 3.
const requested = e('InstanceRequested', { instanceId: 'i1', reason: 'backlog', backlog: 3, emptyPollsToIdle: 2, emptyPollsToTerminate: 3 });
const launched = e('InstanceLaunched', { providerId: '4242', backend: 'processes' });
const booted = e('InstanceBooted', { modelLoadMs: 800 });
const empty = () => e('InstancePolledEmpty');
const terminatingIdle = () => e('InstanceTerminating', { reason: 'idle' });
const forced = (reason = 'grace-period-expired') => e('InstanceTerminationForced', { reason });

const given = machineSpec(stream);

const polling = [requested, launched, booted];

describe('given a requested instance', () => {
  it('when compute launches it, then it is booting with its provider id', () =>
    given(requested).when(launched).then('booting', { providerId: '4242', backend: 'processes' }));
  it('when the worker boots before the launch is recorded, then it is polling', () => given(requested).when(booted).then('polling'));
  it('when the launch fails, then it is terminated with the reason', () =>
    given(requested).when(e('InstanceLaunchFailed', { reason: 'capacity' })).then('terminated', { error: 'capacity', terminationReason: 'launch-failed' }));
  it('when it reports an empty poll, then it is refused', () => given(requested).when(empty()).thenRefused());
});

describe('given a polling instance (idle after 2 empty polls, terminate after 3)', () => {
  it('when one empty poll comes, then it keeps polling and counts it', () => given(...polling).when(empty()).then('polling', { emptyPolls: 1 }));
  it('when the second empty poll comes, then it is idle', () => given(...polling, empty()).when(empty()).then('idle', { emptyPolls: 2 }));
  it('when it wants to terminate itself for idleness right away, then it is refused', () => given(...polling).when(terminatingIdle()).thenRefused());
  it('when it shuts down, then it is terminating whatever the count', () =>
    given(...polling).when(e('InstanceTerminating', { reason: 'shutdown' })).then('terminating', { terminationReason: 'shutdown' }));
  it('when a job starts, then it is working and the empty polls reset', () =>
    given(...polling, empty()).when(e('InstanceJobStarted', { jobId: 'j1' })).then('working', { currentJobId: 'j1', emptyPolls: 0 }));
});

describe('given an idle instance after 2 empty polls', () => {
  const idle = [...polling, empty(), empty()];
  it('when it wants to terminate itself after only 2 empty polls, then it is refused', () => given(...idle).when(terminatingIdle()).thenRefused());
  it('when a third empty poll comes, then self-termination is allowed', () =>
    given(...idle, empty()).when(terminatingIdle()).then('terminating', { terminationReason: 'idle', emptyPolls: 3 }));
  it('when work arrives, then it is working again', () => given(...idle).when(e('InstanceJobStarted', { jobId: 'j2' })).then('working'));
});

describe('given a working instance holding j1', () => {
  const working = [...polling, e('InstanceJobStarted', { jobId: 'j1' })];
  it('when j1 finishes done, then it polls again and counts the job', () =>
    given(...working).when(e('InstanceJobFinished', { jobId: 'j1', outcome: 'done' })).then('polling', { jobsDone: 1, currentJobId: null }));
  it('when a job it does not hold finishes, then it is refused', () =>
    given(...working).when(e('InstanceJobFinished', { jobId: 'j9', outcome: 'done' })).thenRefused());
  it('when it wants to terminate itself for idleness, then it is refused: never kill a busy worker', () =>
    given(...working).when(terminatingIdle()).thenRefused());
  it('when its heartbeats stop, then it is lost', () =>
    given(...working).when(e('InstanceLost', { reason: 'heartbeat-timeout' })).then('lost', { terminationReason: 'heartbeat-timeout' }));
});

describe('given a terminating instance', () => {
  const terminating = [...polling, empty(), empty(), empty(), terminatingIdle()];
  it('when it reports its exit, then it is terminated', () =>
    given(...terminating).when(e('InstanceTerminated', { by: 'self', exitCode: 0 })).then('terminated', { terminationReason: 'idle' }));
  it('when it outlives its grace period, then the supervisor forces it to terminated', () =>
    given(...terminating).when(forced()).then('terminated', { forced: true, terminationReason: 'grace-period-expired' }));
});

describe('given a terminated instance', () => {
  const terminated = [...polling, empty(), empty(), empty(), terminatingIdle(), e('InstanceTerminated', { by: 'self' })];
  it('when the supervisor still finds it running and kills it, then the forced termination is recorded and the first exit time kept', () => {
    const before = fold(stream, terminated.map((ev, i) => ({ ...ev, stream, seq: i + 1 })));
    given(...terminated).when(forced('still-running')).then('terminated', {
      forced: true,
      terminationReason: 'still-running',
      terminatedAt: (before.context as { terminatedAt: string | null }).terminatedAt,
    });
  });
  it('when it polls again, then it is refused', () => given(...terminated).when(empty()).thenRefused());
});

describe('given a lost instance', () => {
  const lost = [...polling, e('InstanceLost', { reason: 'heartbeat-timeout' })];
  it('when the worker claims it exited by itself, then it is refused', () => given(...lost).when(e('InstanceTerminated', { by: 'self' })).thenRefused());
  it('when the supervisor saw it exit, then it is terminated', () => given(...lost).when(e('InstanceTerminated', { by: 'supervisor', exitCode: 1 })).then('terminated'));
});

describe('given any instance', () => {
  it('when an event has invalid data, then it is refused as corrupt', () =>
    given(...polling).when(e('InstanceTerminating', { reason: 'bored' })).thenRefused(CorruptHistoryError));
  it('when the thresholds are invalid, then the request is refused as corrupt', () =>
    given().when(e('InstanceRequested', { instanceId: 'i1', reason: 'backlog', emptyPollsToIdle: 0, emptyPollsToTerminate: 1 })).thenRefused(CorruptHistoryError));
});
