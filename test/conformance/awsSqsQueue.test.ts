/**
 * The SQS queue on the fauxqs emulator (in-process, 127.0.0.1): the shared Queue conformance suite,
 * with each case's queue pair created by the provisioning code (RedrivePolicy to the dead-letter
 * queue), then what only the SQS adapter adds: a missing queue gives the provisioning hint.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { ensureQueue } from '../../adapters/aws/provision.ts';
import { createSqsQueue } from '../../adapters/aws/sqsQueue.ts';
import { AwsError } from '../../adapters/aws/awsErrors.ts';
import { startFauxqsEmulator, type Fauxqs } from '../support/emulators.ts';
import { queueConformance } from './queue.suite.ts';

let emulator: Promise<Fauxqs> | undefined;
const fauxqs = () => (emulator ??= startFauxqsEmulator());
after(async () => {
  if (emulator) await (await emulator).stop();
});

queueConformance('sqs (fauxqs)', async (settings) => {
  const { sqs, endpoint } = await fauxqs();
  const name = `ff-${randomUUID().slice(0, 8)}`;
  const arns = new Map<string, string>();
  const dead = await ensureQueue(sqs, { name: `${name}-dead`, visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds }, { arns });
  const main = await ensureQueue(
    sqs,
    { name, visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds, deadLetter: { name: `${name}-dead`, maxReceives: settings.maxReceives } },
    { arns },
  );
  return {
    queue: createSqsQueue({ client: sqs, endpoint, queueUrl: main.url, name }),
    deadLetter: createSqsQueue({ client: sqs, endpoint, name: `${name}-dead` }),
    async cleanup() {
      for (const url of [main.url, dead.url]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    },
  };
});

describe('SQS queue (fauxqs): what only this adapter adds', () => {
  describe('given a queue that was never provisioned', () => {
    it('when it is used, then the error names the queue and says to run facefleet provision', async () => {
      const { sqs } = await fauxqs();
      const queue = createSqsQueue({ client: sqs, name: 'ff-never-created' });
      await assert.rejects(queue.send('x'), (error: unknown) => {
        assert.ok(error instanceof AwsError);
        assert.equal(error.kind, 'missing-resource');
        assert.match(error.message, /queue ff-never-created does not exist; run `facefleet provision --backend aws`/);
        return true;
      });
    });
  });

  describe('given a provisioned queue', () => {
    it('when provisioning runs again, then it reports the queue as existing and changes nothing', async () => {
      const { sqs } = await fauxqs();
      const name = `ff-${randomUUID().slice(0, 8)}`;
      const arns = new Map<string, string>();
      await ensureQueue(sqs, { name: `${name}-dead`, visibilityTimeoutSeconds: 30 }, { arns });
      const spec = { name, visibilityTimeoutSeconds: 30, deadLetter: { name: `${name}-dead`, maxReceives: 3 } };
      assert.equal((await ensureQueue(sqs, spec, { arns })).status, 'created');
      assert.equal((await ensureQueue(sqs, spec, { arns })).status, 'exists');
      const changed = await ensureQueue(sqs, { ...spec, deadLetter: { name: `${name}-dead`, maxReceives: 5 } }, { arns });
      assert.equal(changed.status, 'updated');
      assert.match(changed.detail ?? '', /RedrivePolicy/);
    });
  });
});
