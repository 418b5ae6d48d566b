/**
 * S3 conditional writes (the gallery's compare-and-swap) as the SDK sends them: the S3 emulator
 * ignores If-Match / If-None-Match, so the requests and the mapping of S3's refusals are checked
 * here against the SDK client with aws-sdk-client-mock: create-if-absent sends `If-None-Match: *`,
 * an update sends `If-Match: <ETag read>`, and a 412 (changed since read) or 409 (a concurrent
 * conditional write won) is "someone else wrote first" (false), not an error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createS3Blobs } from '../../../adapters/aws/s3Blobs.ts';

const refusal = (name: string, httpStatusCode: number) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });

describe('S3 blobs: conditional writes', () => {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const s3 = mockClient(client);
  const blobs = createS3Blobs({ client, bucket: 'b', prefix: 'p/', retry: { sleep: async () => undefined } });

  it('given a read object, then getVersioned returns its bytes and ETag, and an update sends If-Match with it', async () => {
    s3.reset();
    // The SDK's body mixin, as much of it as the adapter uses.
    const Body = { transformToByteArray: async () => new Uint8Array(Buffer.from('{"v":1}')) } as unknown as NonNullable<GetObjectCommandOutput['Body']>;
    s3.on(GetObjectCommand).resolves({ ETag: '"etag-1"', Body });
    s3.on(PutObjectCommand).resolves({ ETag: '"etag-2"' });
    const read = await blobs.getVersioned('gallery/gallery.json');
    assert.deepEqual(read && { bytes: read.bytes.toString(), version: read.version }, { bytes: '{"v":1}', version: '"etag-1"' });
    assert.equal(await blobs.putIfVersion('gallery/gallery.json', Buffer.from('{"v":2}'), read!.version), true);
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    assert.equal(input.IfMatch, '"etag-1"');
    assert.equal(input.IfNoneMatch, undefined);
    assert.equal(input.Key, 'p/gallery/gallery.json');
  });

  it('given no object yet, then a create sends If-None-Match: *', async () => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    assert.equal(await blobs.putIfVersion('gallery/gallery.json', Buffer.from('{}'), undefined), true);
    assert.equal(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.IfNoneMatch, '*');
  });

  it('when S3 answers 412 PreconditionFailed or 409 ConditionalRequestConflict, then the write is refused (false), once, not retried as an error', async () => {
    for (const [name, code] of [['PreconditionFailed', 412], ['ConditionalRequestConflict', 409]] as const) {
      s3.reset();
      s3.on(PutObjectCommand).rejects(refusal(name, code));
      assert.equal(await blobs.putIfVersion('gallery/gallery.json', Buffer.from('{}'), '"old"'), false, name);
      assert.equal(s3.commandCalls(PutObjectCommand).length, 1, `${name} is not retried`);
    }
  });

  it('when S3 answers something else, then it is an error', async () => {
    s3.reset();
    s3.on(PutObjectCommand).rejects(refusal('AccessDenied', 403));
    await assert.rejects(blobs.putIfVersion('gallery/gallery.json', Buffer.from('{}'), '"old"'), /denied/);
  });
});
