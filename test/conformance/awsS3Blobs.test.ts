/**
 * The S3 blobs on the fauxqs emulator (in-process, 127.0.0.1): the shared Blobs conformance suite
 * (its 10 MB stream goes through a multipart upload), then what only the S3 adapter adds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { DeleteBucketCommand, DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AwsError } from '../../adapters/aws/awsErrors.ts';
import { ensureBucket } from '../../adapters/aws/provision.ts';
import { createS3Blobs } from '../../adapters/aws/s3Blobs.ts';
import { startFauxqsEmulator, type Fauxqs } from '../support/emulators.ts';
import { blobsConformance } from './blobs.suite.ts';

let emulator: Promise<Fauxqs> | undefined;
const fauxqs = () => (emulator ??= startFauxqsEmulator());
after(async () => {
  if (emulator) await (await emulator).stop();
});

async function freshBucket(): Promise<string> {
  const { s3 } = await fauxqs();
  const bucket = `ff-${randomUUID().slice(0, 8)}`;
  assert.equal((await ensureBucket(s3, bucket, 'us-east-1')).status, 'created');
  return bucket;
}

async function removeBucket(bucket: string): Promise<void> {
  const { s3 } = await fauxqs();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const object of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}

blobsConformance('s3 (fauxqs)', async () => {
  const { s3 } = await fauxqs();
  const bucket = await freshBucket();
  return { blobs: createS3Blobs({ client: s3, bucket, prefix: 'facefleet/' }), cleanup: () => removeBucket(bucket) };
}, { conditionalWrites: false });

describe('S3 blobs (fauxqs): what only this adapter adds', () => {
  describe('given a bucket that was never provisioned', () => {
    it('when it is written, then the error names the bucket and says to run facefleet provision', async () => {
      const { s3 } = await fauxqs();
      const blobs = createS3Blobs({ client: s3, bucket: 'ff-never-created' });
      await assert.rejects(blobs.put('images/a', Buffer.from('x')), (error: unknown) => {
        assert.ok(error instanceof AwsError);
        assert.equal(error.kind, 'missing-resource');
        assert.match(error.message, /bucket ff-never-created .*does not exist; run `facefleet provision --backend aws`/);
        return true;
      });
    });
  });

  describe('given a provisioned bucket', () => {
    it('when provisioning runs again, then the bucket is reported as existing', async () => {
      const { s3 } = await fauxqs();
      const bucket = await freshBucket();
      try {
        assert.equal((await ensureBucket(s3, bucket, 'us-east-1')).status, 'exists');
      } finally {
        await removeBucket(bucket);
      }
    });

    it('when an upload stream fails after the first part, then the multipart upload is aborted and no object appears', async () => {
      const { s3 } = await fauxqs();
      const bucket = await freshBucket();
      try {
        const blobs = createS3Blobs({ client: s3, bucket, partSize: 5 * 1024 * 1024 });
        const failing = Readable.from(
          (async function* () {
            for (let i = 0; i < 6; i += 1) yield Buffer.alloc(1024 * 1024, i);
            throw new Error('client went away');
          })(),
        );
        await assert.rejects(blobs.put('images/half', failing), /client went away/);
        assert.equal(await blobs.head('images/half'), undefined);
        const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket })).catch(() => undefined);
        assert.equal(uploads?.Uploads?.length ?? 0, 0);
      } finally {
        await removeBucket(bucket);
      }
    });

    it('when a key is written under a prefix, then the object lives under prefix + key', async () => {
      const { s3 } = await fauxqs();
      const bucket = await freshBucket();
      try {
        await createS3Blobs({ client: s3, bucket, prefix: 'fleet-a/' }).put('results/j.json', Buffer.from('{}'));
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        assert.deepEqual(listed.Contents?.map((o) => o.Key), ['fleet-a/results/j.json']);
      } finally {
        await removeBucket(bucket);
      }
    });
  });
});
