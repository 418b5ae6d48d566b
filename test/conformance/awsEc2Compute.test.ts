/**
 * The EC2 compute through a local EC2 test server (test/support/ec2TestServer.ts) driven by the real
 * @aws-sdk/client-ec2: the shared Compute conformance suite — each "instance" is a local process
 * whose selfId() goes through IMDSv2 — then what only this adapter adds: the RunInstances request
 * it sends, idempotent launches, and EC2's errors over the wire.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AwsError } from '../../adapters/aws/awsErrors.ts';
import { clientToken, createEc2Compute, type Ec2ComputeOptions } from '../../adapters/aws/ec2Compute.ts';
import { createImds } from '../../adapters/aws/imds.ts';
import type { Compute } from '../../adapters/ports.ts';
import { emulatorCredentials, emulatorRegion } from '../support/emulators.ts';
import { startEc2TestServer, type Ec2TestServer } from '../support/ec2TestServer.ts';
import { waitFor } from '../support/waitFor.ts';
import { computeConformance } from './compute.suite.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const root = resolve(fileURLToPath(import.meta.url), '../../..');

/** The instance's program: asks IMDSv2 who it is through the adapter, reports, idles until SIGTERM. */
const workerScript = `
  import { writeFileSync, renameSync } from 'node:fs';
  import { join } from 'node:path';
  import { createImds } from ${JSON.stringify(join(root, 'adapters/aws/imds.ts'))};
  const env = process.env;
  const selfId = await createImds().instanceId();
  const target = join(env.FAKE_WORKER_OUT, env.FACEFLEET_INSTANCE_ID + '.json');
  writeFileSync(target + '.tmp', JSON.stringify({ instanceId: env.FACEFLEET_INSTANCE_ID, selfId: selfId ?? null, echo: env.FAKE_WORKER_ECHO ?? null }));
  renameSync(target + '.tmp', target);
  process.on('SIGTERM', () => process.exit(0));
  setTimeout(() => process.exit(3), 30000);
`;
const command = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', workerScript];

interface Fixture {
  server: Ec2TestServer;
  compute: Compute;
  dir: string;
  report(instanceId: string): Promise<{ instanceId: string; selfId: string | null; echo: string | null }>;
  cleanup(): Promise<void>;
}

