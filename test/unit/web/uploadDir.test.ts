/**
 * Uploads are written to a folder of this process alone before they are checked: by default a
 * fresh mkdtemp folder per app (0700); a configured folder is made private (0700) and refused when
 * a link or a file has been planted in its place.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createApp } from '../../../web/app.ts';
import { ensurePrivateDir } from '../../../web/upload.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { form, leftovers, sampleImage, startBench } from './webHarness.ts';

const dir = makeTempDir('upload-dir');
after(() => dir.cleanup());

describe('given no configured upload folder', () => {
  it('when two apps are built, then each has made its own folder under the temp dir, open to nobody else', async () => {
    const bench = await startBench();
    const saved = process.env.TMPDIR;
    const temp = dir.file('tmp');
    mkdirSync(temp);
    try {
      process.env.TMPDIR = temp; // os.tmpdir() reads it on each call
      createApp(bench.services);
      createApp(bench.services);
      const made = readdirSync(temp);
      assert.equal(made.length, 2);
      for (const name of made) {
        assert.match(name, /^facefleet-uploads-/);
        assert.equal(statSync(join(temp, name)).mode & 0o777, 0o700, name);
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await bench.close();
    }
  });
});

describe('given a configured upload folder', () => {
  it('when it exists open to everyone (0777), then an upload makes it 0700 and still succeeds', async () => {
    const uploads = dir.file('open');
    mkdirSync(uploads);
    chmodSync(uploads, 0o777);
    const bench = await startBench({ app: { uploadDir: uploads } });
    try {
      const response = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'a.jpg', bytes: await sampleImage('jpeg') }]) });
      assert.equal(response.status, 202);
      assert.equal(statSync(uploads).mode & 0o777, 0o700);
    } finally {
      await bench.close();
    }
  });

  it('when a link has been planted in its place, then the upload fails with a 500 that names no path, and nothing is written', async () => {
    const target = dir.file('elsewhere');
    mkdirSync(target);
    const planted = dir.file('planted');
    symlinkSync(target, planted);
    const bench = await startBench({ app: { uploadDir: planted } });
    try {
      const response = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'a.jpg', bytes: await sampleImage('jpeg') }]) });
      assert.equal(response.status, 500);
      assert.doesNotMatch(await response.text(), /planted|elsewhere|\/tmp/);
      assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
    } finally {
      await bench.close();
    }
  });

  it('when the folder is missing, then it is made 0700', async () => {
    const fresh = dir.file('a', 'b');
    await ensurePrivateDir(fresh);
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
  });
});
