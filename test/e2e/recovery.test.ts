/**
 * Failures with real processes: a worker killed with SIGKILL in the middle of a job (the job still
 * completes exactly once), and the main process killed with queued jobs (a restart completes them,
 * re-adopting the workers that outlived it).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  allJobsDone,
  eventually,
  killOrphanWorkers,
  listInstances,
  readModelsMatchReplay,
  startFacefleet,
  streamTypes,
  submitJob,
  type FacefleetProcess,
} from '../support/facefleetProcess.ts';

const started: FacefleetProcess[] = [];
after(async () => {
  for (const ff of started) {
    await ff.stop('SIGKILL').catch(() => undefined);
    killOrphanWorkers(ff.dataDir);
    ff.cleanup();
  }
});


describe('given a worker in the middle of a job', () => {
  it('kill -9 of the worker: the job completes exactly once, and the instance is recorded lost', async () => {
    const ff = await startFacefleet({ env: { FACEFLEET_CAP: '1' } });
    started.push(ff);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4]) ids.push(await submitJob(ff.url, n));
    // Catch the (only) worker while it holds a job.
    const victim = await eventually(
      'a worker holding a job',
      async () => (await listInstances(ff.url)).find((r) => r.state === 'working' && r.currentJobId && r.providerId),
      60000,
      20,
    );
    const pid = Number(victim.providerId!.replace(/^proc-/, ''));
    process.kill(pid, 'SIGKILL');

    const jobs = await allJobsDone(ff.url, ids, 90000);
    const killedJob = victim.currentJobId!;
    const history = await streamTypes(ff.dataDir, `job-${killedJob}`);
    assert.equal(history.filter((e) => e.type === 'JobCompleted').length, 1, `one JobCompleted: ${history.map((e) => e.type).join(', ')}`);
    assert.ok(history.some((e) => e.type === 'JobRequeued'), 'the lost attempt was requeued');
    assert.ok((jobs.find((j) => j.id === killedJob)?.attempts ?? 0) >= 2);
    for (const id of ids) {
      const types = (await streamTypes(ff.dataDir, `job-${id}`)).map((e) => e.type);
      assert.equal(types.filter((t) => t === 'JobCompleted').length, 1, `${id}: ${types.join(', ')}`);
    }
    const lost = (await streamTypes(ff.dataDir, `instance-${victim.id}`)).map((e) => e.type);
    assert.ok(lost.includes('InstanceLost'), `the killed instance is lost: ${lost.join(', ')}`);
    assert.equal(lost.at(-1), 'InstanceTerminated');
    const { mismatches } = await readModelsMatchReplay(ff.dataDir, 'job');
    assert.deepEqual(mismatches, []);
  });
});

describe('given jobs queued when the main process dies', () => {
  it('a restart completes them all', async () => {
    const first = await startFacefleet({ env: { FACEFLEET_CAP: '2' } });
    started.push(first);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5, 6]) ids.push(await submitJob(first.url, n));
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startFacefleet({ dataDir: first.dataDir, env: { FACEFLEET_CAP: '2' } });
    started.push(second);
    const jobs = await allJobsDone(second.url, ids, 120000);
    assert.equal(jobs.length, 6);
    for (const id of ids) {
      const types = (await streamTypes(second.dataDir, `job-${id}`)).map((e) => e.type);
      assert.equal(types.filter((t) => t === 'JobCompleted').length, 1, `${id}: ${types.join(', ')}`);
    }
    const { mismatches } = await readModelsMatchReplay(second.dataDir, 'job');
    assert.deepEqual(mismatches, []);
    await second.stop();
    // A clean stop leaves no instance running and every stream finished.
    const rows = await readModelsMatchReplay(second.dataDir, 'instance');
    assert.deepEqual(rows.mismatches, []);
  });
});
