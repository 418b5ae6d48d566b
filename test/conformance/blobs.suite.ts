/**
 * The Blobs port's conformance suite, run against every Blobs adapter (file system here; S3 on the
 * fauxqs emulator later). Keys are ours (`images/<id>`, `results/<id>.json`); metadata keys are
 * lower-case ASCII and values ASCII, as S3 requires. It never asserts the content type of an object
 * stored without one (S3 answers a default).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Blobs } from '../../adapters/ports.ts';
import { NotFoundError } from '../../machines/errors.ts';

export interface BlobsFixture {
  /** A fresh, empty store (its own bucket or folder). */
  blobs: Blobs;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A Readable that yields `bytes` in chunks of `size`, as an upload would arrive. */
function chunked(bytes: Buffer, size = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    })(),
  );
}

/**
 * Registers the suite under `name`; the factory is called once per case. `conditionalWrites: false`
 * leaves out the compare-and-swap cases for a backend that cannot run them (the S3 emulator ignores
 * If-Match / If-None-Match; the S3 adapter's requests are checked in test/unit/aws/s3ConditionalWrites.test.ts).
 */
export function blobsConformance(name: string, factory: () => Promise<BlobsFixture>, options: { conditionalWrites?: boolean } = {}): void {
  const given =
    (body: (blobs: Blobs) => Promise<void>) =>
    async (): Promise<void> => {
      const fixture = await factory();
      try {
        await body(fixture.blobs);
      } finally {
        await fixture.cleanup();
      }
    };

  describe(`Blobs conformance: ${name}`, () => {
    describe('given an empty store', () => {
      it('when bytes are put, then getBytes and get (a stream) return them', given(async (blobs) => {
        const bytes = randomBytes(1000);
        await blobs.put('images/job-1', bytes);
        assert.deepEqual(await blobs.getBytes('images/job-1'), bytes);
        assert.deepEqual(await readAll(await blobs.get('images/job-1')), bytes);
      }));

      it('when a stream is put with a content type and metadata, then head reports size, content type and metadata', given(async (blobs) => {
        const body = Buffer.from('{"faces":[]}');
        await blobs.put('results/job-2.json', Readable.from([body.subarray(0, 5), body.subarray(5)]), {
          contentType: 'application/json',
          metadata: { 'job-id': 'job-2', 'original-name': 'holiday.jpg' },
        });
        assert.deepEqual(await blobs.head('results/job-2.json'), {
          size: body.length,
          contentType: 'application/json',
          metadata: { 'job-id': 'job-2', 'original-name': 'holiday.jpg' },
        });
        assert.deepEqual(await blobs.getBytes('results/job-2.json'), body);
      }));

      it('when an empty body is put, then it reads back empty with size 0', given(async (blobs) => {
        await blobs.put('gallery/examples/empty', Buffer.alloc(0));
        assert.equal((await blobs.head('gallery/examples/empty'))?.size, 0);
        assert.equal((await blobs.getBytes('gallery/examples/empty')).length, 0);
      }));

      it('when an absent key is read, then get and getBytes throw NotFoundError and head answers undefined', given(async (blobs) => {
        await assert.rejects(blobs.get('images/missing'), NotFoundError);
        await assert.rejects(blobs.getBytes('images/missing'), NotFoundError);
        assert.equal(await blobs.head('images/missing'), undefined);
      }));

      it('when an absent key is deleted, then nothing happens', given(async (blobs) => {
        await blobs.delete('images/never-there');
        assert.equal(await blobs.head('images/never-there'), undefined);
      }));

      it('when 10 MB are streamed in, then they stream out unchanged', given(async (blobs) => {
        const bytes = randomBytes(10 * 1024 * 1024);
        await blobs.put('images/large', chunked(bytes), { contentType: 'image/jpeg' });
        assert.equal((await blobs.head('images/large'))?.size, bytes.length);
        const back = await readAll(await blobs.get('images/large'));
        assert.equal(back.length, bytes.length);
        assert.equal(sha256(back), sha256(bytes));
      }));
    });

    describe('given a stored object', () => {
      it('when it is put again, then the new bytes, content type and metadata replace the old (no merge)', given(async (blobs) => {
        await blobs.put('gallery/gallery.json', Buffer.from('old'), { contentType: 'text/plain', metadata: { version: '1', stale: 'yes' } });
        await blobs.put('gallery/gallery.json', Buffer.from('{"new":true}'), { contentType: 'application/json', metadata: { version: '2' } });
        assert.equal((await blobs.getBytes('gallery/gallery.json')).toString(), '{"new":true}');
        assert.deepEqual(await blobs.head('gallery/gallery.json'), { size: 12, contentType: 'application/json', metadata: { version: '2' } });
      }));

      it('when it is deleted, then it is gone: head undefined, get NotFoundError', given(async (blobs) => {
        await blobs.put('images/job-3', Buffer.from('jpeg'), { metadata: { a: 'b' } });
        await blobs.delete('images/job-3');
        assert.equal(await blobs.head('images/job-3'), undefined);
        await assert.rejects(blobs.getBytes('images/job-3'), NotFoundError);
        await assert.rejects(blobs.get('images/job-3'), NotFoundError);
      }));

      it('when a neighbouring key is written, then it is untouched', given(async (blobs) => {
        await blobs.put('results/job-4.json', Buffer.from('four'));
        await blobs.put('results/job-5.json', Buffer.from('five'));
        await blobs.delete('results/job-5.json');
        assert.equal((await blobs.getBytes('results/job-4.json')).toString(), 'four');
      }));
    });

    describe('given a document several writers update (compare-and-swap)', { skip: options.conditionalWrites === false ? 'the backend under test ignores conditional writes' : false }, () => {
      it('when it is created only if absent, then the first create wins and the second is refused', given(async (blobs) => {
        assert.equal(await blobs.getVersioned('gallery/cas-1.json'), undefined);
        assert.equal(await blobs.putIfVersion('gallery/cas-1.json', Buffer.from('one'), undefined, { contentType: 'application/json' }), true);
        assert.equal(await blobs.putIfVersion('gallery/cas-1.json', Buffer.from('two'), undefined), false);
        assert.equal((await blobs.getBytes('gallery/cas-1.json')).toString(), 'one');
      }));

      it('when two writers read the same version, then only the first write lands and the second must read again', given(async (blobs) => {
        await blobs.put('gallery/cas-2.json', Buffer.from('v1'));
        const a = await blobs.getVersioned('gallery/cas-2.json');
        const b = await blobs.getVersioned('gallery/cas-2.json');
        assert.ok(a && b);
        assert.equal(a.bytes.toString(), 'v1');
        assert.equal(await blobs.putIfVersion('gallery/cas-2.json', Buffer.from('v2 by a'), a.version), true);
        assert.equal(await blobs.putIfVersion('gallery/cas-2.json', Buffer.from('v2 by b'), b.version), false, 'b read a version that is gone');
        const again = await blobs.getVersioned('gallery/cas-2.json');
        assert.equal(again?.bytes.toString(), 'v2 by a');
        assert.notEqual(again?.version, b.version);
        assert.equal(await blobs.putIfVersion('gallery/cas-2.json', Buffer.from('v3 by b'), again!.version), true);
        assert.equal((await blobs.getBytes('gallery/cas-2.json')).toString(), 'v3 by b');
      }));
    });
  });
}
