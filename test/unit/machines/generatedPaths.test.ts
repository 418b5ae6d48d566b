/**
 * Proves the fast fold is the machine: xstate's own graph traversal (@xstate/graph) reaches every
 * state of each machine; then, in every reached state and for every event type (valid data that
 * passes and fails guards, invalid data, an unknown type), `allows()` / `evolve()` and the compiled
 * step agree with xstate's `snapshot.can()` / `transition()` — state and context exactly — and the
 * fold of every generated path ends where xstate's path ends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getShortestPaths } from '@xstate/graph';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import {
  allows,
  compileMachine,
  CorruptHistoryError,
  evolve,
  fold,
  IllegalTransitionError,
  instanceEventSchemas,
  instanceMachine,
  instanceStates,
  jobEventSchemas,
  jobMachine,
  jobStates,
  type EventLike,
  type StoredEvent,
  type StreamState,
} from '../../../machines/index.ts';
import type { LightSnapshot } from '../../../machines/compiledMachine.ts';

type Catalogue = Array<{ label: string; event: EventLike; valid: boolean }>;

let clock = 0;
/** A distinct time per catalogue entry, so assignments of `event.at` are checked too. */
const at = () => new Date(Date.UTC(2025, 4, 1, 12, 0, 0, (clock += 7))).toISOString();

function entry(type: string, data: unknown, valid = true, label = `${type} ${JSON.stringify(data)}`): Catalogue[number] {
  return { label, event: { type, at: at(), data }, valid };
}

const jobCatalogue: Catalogue = [
  entry('JobSubmitted', { jobId: 'j1', imageKey: 'images/j1', fileName: 'a.jpg', contentType: 'image/jpeg', bytes: 1200, source: 'v1', maxAttempts: 2, detector: 'ssd' }),
  entry('JobSubmitted', { jobId: 'j1', imageKey: 'images/j1', fileName: 'b.png', contentType: 'image/png', bytes: 9, source: 'classic', maxAttempts: 1, detector: 'tiny' }),
  entry('JobStarted', { instanceId: 'i1', attempt: 1 }),
  entry('JobStarted', { instanceId: 'i2', attempt: 1 }),
  entry('JobStarted', { instanceId: 'i2', attempt: 2 }),
  entry('JobStarted', { instanceId: 'i3', attempt: 3 }),
  entry('JobRequeued', { reason: 'lease-expired' }),
  entry('JobRequeued', { reason: 'worker-lost', instanceId: 'i1' }),
  entry('JobCompleted', { instanceId: 'i1', attempt: 1, resultKey: 'results/j1.json', faces: 2, label: 'ada', durationMs: 120 }),
  entry('JobCompleted', { instanceId: 'i2', attempt: 1, resultKey: 'results/j1.json', faces: 0, label: 'no-face', durationMs: 80 }),
  entry('JobCompleted', { instanceId: 'i2', attempt: 2, resultKey: 'results/j1.json', faces: 1, label: 'unknown', durationMs: 95 }),
  entry('JobFailed', { code: 'model-error', reason: 'onnx exploded', instanceId: 'i1', attempt: 1 }),
  entry('JobFailed', { code: 'invalid-image', reason: 'not an image', instanceId: 'i2', attempt: 2 }),
  entry('JobFailed', { code: 'dead-letter', reason: 'received 5 times' }),
  entry('JobFailed', { code: 'max-attempts', reason: 'attempts exhausted' }),
  entry('JobFailed', { code: 'invalid-image', reason: 'no worker named' }),
  entry('JobCancelRequested', { reason: 'user' }),
  entry('JobCancelled', { reason: 'user' }),
  entry('JobCancelled', { reason: 'user', instanceId: 'i1', attempt: 1 }),
  entry('JobCancelled', { reason: 'user', instanceId: 'i2', attempt: 2 }),
  entry('JobRetried', { maxAttempts: 1 }),
  entry('JobRedriven', { maxAttempts: 2, previousCode: 'dead-letter', previousReason: 'received 5 times' }),
  entry('JobCancelled', { reason: 'x'.repeat(501) }, false),
  entry('JobRetried', { maxAttempts: 0 }, false),
  entry('JobStarted', { instanceId: 'i1', attempt: 0 }, false),
  entry('JobSubmitted', { imageKey: 'images/j1' }, false),
  entry('JobCompleted', { instanceId: 'i1', attempt: 1, resultKey: 'r', faces: -1, label: 'x', durationMs: 1 }, false),
  entry('JobFailed', { code: 'bored', reason: 'x' }, false),
  entry('JobVanished', {}, false),
];

