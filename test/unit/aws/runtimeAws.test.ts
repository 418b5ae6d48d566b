/**
 * The AWS backend end to end on the in-process emulators: `facefleet provision --backend aws`
 * (dry run, run, run again) through the CLI, then the runtime built by `createRuntime` with
 * `backend: 'aws'` moves a message, an object and an event through the provisioned resources.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../app/config.ts';
import { awsSettings } from '../../../app/config/aws.ts';
import { createRuntime } from '../../../app/runtime.ts';
import { startDynaliteEmulator, startFauxqsEmulator, type Dynalite, type Fauxqs } from '../../support/emulators.ts';

const prefix = `ff${randomUUID().slice(0, 6)}`;
let fauxqs: Fauxqs;
let dynalite: Dynalite;
let env: NodeJS.ProcessEnv;

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

/** Runs `facefleet <args>` in a child process (the CLI writes to stdout, which the test runner owns here). */
function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done, reject) => {
    execFile(process.execPath, [join(root, 'bin/facefleet.js'), ...args], { env: { ...process.env, ...env }, cwd: root }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      done({ code: typeof error?.code === 'number' ? error.code : 0, out: stdout + stderr });
    });
  });
}

before(async () => {
  [fauxqs, dynalite] = await Promise.all([startFauxqsEmulator(), startDynaliteEmulator()]);
  env = {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    FACEFLEET_AWS_REGION: 'us-east-1',
    FACEFLEET_AWS_ENDPOINT_SQS: fauxqs.endpoint,
    FACEFLEET_AWS_ENDPOINT_S3: fauxqs.endpoint,
    FACEFLEET_AWS_ENDPOINT_DYNAMODB: dynalite.endpoint,
    FACEFLEET_AWS_NAME_PREFIX: prefix,
  };
  Object.assign(process.env, env);
});
after(async () => {
  for (const key of Object.keys(env)) delete process.env[key];
  await Promise.all([fauxqs.stop(), dynalite.stop()]);
});

describe('facefleet provision --backend aws (emulators)', () => {
  it('when it is a dry run on an empty account, then it prints the plan and creates nothing', async () => {
    const { code, out } = await cli(['provision', '--backend', 'aws', '--dry-run']);
    assert.equal(code, 0);
    assert.match(out, /Plan \(dry run: nothing is created\) in us-east-1/);
    assert.match(out, new RegExp(`queue +${prefix}-requests +would create — redrive to ${prefix}-requests-dead after 3 receives`));
    assert.match(out, new RegExp(`bucket +${prefix}-blobs-us-east-1 +would create`));
    assert.match(out, new RegExp(`table +${prefix}-events +would create`));
    assert.match(out, /5 to create or correct/);
  });

  it('when it runs twice, then the first run creates everything and the second finds it in place', async () => {
    const first = await cli(['provision', '--backend', 'aws']);
    assert.equal(first.code, 0);
    assert.equal(first.out.match(/^ +(queue|bucket|table) +\S+ +created/gm)?.length, 5, first.out);
    const second = await cli(['provision', '--backend', 'aws']);
    assert.equal(second.out.match(/^ +(queue|bucket|table) +\S+ +exists/gm)?.length, 5, second.out);
    assert.match(second.out, /Done: 0 created or corrected, 5 already in place/);
  });

  it('when the backend is embedded, then there is nothing to provision', async () => {
    const { code, out } = await cli(['provision', '--backend', 'embedded']);
    assert.equal(code, 0);
    assert.match(out, /needs no provisioning/);
  });
});

describe('the aws runtime (emulators, after provisioning)', () => {
  it('when built from the config, then its queues, blobs and store work on the provisioned resources', async () => {
    // The resources were provisioned by the CLI above.
    const { config } = loadConfig({ flags: { backend: 'aws' }, env: process.env });
    assert.equal(awsSettings(config).queues.requests, `${prefix}-requests`);
    const runtime = await createRuntime(config, { role: 'worker' });
    try {
      assert.equal(runtime.compute.backend, 'ec2');
      await runtime.requests.send('{"jobId":"a"}');
      const [message] = await runtime.requests.receive({ waitSeconds: 2 });
      assert.equal(message?.body, '{"jobId":"a"}');
      await runtime.requests.delete(message?.receiptHandle ?? '');
      await runtime.blobs.put('images/a', Buffer.from('jpeg'));
      assert.equal((await runtime.blobs.getBytes('images/a')).toString(), 'jpeg');
      await runtime.store.append('job-a', 0, [{ type: 'A', at: '2025-01-01T00:00:00.000Z', data: {} }]);
      assert.equal((await runtime.store.read('job-a')).length, 1);
    } finally {
      await runtime.close();
      await runtime.close();
    }
  });
});

describe('aws.names', () => {
  it('when a name is unknown or malformed, then the config error names the key', () => {
    const base = loadConfig({ env: {} }).config;
    assert.throws(() => awsSettings({ ...base, aws: { ...base.aws, names: { bukket: 'x' } } }), /config: aws.names.bukket is not a known name/);
    assert.throws(() => awsSettings({ ...base, aws: { ...base.aws, names: { imageId: 'ubuntu' } } }), /config: aws.names.imageId must be an AMI id/);
    const s = awsSettings({ ...base, aws: { ...base.aws, names: { launchTemplate: 'lt-0abc', securityGroupIds: 'sg-1,sg-2' } } });
    assert.deepEqual(s.ec2.launchTemplate, { id: 'lt-0abc', version: undefined });
    assert.deepEqual(s.ec2.securityGroupIds, ['sg-1', 'sg-2']);
  });
});
