/**
 * The supervisor loop on the real embedded store and queues with a fake compute: a tick observes,
 * decides and records what it did as events.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Compute, DescribedInstance, LaunchRequest } from '../../../adapters/ports.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import { streamName } from '../../../machines/index.ts';
import { load, proposeIfAllowed } from '../../../services/streams/propose.ts';
import { createSupervisor, type Supervisor } from '../../../services/supervisor/supervisor.ts';
import { openBench, type Bench } from '../worker/harness.ts';
import { join } from 'node:path';

function fakeFleet(): Compute & { processes: DescribedInstance[]; launches: LaunchRequest[]; terminated: string[] } {
  const processes: DescribedInstance[] = [];
  const launches: LaunchRequest[] = [];
  const terminated: string[] = [];
  return {
    backend: 'fake',
    processes,
    launches,
    terminated,
    async launch(request) {
      launches.push(request);
      return request.instanceIds.map((instanceId, i) => {
        processes.push({ instanceId, providerId: `p-${launches.length}-${i}`, status: 'running' });
        return { instanceId, providerId: `p-${launches.length}-${i}` };
      });
    },
    async terminate(providerId) {
      terminated.push(providerId);
      for (const p of processes) if (p.providerId === providerId) p.status = 'exited';
    },
    async describe() {
      return processes.map((p) => ({ ...p }));
    },
    async selfId() {
      return undefined;
    },
  };
}

let bench: Bench;
let compute: ReturnType<typeof fakeFleet>;
let supervisor: Supervisor;
let deadLetters: ReturnType<ReturnType<typeof openSqliteQueues>['queue']>;
let queues: ReturnType<typeof openSqliteQueues>;

beforeEach(() => {
  bench = openBench();
  compute = fakeFleet();
  queues = openSqliteQueues({ file: join(bench.dir, 'facefleet.db') });
  deadLetters = queues.queue({ name: 'requests-dead', visibilityTimeoutSeconds: 30 });
  supervisor = createSupervisor({
    store: bench.store,
    requests: bench.requests,
    responses: bench.responses,
    deadLetters,
    compute,
    clock: bench.clock,
    settings: { cap: 19, jobsPerInstance: 1, terminateGraceSeconds: 20, heartbeatTimeoutSeconds: 30, bootTimeoutSeconds: 60, tickMs: 1000, emptyPollsToIdle: 2, idle: { fixedSeconds: 4, floorSeconds: 1, priorSeconds: 1, window: 9 } },
    bootEnv: { FACEFLEET_X: '1' },
    log: () => undefined,
  });
});
afterEach(async () => {
  await supervisor.stop();
  queues.close();
  await bench.close();
});

describe('given a backlog of 3 and no instances', () => {
  it('a tick requests and launches 3 instances, recording the thresholds and the launch', async () => {
    for (let i = 0; i < 3; i++) await bench.submit(`label:p${i}`);
    const commands = await supervisor.tick();
    assert.deepEqual(commands, [{ type: 'LaunchInstances', n: 3, backlog: 3 }]);
    assert.equal(compute.launches[0]?.instanceIds.length, 3);
    assert.deepEqual(compute.launches[0]?.bootEnv, { FACEFLEET_X: '1' });
    for (const instanceId of compute.launches[0]!.instanceIds) {
      const state = await load(bench.store, streamName('instance', instanceId));
      assert.equal(state.state, 'booting');
      assert.equal(state.context.idleSeconds, 4);
      assert.deepEqual((await bench.types(streamName('instance', instanceId))), ['InstanceRequested', 'InstanceLaunched']);
    }
    assert.deepEqual(await supervisor.tick(), [], 'the next tick sees them active');
  });
});

describe('given an instance whose process exited without a word', () => {
  it('a tick records it lost (process-exited) and terminated by the supervisor', async () => {
    await bench.submit('label:x');
    await supervisor.tick();
    const [instanceId] = compute.launches[0]!.instanceIds;
    compute.processes[0]!.status = 'exited';
    compute.processes[0]!.exitCode = 137;
    await bench.requests.receive({ visibilityTimeoutSeconds: 30 }); // in flight: no relaunch noise below
    await supervisor.tick();
    const types = await bench.types(streamName('instance', instanceId!));
    assert.deepEqual(types, ['InstanceRequested', 'InstanceLaunched', 'InstanceLost', 'InstanceTerminated']);
    const state = await load(bench.store, streamName('instance', instanceId!));
    assert.equal(state.state, 'terminated');
  });
});

describe('given a dead-lettered message', () => {
  it('a tick fails its job (dead-letter), answers on the response queue and deletes the message', async () => {
    const jobId = await bench.submit('label:y', { send: false });
    await deadLetters.send(JSON.stringify({ jobId }));
    await supervisor.tick();
    const job = await load(bench.store, streamName('job', jobId));
    assert.equal(job.state, 'failed');
    assert.equal(job.kind === 'job' && job.context.error?.code, 'dead-letter');
    const [response] = await bench.responses.receive({ waitSeconds: 0 });
    assert.deepEqual(JSON.parse(response?.body ?? '{}'), { jobId, state: 'failed' });
    assert.deepEqual(await deadLetters.depth(), { visible: 0, inFlight: 0 });
  });
});

describe('given running instances at shutdown', () => {
  it('shutdownInstances terminates them through compute and records the forced shutdown', async () => {
    await bench.submit('label:z');
    await supervisor.tick();
    const [instanceId] = compute.launches[0]!.instanceIds;
    await supervisor.shutdownInstances(500);
    assert.equal(compute.terminated.length, 1);
    const types = await bench.types(streamName('instance', instanceId!));
    assert.equal(types.at(-1), 'InstanceTerminationForced');
  });
});

describe('given an idle time measured from boots (idleSeconds auto, floor 1 s)', () => {
  it('a later launch gives its instances the median boot-to-first-poll of the instances seen booting', async () => {
    const measured = createSupervisor({
      store: bench.store,
      requests: bench.requests,
      responses: bench.responses,
      deadLetters,
      compute,
      clock: bench.clock,
      settings: { cap: 19, jobsPerInstance: 1, terminateGraceSeconds: 20, heartbeatTimeoutSeconds: 30, bootTimeoutSeconds: 60, tickMs: 1000, emptyPollsToIdle: 2, idle: { floorSeconds: 1, priorSeconds: 1, window: 9 } },
      bootEnv: {},
      log: () => undefined,
    });
    await bench.submit('label:a');
    await measured.tick();
    const [first] = compute.launches[0]!.instanceIds;
    const stream = streamName('instance', first!);
    const context = (await load(bench.store, stream)).context as { idleSeconds: number; requestedAt: string };
    assert.equal(context.idleSeconds, 1, 'before any boot: the prior');
    const bootedAt = new Date(Date.parse(context.requestedAt) + 2500).toISOString();
    // The worker boots 2.5 s after it was requested.
    await proposeIfAllowed(bench.store, stream, [{ type: 'InstanceBooted', at: bootedAt, data: { modelLoadMs: 900 } }]);
    await bench.requests.receive({ visibilityTimeoutSeconds: 30 });
    await measured.tick(); // sees the boot
    await bench.submit('label:b');
    await bench.submit('label:c');
    await measured.tick();
    const [second] = compute.launches.at(-1)!.instanceIds;
    assert.equal(((await load(bench.store, streamName('instance', second!))).context as { idleSeconds: number }).idleSeconds, 2.5);
    assert.equal(measured.idleSeconds(), 2.5);
    await measured.stop();
  });
});
