/**
 * The file-system blobs: the shared conformance suite, then what only this adapter promises — key
 * checks, atomic writes that leave no temp files, plain files on disk.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createFsBlobs } from '../../adapters/embedded/fsBlobs.ts';
import type { Blobs } from '../../adapters/ports.ts';
import { NotFoundError } from '../../machines/errors.ts';
import { blobsConformance } from './blobs.suite.ts';

blobsConformance('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facefleet-blobs-'));
  return { blobs: createFsBlobs({ dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1)).sort();
}

describe('File-system blobs', () => {
  let dir = '';
  let blobs: Blobs;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'facefleet-blobs-'));
    blobs = createFsBlobs({ dir });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  describe('given keys that are not ours', () => {
    const bad = ['', '../etc/passwd', 'images/../../x', '/etc/passwd', 'images\\x', 'images//x', 'images/', 'images/./x', 'images/.hidden', 'images/a b', 'images/\u0000x', 'images/\nx', 'images/é', 'x'.repeat(1025)];
    for (const key of bad) {
      it(`when ${JSON.stringify(key.length > 40 ? `${key.slice(0, 10)}…` : key)} is used, then every operation throws`, async () => {
        await assert.rejects(blobs.put(key, Buffer.from('x')), /not a valid blob key/);
        await assert.rejects(blobs.get(key), /not a valid blob key/);
        await assert.rejects(blobs.getBytes(key), /not a valid blob key/);
        await assert.rejects(blobs.head(key), /not a valid blob key/);
        await assert.rejects(blobs.delete(key), /not a valid blob key/);
      });
    }
  });

  describe('given an object put under images/job-1', () => {
    it('when the folder is listed, then it holds the plain file, its sidecar and no temp file', async () => {
      await blobs.put('images/job-1', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
      assert.deepEqual(await allFiles(dir), ['.meta/images/job-1.json', 'images/job-1']);
      assert.equal(await readFile(join(dir, 'images/job-1'), 'utf8'), 'jpeg bytes');
    });

    it('when its folder "images" is read as a key, then it is not found', async () => {
      await assert.rejects(blobs.get('images'), NotFoundError);
      await assert.rejects(blobs.getBytes('images'), NotFoundError);
      assert.equal(await blobs.head('images'), undefined);
      await blobs.delete('images');
    });

    it('when a reader opened it before an overwrite, then the reader still gets the old bytes whole', async () => {
      const old = Buffer.alloc(256 * 1024, 1);
      await blobs.put('images/job-1', old);
      const reader = await blobs.get('images/job-1');
      await blobs.put('images/job-1', Buffer.alloc(1000, 2));
      const chunks: Buffer[] = [];
      for await (const chunk of reader) chunks.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(chunks), old);
      assert.deepEqual(await blobs.getBytes('images/job-1'), Buffer.alloc(1000, 2));
    });

    it('when an upload stream fails half way, then the old object stays and no temp file is left', async () => {
      await blobs.put('images/job-1', Buffer.from('kept'));
      const failing = Readable.from(
        (async function* () {
          yield Buffer.alloc(1024, 7);
          throw new Error('client went away');
        })(),
      );
      await assert.rejects(blobs.put('images/job-1', failing), /client went away/);
      assert.equal((await blobs.getBytes('images/job-1')).toString(), 'kept');
      assert.deepEqual((await allFiles(dir)).filter((f) => f.includes('.tmp-')), []);
    });
  });
});
