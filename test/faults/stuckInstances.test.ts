/**
 * Faults: instances that stop without ending.
 * - A worker that hangs instead of terminating (`FACEFLEET_FAULTS=hang-on-terminate`: it appends
 *   InstanceTerminating and then never exits): the supervisor forces it once terminateGraceSeconds
 *   have passed, records InstanceTerminationForced{grace-period-expired}, and the process is gone.
 * - A worker frozen with SIGSTOP in the middle of a job (no hook): its heartbeats stop, the supervisor
 *   marks it lost (InstanceLost{heartbeat-timeout}), forces it, requests a replacement, and the job
 *   completes on the replacement exactly once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { eventually, listInstances, readModelsMatchReplay } from '../support/facefleetProcess.ts';
import { exactlyOnce, facefleetPool, figure, isLive, isoMs, liveWorkers, photoName, photoSha256, submitBatch, withStore } from './faultSupport.ts';

describe('given a worker that hangs after InstanceTerminating', { timeout: 120_000 }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());
  const graceSeconds = 3;

  it(`when it idles out and never exits, then the supervisor forces it after terminateGraceSeconds (${graceSeconds} s) and records it`, async () => {
    const ff = await pool.start({
      env: {
        FACEFLEET_CAP: '1',
        FACEFLEET_IDLE_SECONDS: '2',
        FACEFLEET_TERMINATE_GRACE_SECONDS: String(graceSeconds),
        FACEFLEET_FAULTS: 'hang-on-terminate',
      },
    });
    const [jobId] = await submitBatch(ff.url, [{ photo: 2, name: photoName(2, 'hang') }]);
    // The worker does the job, polls empty twice, says InstanceTerminating{idle} and hangs.
    const worker = await eventually('the worker process', async () => liveWorkers(ff.dataDir)[0], 60_000, 50);
    const forced = await eventually('InstanceTerminationForced', () =>
      withStore(ff.dataDir, async (store) => {
        const events = await store.read(`instance-${worker.instanceId}`);
        return events.some((e) => e.type === 'InstanceTerminationForced') ? events : undefined;
      }), 60_000, 100);
    const exitedAt = await eventually('the hung process to be gone', async () => (isLive(worker.pid) ? undefined : Date.now()), 30_000, 50);

    const types = forced.map((e) => e.type);
    const terminating = forced.find((e) => e.type === 'InstanceTerminating')!;
    const force = forced.find((e) => e.type === 'InstanceTerminationForced')!;
    assert.deepEqual(terminating.data, { reason: 'idle' });
    assert.deepEqual(force.data, { reason: 'grace-period-expired' });
    assert.ok(!types.includes('InstanceTerminated'), `the worker never said it terminated: ${types.join(', ')}`);
    assert.ok(types.indexOf('InstanceTerminating') < types.indexOf('InstanceTerminationForced'));
    const forcedAfterMs = isoMs(force.at) - isoMs(terminating.at);
    assert.ok(forcedAfterMs >= graceSeconds * 1000, `not forced before the grace period (${forcedAfterMs} ms)`);
    assert.ok(forcedAfterMs <= graceSeconds * 1000 + 2000, `forced within a tick or two of the grace period (${forcedAfterMs} ms)`);
    const row = (await listInstances(ff.url)).find((r) => r.id === worker.instanceId);
    assert.equal(row?.state, 'terminated');
    assert.equal(row?.forced, true);
    const check = await exactlyOnce(ff.dataDir, { jobIds: [jobId!], labels: false });
    assert.deepEqual(check.problems, []);
    assert.deepEqual((await readModelsMatchReplay(ff.dataDir, 'instance')).mismatches, []);

    figure('hang-on-terminate', {
      terminateGraceSeconds: graceSeconds,
      forcedAfterMs,
      processGoneAfterMs: exitedAt - isoMs(terminating.at),
      forcedTerminations: 1,
    });
  });
});

describe('given a worker frozen with SIGSTOP in the middle of a job', { timeout: 150_000 }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());
  const heartbeatTimeoutSeconds = 4;

  it(`when its heartbeats stop, then it is marked lost after heartbeatTimeoutSeconds (${heartbeatTimeoutSeconds} s), replaced, and its job completes elsewhere`, async () => {
    const ff = await pool.start({
      env: {
        FACEFLEET_CAP: '1',
        FACEFLEET_HEARTBEAT_TIMEOUT_SECONDS: String(heartbeatTimeoutSeconds),
        FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: '3',
        // The job's first attempt lasts long enough to be caught in the middle (hook only delays it).
        FACEFLEET_FAULTS: `slow-job-ms:20000:${photoSha256(3)}`,
      },
    });
    const [jobId] = await submitBatch(ff.url, [{ photo: 3, name: photoName(3, 'frozen') }]);
    const victim = await eventually('the worker holding the job', async () => (await listInstances(ff.url)).find((r) => r.state === 'working' && r.currentJobId === jobId && r.providerId), 60_000, 20);
    const pid = Number(victim.providerId!.replace(/^proc-/, ''));
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      const doneAt = await eventually('the job to be done', () =>
        withStore(ff.dataDir, async (store) => {
          const completed = (await store.read(`job-${jobId}`)).find((e) => e.type === 'JobCompleted');
          return completed ? isoMs(completed.at) : undefined;
        }), 90_000, 100);
      const goneAt = await eventually('the frozen process to be killed', async () => (isLive(pid) ? undefined : Date.now()), 30_000, 50);

      const facts = await withStore(ff.dataDir, async (store) => ({
        victim: await store.read(`instance-${victim.id}`),
        job: await store.read(`job-${jobId}`),
        instances: await store.rows('instance'),
      }));
      const lost = facts.victim.find((e) => e.type === 'InstanceLost');
      assert.ok(lost, `lost: ${facts.victim.map((e) => e.type).join(', ')}`);
      assert.equal((lost.data as { reason: string }).reason, 'heartbeat-timeout');
      assert.deepEqual(facts.victim.find((e) => e.type === 'InstanceTerminationForced')?.data, { reason: 'lost' });
      const lostAfterMs = isoMs(lost.at) - stoppedAt;
      assert.ok(lostAfterMs <= heartbeatTimeoutSeconds * 1000 + 2000, `lost within the heartbeat timeout and a tick (${lostAfterMs} ms)`);

      const replacement = facts.instances.find((r) => r.id !== victim.id && isoMs(r.context.requestedAt) > isoMs(lost.at) - 1000);
      assert.ok(replacement, 'a replacement instance was requested');
      const completed = facts.job.find((e) => e.type === 'JobCompleted')!;
      const completedBy = (completed.data as { instanceId: string }).instanceId;
      assert.equal(completedBy, replacement.id, 'the job completed on the replacement');
      assert.ok(facts.job.some((e) => e.type === 'JobRequeued' && (e.data as { instanceId?: string }).instanceId === victim.id), 'the frozen attempt was requeued');
      const check = await exactlyOnce(ff.dataDir, { jobIds: [jobId!], labels: false });
      assert.deepEqual(check.problems, []);
      for (const kind of ['job', 'instance'] as const) assert.deepEqual((await readModelsMatchReplay(ff.dataDir, kind)).mismatches, []);

      figure('sigstop', {
        heartbeatTimeoutSeconds,
        lostAfterMs,
        replacementRequestedAfterMs: isoMs(replacement.context.requestedAt) - stoppedAt,
        replacementBootedAfterMs: isoMs(replacement.context.bootedAt) - stoppedAt,
        jobDoneAfterMs: doneAt - stoppedAt,
        frozenProcessKilledAfterMs: goneAt - stoppedAt,
        forcedTerminations: 1,
      });
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
  });
});
