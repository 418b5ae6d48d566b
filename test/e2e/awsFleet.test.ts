/**
 * The pipeline on the AWS backend, whole, on one machine: `facefleet provision --backend aws` against
 * fauxqs (SQS + S3) and dynalite (DynamoDB), then the real `facefleet start --backend aws` whose
 * workers are EC2 instances of the test server — local `facefleet worker` processes booted from
 * their user data, asking IMDSv2 for their instance id. Photos through the classic `POST /` are
 * named, the fleet scales out, and every instance terminates itself through EC2 TerminateInstances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseUserDataEnv } from '../../adapters/aws/ec2Compute.ts';
import { awsReadModelsMatchReplay, mainAccessKey, startAwsStack, workerAccessKey, type AwsStack } from '../support/awsStack.ts';
import { enrolDemoSubjects, eventually, listInstances, postClassic, watchFleet, type FacefleetProcess } from '../support/facefleetProcess.ts';

const cap = 3;

/** The environment a RunInstances call's user data gives the worker. */
const bootEnvOf = (call: { params: Record<string, string> }) => parseUserDataEnv(Buffer.from(call.params.UserData ?? '', 'base64').toString('utf8'));

describe('given the AWS resources provisioned on the emulators and six people enrolled', () => {
  let stack: AwsStack;
  let ff: FacefleetProcess;
  let provisioned = '';
  before(async () => {
    stack = await startAwsStack({ env: { FACEFLEET_CAP: String(cap) } });
    provisioned = await stack.provision();
    ff = await stack.start();
    await enrolDemoSubjects(ff.url);
  });
  let fleet: ReturnType<typeof watchFleet> | undefined;
  after(async () => {
    await fleet?.stop();
    await ff?.stop();
    await stack?.stop();
  });

  it('provisioning created the queues, the bucket and the table', () => {
    for (const name of [`${stack.prefix}-requests-dead`, `${stack.prefix}-requests`, `${stack.prefix}-responses`, `${stack.prefix}-blobs-us-east-1`, `${stack.prefix}-events`]) {
      assert.match(provisioned, new RegExp(`${name}\\s+created`), provisioned);
    }
  });

  it('8 photos through POST / at once are named, more than one instance runs, and each terminates itself', { timeout: 150_000 }, () =>
    stack.explain(async () => {
      fleet = watchFleet(ff.url);
      const uploads = Array.from({ length: 8 }, (_, i) => ({ photo: (i % 6) + 1, name: `photo-${i + 1}` }));
      const answers = await Promise.all(uploads.map((u) => postClassic(ff.url, u.photo, `${u.name}.jpg`)));
      for (const [i, answer] of answers.entries()) {
        const u = uploads[i]!;
        assert.equal(answer.status, 200, `${u.name}: ${answer.text}`);
        assert.equal(answer.text, `${u.name}:person${u.photo}`);
      }

      const rows = await eventually(
        'every instance to terminate after idling',
        async () => {
          const all = await listInstances(ff.url);
          return all.length > 0 && all.every((r) => r.state === 'terminated') ? all : undefined;
        },
        60_000,
      );
      await fleet.stop();
      process.stdout.write(`# scaling timeline on the AWS backend (cap ${cap}):\n${fleet.timeline().map((l) => `#   ${l}`).join('\n')}\n`);
      assert.ok(rows.length > 1, `more than one instance ran (${rows.length})`);
      assert.ok(fleet.maxAlive() > 1 && fleet.maxAlive() <= cap, `scaled out within the cap (${fleet.maxAlive()})`);
      assert.equal(rows.reduce((n, r) => n + r.jobsDone, 0), 8, 'the instances did the 8 jobs');

      const calls = stack.ec2.calls;
      for (const row of rows) {
        assert.equal(row.terminationReason, 'idle', `${row.id} terminated itself after idling`);
        assert.equal(row.forced, false);
        assert.ok(row.providerId?.startsWith('i-'), `${row.id} has an EC2 instance id (${row.providerId})`);
        const providerId = row.providerId!;
        // The worker asked IMDSv2 who it is: its boot event names the EC2 instance.
        const booted = (await stack.store.read(`instance-${row.id}`)).find((e) => e.type === 'InstanceBooted');
        assert.equal((booted?.data as { providerId?: string } | undefined)?.providerId, providerId);
        // It was launched by the main process with its config in the user data…
        const run = calls.find((c) => c.action === 'RunInstances' && bootEnvOf(c).FACEFLEET_INSTANCE_ID === row.id);
        assert.ok(run, `a RunInstances for ${row.id}`);
        assert.equal(run.accessKeyId, mainAccessKey, `${row.id} launched by the main process`);
        const bootEnv = bootEnvOf(run);
        assert.equal(bootEnv.FACEFLEET_BACKEND, 'aws');
        assert.equal(bootEnv.FACEFLEET_AWS_ENDPOINT_SQS, stack.fauxqs.endpoint);
        assert.equal(bootEnv.FACEFLEET_AWS_ENDPOINT_DYNAMODB, stack.dynalite.endpoint);
        assert.ok(!Object.keys(bootEnv).some((k) => k.startsWith('AWS_') && k !== 'AWS_REGION'), 'no credentials in the user data');
        // …and ended by itself: TerminateInstances on its own id, signed with its own credentials.
        const terminations = calls.filter((c) => c.action === 'TerminateInstances' && c.params['InstanceId.1'] === providerId);
        assert.deepEqual(
          terminations.map((c) => c.accessKeyId),
          [workerAccessKey(providerId)],
          `${providerId} terminated once, by itself`,
        );
        const instance = stack.instance(providerId);
        await eventually(`${providerId} to be terminated`, async () => (instance?.state === 'terminated' ? true : undefined), 15_000);
        assert.equal(instance?.exitCode, 0, `${providerId}'s worker exited cleanly`);
      }
    }));

  it('every job completed once, and every stored read model equals the replay of its stream', async () => {
    const jobs = await awsReadModelsMatchReplay(stack.store, 'job');
    assert.deepEqual(jobs.mismatches, []);
    assert.ok(jobs.checked >= 8, `job rows checked (${jobs.checked})`);
    const instances = await awsReadModelsMatchReplay(stack.store, 'instance');
    assert.deepEqual(instances.mismatches, []);
    assert.ok(instances.checked > 1);
    const page = await stack.store.list({ kind: 'job', limit: 500 });
    assert.equal(page.next, undefined);
    for (const row of page.items) {
      const types = (await stack.store.read(row.stream)).map((e) => e.type);
      assert.equal(row.state, 'done', row.stream);
      assert.equal(types.filter((t) => t === 'JobCompleted').length, 1, `${row.stream}: ${types.join(', ')}`);
    }
  });
});