async function fixture(extra: Partial<Ec2ComputeOptions> = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'facefleet-ec2-'));
  const server = await startEc2TestServer({ command, cwd: root, env: { FAKE_WORKER_OUT: dir }, graceMs: 2000 });
  const client = new EC2Client({ region: emulatorRegion, endpoint: server.endpoint, credentials: emulatorCredentials });
  const compute = createEc2Compute({
    client,
    fleet: 'ff-test',
    launch: { imageId: 'ami-0123456789abcdef0', instanceType: 't3.small', subnetId: 'subnet-1', securityGroupIds: ['sg-1', 'sg-2'], instanceProfile: 'facefleet-worker' },
    retry: { baseMs: 1 },
    ...extra,
  });
  return {
    server,
    compute,
    dir,
    report: (instanceId) =>
      waitFor(async () => JSON.parse(await readFile(join(dir, `${instanceId}.json`), 'utf8')) as { instanceId: string; selfId: string | null; echo: string | null }, {
        timeoutMs: 15_000,
        what: `the report of ${instanceId}`,
      }),
    async cleanup() {
      await server.stop();
      client.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

computeConformance('ec2 (local EC2 test server)', async () => {
  const f = await fixture();
  return {
    compute: f.compute,
    reportedSelfId: async (instance) => (await f.report(instance.instanceId)).selfId ?? 'no answer from IMDS',
    cleanup: f.cleanup,
  };
});

describe('EC2 compute: what only this adapter adds', () => {
  describe('given a launch of one worker', () => {
    let f: Fixture;
    before(async () => {
      f = await fixture();
    });
    after(() => f.cleanup());

    it('then RunInstances carried the AMI, network, profile, IMDSv2-only, terminate-on-shutdown, tags, a ClientToken and user data that starts the worker with its environment', async () => {
      const [launched] = await f.compute.launch({ instanceIds: ['shape-1'], tags: { team: 'x' }, bootEnv: { FAKE_WORKER_ECHO: "it's \"quoted\" $HOME" } });
      const call = f.server.calls.find((c) => c.action === 'RunInstances');
      assert.ok(call && launched);
      const p = call.params;
      assert.equal(p.ImageId, 'ami-0123456789abcdef0');
      assert.equal(p.InstanceType, 't3.small');
      assert.equal(p.SubnetId, 'subnet-1');
      assert.deepEqual([p['SecurityGroupId.1'], p['SecurityGroupId.2']], ['sg-1', 'sg-2']);
      assert.equal(p['IamInstanceProfile.Name'], 'facefleet-worker');
      assert.equal(p['MetadataOptions.HttpTokens'], 'required');
      assert.equal(p.InstanceInitiatedShutdownBehavior, 'terminate');
      assert.equal(p.ClientToken, clientToken('ff-test', 'shape-1'));
      assert.match(String(p.ClientToken), /^[0-9a-f]{64}$/);
      assert.equal(p.MinCount, '1');
      assert.equal(p.MaxCount, '1');
      const instance = f.server.instances().find((i) => i.providerId === launched.providerId);
      assert.deepEqual(instance?.tags, { Name: 'ff-test-worker-shape-1', team: 'x', 'facefleet:fleet': 'ff-test', 'facefleet:instance': 'shape-1' });
      assert.match(instance?.userData ?? '', /^#!\/bin\/bash\n/);
      // The prebuilt worker bundle when the image has one, the TypeScript sources through tsx otherwise.
      assert.match(instance?.userData ?? '', /runuser -u 'facefleet' -- sh -c 'if \[ -f dist\/facefleet-worker\.mjs \]; then exec node dist\/facefleet-worker\.mjs; else exec node bin\/facefleet\.js worker; fi'\n/);
      assert.equal(instance?.env.FAKE_WORKER_ECHO, "it's \"quoted\" $HOME");
      assert.equal(instance?.env.FACEFLEET_INSTANCE_ID, 'shape-1');
      assert.equal((await f.report('shape-1')).echo, "it's \"quoted\" $HOME");
    });

    it('when the same instance id is launched again (a retried launch), then EC2 answers the same instance', async () => {
      const [first] = await f.compute.launch({ instanceIds: ['twice'] });
      const [second] = await f.compute.launch({ instanceIds: ['twice'] });
      assert.equal(second?.providerId, first?.providerId);
      assert.equal(f.server.instances().filter((i) => i.tags['facefleet:instance'] === 'twice').length, 1);
    });
  });

  describe('given EC2 without capacity', () => {
    let f: Fixture;
    before(async () => {
      f = await fixture();
    });
    after(() => f.cleanup());

    it('when every launch fails, then launch throws one clear capacity error with the SDK error as cause', async () => {
      f.server.failNext('RunInstances', 'InsufficientInstanceCapacity', { times: 2, message: 'We currently do not have sufficient t3.small capacity' });
      await assert.rejects(f.compute.launch({ instanceIds: ['cap-1', 'cap-2'] }), (error: unknown) => {
        assert.ok(error instanceof AwsError);
        assert.equal(error.kind, 'capacity');
        assert.match(error.message, /EC2 RunInstances on instance cap-\d failed: EC2 has no capacity or quota for this launch \(InsufficientInstanceCapacity\)/);
        assert.equal((error.cause as Error).name, 'InsufficientInstanceCapacity');
        return true;
      });
    });

    it('when one of two launches fails, then launch answers the one that started', async () => {
      f.server.failNext('RunInstances', 'InsufficientInstanceCapacity');
      const launched = await f.compute.launch({ instanceIds: ['half-1', 'half-2'] });
      assert.equal(launched.length, 1);
    });
  });

  describe('given EC2 throttling the first call', () => {
    it('when launching, then the call is retried and succeeds', async () => {
      const f = await fixture();
      try {
        f.server.failNext('RunInstances', 'RequestLimitExceeded', { times: 1 });
        const launched = await f.compute.launch({ instanceIds: ['throttled'] });
        assert.equal(launched.length, 1);
        assert.ok(f.server.calls.filter((c) => c.action === 'RunInstances').length >= 2);
      } finally {
        await f.cleanup();
      }
    });
  });

  describe('given credentials that EC2 refuses', () => {
    it('when describing, then the error says the permission is missing', async () => {
      const f = await fixture();
      try {
        f.server.failNext('DescribeInstances', 'UnauthorizedOperation', { message: 'You are not authorized to perform this operation.' });
        await assert.rejects(f.compute.describe(), /EC2 DescribeInstances on fleet ff-test was denied: the credentials lack this permission \(attach deploy\/aws\/iam-policy\.json\)/);
      } finally {
        await f.cleanup();
      }
    });
  });

  describe('given no metadata service (not on EC2)', () => {
    it('when selfId is asked, then it answers undefined quickly', async () => {
      const compute = createEc2Compute({ launch: {}, region: emulatorRegion, imds: createImds({ endpoint: 'http://127.0.0.1:9', timeoutMs: 300 }) });
      const started = performance.now();
      assert.equal(await compute.selfId(), undefined);
      assert.ok(performance.now() - started < 1000);
    });
  });
});