const instanceCatalogue: Catalogue = [
  entry('InstanceRequested', { instanceId: 'i1', reason: 'backlog', backlog: 4, emptyPollsToIdle: 2, emptyPollsToTerminate: 3 }),
  entry('InstanceRequested', { instanceId: 'i1', reason: 'manual', emptyPollsToIdle: 1, emptyPollsToTerminate: 1 }),
  entry('InstanceLaunched', { providerId: 'pid-41', backend: 'processes' }),
  entry('InstanceLaunchFailed', { reason: 'capacity' }),
  entry('InstanceBooted', { providerId: 'pid-41', modelLoadMs: 900 }),
  entry('InstanceBooted', { modelLoadMs: 900 }),
  entry('InstanceHeartbeat', {}),
  entry('InstancePolledEmpty', {}),
  entry('InstanceJobStarted', { jobId: 'j1' }),
  entry('InstanceJobStarted', { jobId: 'j2' }),
  entry('InstanceJobFinished', { jobId: 'j1', outcome: 'done' }),
  entry('InstanceJobFinished', { jobId: 'j2', outcome: 'failed' }),
  entry('InstanceJobFinished', { jobId: 'j2', outcome: 'skipped' }),
  entry('InstanceTerminating', { reason: 'idle' }),
  entry('InstanceTerminating', { reason: 'shutdown' }),
  entry('InstanceTerminated', { by: 'self', exitCode: 0 }),
  entry('InstanceTerminated', { by: 'supervisor', exitCode: null }),
  entry('InstanceLost', { reason: 'heartbeat-timeout', lastHeartbeatAt: '2025-05-01T11:59:00.000Z' }),
  entry('InstanceTerminationForced', { reason: 'grace-period-expired' }),
  entry('InstanceTerminationForced', { reason: 'still-running' }),
  entry('InstanceRequested', { instanceId: 'i1', reason: 'backlog', emptyPollsToIdle: 0, emptyPollsToTerminate: 3 }, false),
  entry('InstanceTerminating', { reason: 'bored' }, false),
  entry('InstanceJobStarted', {}, false),
  entry('InstanceRebooted', {}, false),
];

// Time fields only matter as "set or not" (recordForced keeps a terminatedAt already set), so the
// state space stays finite while every distinct behaviour is still a distinct state.
const timeFields = new Set(['submittedAt', 'startedAt', 'finishedAt', 'updatedAt', 'requestedAt', 'bootedAt', 'lastHeartbeatAt', 'terminatingAt', 'terminatedAt']);
function serializeState(snapshot: AnyMachineSnapshot): string {
  const context = Object.fromEntries(
    Object.entries(snapshot.context as Record<string, unknown>).map(([k, v]) => [k, timeFields.has(k) ? v !== null : v]),
  );
  return JSON.stringify({ value: snapshot.value, context });
}

interface MachineUnderTest {
  name: 'job' | 'instance';
  machine: AnyStateMachine;
  schemas: Record<string, { parse(data: unknown): unknown }>;
  catalogue: Catalogue;
  states: readonly string[];
  /** Keeps counters bounded while traversing (the check itself still tries every event). */
  traversable(snapshot: AnyMachineSnapshot, event: EventLike): boolean;
}

const machines: MachineUnderTest[] = [
  {
    name: 'job',
    machine: jobMachine,
    schemas: jobEventSchemas,
    catalogue: jobCatalogue,
    states: jobStates,
    // A retry or redrive raises the attempt limit: one of them is enough to reach every behaviour.
    traversable: (snapshot, event) => (event.type === 'JobRetried' || event.type === 'JobRedriven' ? (snapshot.context as { retries: number }).retries < 1 : true),
  },
  {
    name: 'instance',
    machine: instanceMachine,
    schemas: instanceEventSchemas,
    catalogue: instanceCatalogue,
    states: instanceStates,
    traversable: (snapshot, event) => {
      const c = snapshot.context as { emptyPolls: number; jobsDone: number; jobsFailed: number };
      if (event.type === 'InstancePolledEmpty') return c.emptyPolls < 4;
      if (event.type === 'InstanceJobStarted') return c.jobsDone + c.jobsFailed < 2;
      return true;
    },
  },
];

