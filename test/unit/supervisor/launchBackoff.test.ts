/**
 * A failed launch (no capacity, a vCPU limit, AccessDenied) is not retried on the next tick: the
 * supervisor waits a random time up to base × 2^(failures − 1) (full jitter), records the reason
 * on each instance (InstanceLaunchFailed, shown in the inspector) and launches again once the wait
 * is over; a launch that works resets the count. The jitter source is injected: 1 is the longest
 * wait, 0 none.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { Compute, LaunchRequest } from '../../../adapters/ports.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import { createSupervisor } from '../../../services/supervisor/supervisor.ts';
import { openBench, type Bench } from '../worker/harness.ts';

function refusingCompute(): Compute & { launches: LaunchRequest[] } {
  const launches: LaunchRequest[] = [];
  return {
    backend: 'fake',
    launches,
    async launch(request) {
      launches.push(request);
      throw new Error('InsufficientInstanceCapacity: no t3.small in this zone');
    },
    async terminate() {},
    async describe() {
      return [];
    },
    async selfId() {
      return undefined;
    },
  };
}

const opened: Array<{ bench: Bench; queues: ReturnType<typeof openSqliteQueues> }> = [];
afterEach(async () => {
  for (const { bench, queues } of opened.splice(0)) {
    queues.close();
    await bench.close();
  }
});

async function supervisorWith(jitter: number) {
  const bench = openBench();
  const queues = openSqliteQueues({ file: join(bench.dir, 'facefleet.db') });
  opened.push({ bench, queues });
  const compute = refusingCompute();
  const logs: string[] = [];
  const supervisor = createSupervisor({
    store: bench.store,
    requests: bench.requests,
    responses: bench.responses,
    deadLetters: queues.queue({ name: 'requests-dead', visibilityTimeoutSeconds: 30 }),
    compute,
    clock: bench.clock,
    settings: { cap: 19, jobsPerInstance: 1, terminateGraceSeconds: 20, heartbeatTimeoutSeconds: 30, bootTimeoutSeconds: 60, tickMs: 1000, emptyPollsToIdle: 2, idle: { fixedSeconds: 4, floorSeconds: 1, priorSeconds: 1, window: 9 } },
    bootEnv: {},
    launchBackoff: { baseMs: 60_000, maxMs: 600_000 },
    random: () => jitter,
    log: (line) => logs.push(line),
  });
  await bench.submit('label:a');
  return { bench, compute, supervisor, logs };
}

describe('given EC2 refusing every launch', () => {
  it('when the launch fails, then the next ticks launch nothing while the backoff lasts, and the reason is on the instance stream', async () => {
    const { bench, compute, supervisor, logs } = await supervisorWith(1);
    await supervisor.tick();
    assert.equal(compute.launches.length, 1);
    const [instanceId] = compute.launches[0]!.instanceIds;
    const events = await bench.store.read(`instance-${instanceId}`);
    const failed = events.find((e) => e.type === 'InstanceLaunchFailed');
    assert.match(String((failed?.data as { reason?: string } | undefined)?.reason), /InsufficientInstanceCapacity/);
    assert.equal((failed?.data as { backoffMs?: number } | undefined)?.backoffMs, 60_000, 'the backoff is recorded with the reason');
    assert.match(logs.join('\n'), /launch failed 1 time\(s\) in a row .*no launch for 60\.0 s/);

    await supervisor.tick();
    await supervisor.tick();
    assert.equal(compute.launches.length, 1, 'no retry within the backoff');
  });

  it('when the backoff drew no wait, then the next tick launches again and the failures are counted', async () => {
    const { bench, compute, supervisor, logs } = await supervisorWith(0);
    await supervisor.tick();
    await supervisor.tick();
    assert.equal(compute.launches.length, 2, 'retried once the (zero) wait was over');
    assert.match(logs.join('\n'), /launch failed 2 time\(s\) in a row/);
    const first = await bench.store.read(`instance-${compute.launches[0]!.instanceIds[0]}`);
    assert.equal((first.find((e) => e.type === 'InstanceLaunchFailed')?.data as { backoffMs?: number } | undefined)?.backoffMs, 0);
  });
});
