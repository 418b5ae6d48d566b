/**
 * Failures on the AWS backend with real processes (emulators + the EC2 test server, see
 * test/support/awsStack.ts): a worker instance killed with SIGKILL in the middle of a job (the job
 * still completes exactly once), and the main process killed with jobs queued (a restart completes
 * them all, re-adopting the instances that outlived it through DescribeInstances).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsReadModelsMatchReplay, awsStreamTypes, startAwsStack, type AwsStack } from '../support/awsStack.ts';
import { allJobsDone, eventually, listInstances, submitJob, type FacefleetProcess } from '../support/facefleetProcess.ts';

// One set of emulators and one provisioning for both cases; each case runs its own main process.
let stack: AwsStack;
before(async () => {
  stack = await startAwsStack();
  await stack.provision();
});
after(async () => {
  await stack?.stop();
});


describe('given a worker instance in the middle of a job', () => {
  let ff: FacefleetProcess | undefined;
  after(async () => {
    await ff?.stop();
  });

  it('kill -9 of the worker: the job completes exactly once, and the instance is recorded lost', { timeout: 150_000 }, () =>
    stack.explain(async () => {
      ff = await stack.start({ env: { FACEFLEET_CAP: '1' } });
      const { url } = ff;
      const ids: string[] = [];
      for (const n of [1, 2, 3, 4]) ids.push(await submitJob(url, n));

      // Catch the (only) worker while it holds a job; a job may finish between the look and the
      // kill, so make sure the one we interrupted had not completed, or try the next one.
      let victim: { id: string; jobId: string } | undefined;
      const killed = new Set<string>();
      for (let attempt = 0; attempt < 3 && !victim; attempt += 1) {
        const row = await eventually(
          'a worker holding a job',
          async () => (await listInstances(url)).find((r) => r.state === 'working' && r.currentJobId && r.providerId && !killed.has(r.providerId)),
          90_000,
          20,
        );
        const providerId = row.providerId!;
        killed.add(providerId);
        const child = stack.instance(providerId)?.process;
        assert.ok(child, `the EC2 test server runs ${providerId}`);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          await exited;
        }
        await new Promise((resolve) => setTimeout(resolve, 300)); // a request it sent before dying lands
        const types = await awsStreamTypes(stack.store, `job-${row.currentJobId}`);
        if (!types.includes('JobCompleted')) victim = { id: row.id, jobId: row.currentJobId! };
      }
      assert.ok(victim, 'a worker was killed in the middle of a job');

      const jobs = await allJobsDone(url, ids, 120_000);
      const history = await awsStreamTypes(stack.store, `job-${victim.jobId}`);
      assert.equal(history.filter((t) => t === 'JobCompleted').length, 1, `one JobCompleted: ${history.join(', ')}`);
      assert.ok(history.includes('JobRequeued'), `the lost attempt was requeued: ${history.join(', ')}`);
      assert.ok((jobs.find((j) => j.id === victim.jobId)?.attempts ?? 0) >= 2);
      for (const id of ids) {
        const types = await awsStreamTypes(stack.store, `job-${id}`);
        assert.equal(types.filter((t) => t === 'JobCompleted').length, 1, `${id}: ${types.join(', ')}`);
      }
      const lost = await awsStreamTypes(stack.store, `instance-${victim.id}`);
      assert.ok(lost.includes('InstanceLost'), `the killed instance is lost: ${lost.join(', ')}`);
      assert.equal(lost.at(-1), 'InstanceTerminated');
      const { mismatches } = await awsReadModelsMatchReplay(stack.store, 'job');
      assert.deepEqual(mismatches, []);
    }));
});

describe('given jobs queued when the main process dies', () => {
  it('a restart completes them all, and a clean stop leaves no instance running', { timeout: 150_000 }, () =>
    stack.explain(async () => {
      const earlier = new Set((await stack.store.list({ kind: 'instance', limit: 500 })).items.map((r) => r.id));
      const first = await stack.start({ env: { FACEFLEET_CAP: '2' } });
      const ids: string[] = [];
      for (const n of [1, 2, 3, 4]) ids.push(await submitJob(first.url, n));
      // Die once an instance is launched (and recorded), so that one outlives this process.
      const launched = await eventually('the first process to launch instances', async () => {
        const rows = (await listInstances(first.url)).filter((r) => r.providerId && !earlier.has(r.id));
        return rows.length > 0 ? rows : undefined;
      });
      first.child.kill('SIGKILL');
      await first.exited;

      const second = await stack.start({ env: { FACEFLEET_CAP: '2' } });
      const jobs = await allJobsDone(second.url, ids, 120_000);
      assert.equal(jobs.length, 4);
      for (const id of ids) {
        const types = await awsStreamTypes(stack.store, `job-${id}`);
        assert.equal(types.filter((t) => t === 'JobCompleted').length, 1, `${id}: ${types.join(', ')}`);
      }
      assert.deepEqual((await awsReadModelsMatchReplay(stack.store, 'job')).mismatches, []);
      // The instances that outlived the first process kept working (the second one adopted them).
      const outlived = await Promise.all(launched.map((r) => stack.store.get('instance', r.id)));
      assert.ok(
        outlived.reduce((n, row) => n + Number(row?.context.jobsDone ?? 0), 0) > 0,
        `instances launched before the restart did jobs: ${outlived.map((r) => `${r?.id} ${r?.state} ${String(r?.context.jobsDone)}`).join('; ')}`,
      );

      await second.stop();
      // Every instance either terminated itself or was terminated by the stop; none still runs.
      await eventually(
        'every EC2 test instance to be terminated',
        async () => (stack.ec2.instances().every((i) => i.state === 'terminated') ? true : undefined),
        20_000,
      );
      const rows = await stack.store.list({ kind: 'instance', limit: 500 });
      for (const row of rows.items) assert.equal(row.state, 'terminated', row.stream);
      assert.deepEqual((await awsReadModelsMatchReplay(stack.store, 'instance')).mismatches, []);
    }));
});