/** The event as the machine receives it after the schema parsed it (defaults filled in). */
function parsed(m: MachineUnderTest, event: EventLike): EventLike {
  const schema = m.schemas[event.type];
  return schema ? { ...event, data: schema.parse(event.data) } : event;
}

function asState(m: MachineUnderTest, snapshot: AnyMachineSnapshot): StreamState {
  return { kind: m.name, state: String(snapshot.value), context: snapshot.context, seq: 0 } as StreamState;
}

for (const m of machines) {
  describe(`given every state the ${m.name} machine reaches (generated by @xstate/graph)`, () => {
    const validEvents = m.catalogue.filter((c) => c.valid).map((c) => parsed(m, c.event));
    const paths = getShortestPaths(m.machine, {
      events: (snapshot: AnyMachineSnapshot) => validEvents.filter((e) => m.traversable(snapshot, e)) as never,
      serializeState: serializeState as never,
    });
    const stream = `${m.name}-gen`;
    const compiled = compileMachine<unknown>(m.machine);

    it('then the traversal reaches every state the machine declares', () => {
      const reached = new Set(paths.map((p) => String(p.state.value)));
      assert.deepEqual([...reached].sort(), [...m.states].sort());
      assert.ok(paths.length > m.states.length, `only ${paths.length} distinct snapshots`);
    });

    it('when any event of the catalogue arrives, then allows/evolve/compiled step agree with can()/transition() exactly', () => {
      let compared = 0;
      let taken = 0;
      for (const path of paths) {
        const snapshot = path.state as AnyMachineSnapshot;
        for (const { label, event, valid } of m.catalogue) {
          const where = `${serializeState(snapshot)} + ${label}`;
          const ours = asState(m, snapshot);
          if (!valid) {
            assert.equal(allows(stream, ours, [event]), false, where);
            assert.throws(() => evolve(stream, ours, event), CorruptHistoryError, where);
            continue;
          }
          const input = parsed(m, event);
          const can = snapshot.can(input as never);
          assert.equal(allows(stream, ours, [event]), can, `allows ≠ can: ${where}`);
          const [next] = transition(m.machine, snapshot, input as never);
          const step = compiled.step({ value: ours.state, context: ours.context } as LightSnapshot<unknown>, input);
          if (can) {
            taken += 1;
            const evolved = evolve(stream, ours, event);
            assert.equal(evolved.state, String(next.value), `state: ${where}`);
            assert.deepEqual(evolved.context, next.context, `context: ${where}`);
            assert.deepEqual(step, { value: String(next.value), context: next.context }, `compiled: ${where}`);
          } else {
            assert.throws(() => evolve(stream, ours, event), IllegalTransitionError, where);
            assert.equal(step, undefined, where);
            assert.equal(String(next.value), ours.state, `xstate moved on an event it cannot take: ${where}`);
            assert.deepEqual(next.context, snapshot.context, where);
          }
          compared += 1;
        }
      }
      assert.ok(taken > 0 && compared > taken, `${taken} taken of ${compared}`);
    });

    it('when each generated path is folded as a stored stream, then fold ends where xstate’s transition() ends', () => {
      const [initial] = initialTransition(m.machine);
      for (const path of paths) {
        const steps = path.steps.map((s) => s.event as unknown as EventLike).filter((e) => !e.type.startsWith('xstate.'));
        const events: StoredEvent[] = steps.map((e, i) => ({ ...e, stream, seq: i + 1 }));
        let expected: AnyMachineSnapshot = initial;
        for (const e of steps) [expected] = transition(m.machine, expected, e as never);
        const folded = fold(stream, events);
        assert.equal(serializeState(expected), serializeState(path.state as AnyMachineSnapshot));
        assert.equal(folded.state, String(expected.value));
        assert.deepEqual(folded.context, expected.context);
        assert.equal(folded.seq, events.length);
      }
    });
  });
}
