import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DescribedInstance } from '../../../adapters/ports.ts';
import { capacityInstanceStates, instanceStates } from '../../../machines/index.ts';
import { decide, type Command, type InstanceView, type Observation } from '../../../services/supervisor/decide.ts';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const iso = (secondsAgo: number) => new Date(T0 - secondsAgo * 1000).toISOString();

const settings = { cap: 19, jobsPerInstance: 1, terminateGraceSeconds: 20, heartbeatTimeoutSeconds: 30, bootTimeoutSeconds: 60 };

function instance(id: string, state: string, overrides: Partial<InstanceView> = {}): InstanceView {
  return {
    instanceId: id,
    state,
    providerId: `p-${id}`,
    currentJobId: state === 'working' ? `job-of-${id}` : null,
    requestedAt: iso(10),
    bootedAt: state === 'requested' || state === 'booting' ? null : iso(8),
    lastHeartbeatAt: state === 'requested' || state === 'booting' ? null : iso(1),
    terminatingAt: state === 'terminating' ? iso(1) : null,
    terminatedAt: state === 'terminated' ? iso(1) : null,
    updatedAt: iso(1),
    ...overrides,
  };
}

function running(id: string, status: DescribedInstance['status'] = 'running', exitCode?: number | null): DescribedInstance {
  return { instanceId: id, providerId: `p-${id}`, status, ...(exitCode === undefined ? {} : { exitCode }) };
}

/** given(observation).when(tick).then(commands) */
function given(partial: Partial<Observation>) {
  const observation: Observation = {
    now: T0,
    queue: { visible: 0, inFlight: 0 },
    instances: [],
    processes: [],
    deadLetters: [],
    settings,
    ...partial,
  };
  return {
    whenTick() {
      const commands = decide(observation);
      return {
        then(expected: Command[]) {
          assert.deepEqual(commands, expected);
        },
        thenIncludes(expected: Command[]) {
          for (const command of expected) assert.ok(commands.some((c) => JSON.stringify(c) === JSON.stringify(command)), `missing ${JSON.stringify(command)} in ${JSON.stringify(commands)}`);
        },
        commands,
      };
    },
  };
}

describe('given no instances', () => {
  it('5 uploads with cap 19 → 5 launches', () => {
    given({ queue: { visible: 5, inFlight: 0 } }).whenTick().then([{ type: 'LaunchInstances', n: 5, backlog: 5 }]);
  });
  it('50 uploads with cap 19 → 19 launches', () => {
    given({ queue: { visible: 50, inFlight: 0 } }).whenTick().then([{ type: 'LaunchInstances', n: 19, backlog: 50 }]);
  });
  it('an empty queue → nothing', () => {
    given({}).whenTick().then([]);
  });
  it('jobsPerInstance 4 and 10 jobs → 3 launches', () => {
    given({ queue: { visible: 10, inFlight: 0 }, settings: { ...settings, jobsPerInstance: 4 } })
      .whenTick()
      .then([{ type: 'LaunchInstances', n: 3, backlog: 10 }]);
  });
  it('in-flight messages count as backlog', () => {
    given({ queue: { visible: 1, inFlight: 2 } }).whenTick().then([{ type: 'LaunchInstances', n: 3, backlog: 3 }]);
  });
});

describe('given instances already active', () => {
  it('launches only the difference', () => {
    given({
      queue: { visible: 4, inFlight: 2 },
      instances: [instance('a', 'working'), instance('b', 'working'), instance('c', 'booting')],
      processes: [running('a'), running('b'), running('c')],
    })
      .whenTick()
      .then([{ type: 'LaunchInstances', n: 3, backlog: 6 }]);
  });
  it('never more than the cap', () => {
    const instances = Array.from({ length: 19 }, (_, i) => instance(`i${i}`, 'working'));
    given({ queue: { visible: 40, inFlight: 19 }, instances, processes: instances.map((i) => running(i.instanceId)) }).whenTick().then([]);
  });
  it('terminating instances do not count as active', () => {
    given({ queue: { visible: 1, inFlight: 0 }, instances: [instance('a', 'terminating')], processes: [running('a')] })
      .whenTick()
      .then([{ type: 'LaunchInstances', n: 1, backlog: 1 }]);
  });
  it('every instance state counts toward the cap exactly when capacityInstanceStates holds it (terminating does not)', () => {
    assert.equal(capacityInstanceStates.has('terminating'), false);
    for (const state of instanceStates) {
      // A healthy instance (running, heartbeating now) in `state`, and a backlog of one.
      const launch = capacityInstanceStates.has(state) ? [] : [{ type: 'LaunchInstances', n: 1, backlog: 1 }];
      const { commands } = given({ queue: { visible: 1, inFlight: 0 }, instances: [instance('a', state)], processes: [running('a')] }).whenTick();
      assert.deepEqual(commands.filter((c) => c.type === 'LaunchInstances'), launch, state);
    }
  });
});

