/**
 * Scaling, the system started in this process through `startFacefleet` (the workers are real
 * processes): 5 uploads with cap 19 never bring up more than 5 instances
 * (desired = min(cap, ceil(backlog / jobsPerInstance))).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, getJob, listInstances, submitJob, watchFleet } from '../support/facefleetProcess.ts';
import { startInProcess, type InProcessFacefleet } from '../support/facefleetInProcess.ts';

describe('given cap 19 and an empty fleet', () => {
  let ff: InProcessFacefleet;
  before(async () => {
    ff = await startInProcess({ env: { FACEFLEET_CAP: '19' } });
  });
  after(async () => {
    await ff?.stop();
    ff?.cleanup();
  });

  it('5 uploads never bring up more than 5 instances', async () => {
    const fleet = watchFleet(ff.url, 100);
    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => submitJob(ff.url, n)));
    await eventually(
      'the 5 jobs to finish',
      async () => ((await Promise.all(ids.map((id) => getJob(ff.url, id)))).every((j) => j.state === 'done') ? true : undefined),
      90000,
    );
    await eventually('the fleet to idle out', async () => ((await listInstances(ff.url)).every((r) => r.state === 'terminated') ? true : undefined), 60000);
    await fleet.stop();
    process.stdout.write(`# scaling timeline (5 uploads, cap 19):\n${fleet.timeline().map((l) => `#   ${l}`).join('\n')}\n`);
    const instances = await listInstances(ff.url);
    assert.ok(instances.length <= 5, `at most 5 instances were requested (${instances.length})`);
    assert.ok(fleet.maxAlive() <= 5, `never more than 5 alive (${fleet.maxAlive()})`);
    assert.ok(fleet.maxAlive() >= 2, `it did scale out (${fleet.maxAlive()})`);
  });
});