describe('given a busy worker and an empty backlog', () => {
  it('a busy worker is never killed for scale-in', () => {
    given({
      queue: { visible: 0, inFlight: 0 },
      instances: [instance('a', 'working'), instance('b', 'idle'), instance('c', 'polling')],
      processes: [running('a'), running('b'), running('c')],
    })
      .whenTick()
      .then([]);
  });
});

describe('given an instance terminating itself', () => {
  it('within the grace period → waits', () => {
    given({ instances: [instance('a', 'terminating', { terminatingAt: iso(19) })], processes: [running('a')] }).whenTick().then([]);
  });
  it('past the grace period and still running → force terminate', () => {
    given({ instances: [instance('a', 'terminating', { terminatingAt: iso(21) })], processes: [running('a')] })
      .whenTick()
      .then([{ type: 'ForceTerminate', instanceId: 'a', providerId: 'p-a', reason: 'grace-period-expired' }]);
  });
  it('past the grace period but EC2 already shutting it down (stopping) → no second terminate', () => {
    given({ instances: [instance('a', 'terminating', { terminatingAt: iso(21) })], processes: [running('a', 'stopping')] }).whenTick().then([]);
  });
  it('its process exited without saying so → record the exit', () => {
    given({ instances: [instance('a', 'terminating')], processes: [running('a', 'exited', 0)] })
      .whenTick()
      .then([{ type: 'RecordExit', instanceId: 'a', exitCode: 0 }]);
  });
});

describe('given an instance that said it terminated', () => {
  it('and its process still runs past the grace → force (still-running)', () => {
    given({ instances: [instance('a', 'terminated', { terminatedAt: iso(25) })], processes: [running('a')] })
      .whenTick()
      .then([{ type: 'ForceTerminate', instanceId: 'a', providerId: 'p-a', reason: 'still-running' }]);
  });
  it('and its process is exiting right now → waits', () => {
    given({ instances: [instance('a', 'terminated', { terminatedAt: iso(1) })], processes: [running('a')] }).whenTick().then([]);
  });
});

describe('given an instance whose heartbeat stopped', () => {
  it('heartbeat older than the timeout → lost, then force terminate', () => {
    given({ instances: [instance('a', 'working', { lastHeartbeatAt: iso(31) })], processes: [running('a')] })
      .whenTick()
      .then([
        { type: 'MarkLost', instanceId: 'a', reason: 'heartbeat-timeout', lastHeartbeatAt: iso(31) },
        { type: 'ForceTerminate', instanceId: 'a', providerId: 'p-a', reason: 'lost' },
      ]);
  });
  it('heartbeat recent → nothing', () => {
    given({ instances: [instance('a', 'working', { lastHeartbeatAt: iso(29) })], processes: [running('a')] }).whenTick().then([]);
  });
  it('a lost instance is replaced when there is backlog', () => {
    given({ queue: { visible: 0, inFlight: 1 }, instances: [instance('a', 'working', { lastHeartbeatAt: iso(31) })], processes: [running('a')] })
      .whenTick()
      .thenIncludes([{ type: 'LaunchInstances', n: 1, backlog: 1 }]);
  });
  it('never booted within the boot timeout → lost (boot-timeout), then force', () => {
    given({ instances: [instance('a', 'booting', { requestedAt: iso(61) })], processes: [running('a')] })
      .whenTick()
      .then([
        { type: 'MarkLost', instanceId: 'a', reason: 'boot-timeout', lastHeartbeatAt: null },
        { type: 'ForceTerminate', instanceId: 'a', providerId: 'p-a', reason: 'lost' },
      ]);
  });
});

describe('given boots timed per phase (requested → launched, launched → booted)', () => {
  // As on AWS: the launch call answers within minutes at worst, the boot itself may take ten.
  const phased = { ...settings, launchTimeoutSeconds: 180, bootTimeoutSeconds: 600 };
  const lostAndForced = (id: string): Command[] => [
    { type: 'MarkLost', instanceId: id, reason: 'boot-timeout', lastHeartbeatAt: null },
    { type: 'ForceTerminate', instanceId: id, providerId: `p-${id}`, reason: 'lost' },
  ];
  it('launched 500 s ago, requested 700 s ago, not booted → still waiting (the boot phase counts from the launch)', () => {
    given({ settings: phased, instances: [instance('a', 'booting', { requestedAt: iso(700), launchedAt: iso(500) })], processes: [running('a')] }).whenTick().then([]);
  });
  it('launched 601 s ago and not booted → lost (boot-timeout), then force', () => {
    given({ settings: phased, instances: [instance('a', 'booting', { requestedAt: iso(620), launchedAt: iso(601) })], processes: [running('a')] })
      .whenTick()
      .then(lostAndForced('a'));
  });
  it('requested 181 s ago and still not launched → lost (boot-timeout), although the boot timeout is 600 s', () => {
    given({ settings: phased, instances: [instance('a', 'requested', { requestedAt: iso(181), providerId: null })], processes: [] })
      .whenTick()
      .then([{ type: 'MarkLost', instanceId: 'a', reason: 'boot-timeout', lastHeartbeatAt: null }]);
  });
  it('requested 179 s ago and not launched yet → still waiting', () => {
    given({ settings: phased, instances: [instance('a', 'requested', { requestedAt: iso(179), providerId: null })], processes: [] }).whenTick().then([]);
  });
  it('no launchTimeoutSeconds set → the launch phase has the boot timeout (the settings the simulator passes)', () => {
    given({ instances: [instance('a', 'requested', { requestedAt: iso(59), providerId: null })], processes: [] }).whenTick().then([]);
    given({ instances: [instance('a', 'requested', { requestedAt: iso(61), providerId: null })], processes: [] })
      .whenTick()
      .then([{ type: 'MarkLost', instanceId: 'a', reason: 'boot-timeout', lastHeartbeatAt: null }]);
  });
  it('a view without launchedAt (an older row) → the boot phase counts from the request, as before', () => {
    given({ settings: phased, instances: [instance('a', 'booting', { requestedAt: iso(601) })], processes: [running('a')] })
      .whenTick()
      .then(lostAndForced('a'));
  });
});

describe('given a process that exited while its stream says alive', () => {
  it('→ lost (process-exited) and terminated by the supervisor', () => {
    given({ instances: [instance('a', 'working')], processes: [running('a', 'exited', null)] })
      .whenTick()
      .then([
        { type: 'MarkLost', instanceId: 'a', reason: 'process-exited', lastHeartbeatAt: iso(1), exitCode: null },
        { type: 'RecordExit', instanceId: 'a', exitCode: null },
      ]);
  });
  it('a lost instance whose process is gone → terminated by the supervisor', () => {
    given({ instances: [instance('a', 'lost')], processes: [running('a', 'exited', 137)] })
      .whenTick()
      .then([{ type: 'RecordExit', instanceId: 'a', exitCode: 137 }]);
  });
});

describe('given dead-lettered messages', () => {
  it('fails each job and deletes malformed ones', () => {
    given({ deadLetters: [{ receiptHandle: 'r1', jobId: 'j1' }, { receiptHandle: 'r2' }] })
      .whenTick()
      .then([
        { type: 'FailDeadLettered', jobId: 'j1', receiptHandle: 'r1' },
        { type: 'DeleteDeadLetter', receiptHandle: 'r2' },
      ]);
  });
});
