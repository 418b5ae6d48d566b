/** The image rules an upload is held to (model/imageCheck.ts), on bytes and on a file, as given/when/then. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { checkImageHeader, type ImageHeaderCheck } from '../../../model/imageCheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'facefleet-imagecheck-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The check on the bytes and on the same bytes in a file: both must agree. */
async function check(bytes: Buffer, maxPixels = 40_000_000): Promise<ImageHeaderCheck> {
  const path = join(dir, `image-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, bytes);
  const [inMemory, onDisk] = await Promise.all([
    checkImageHeader({ bytes, size: bytes.length }, { maxPixels }),
    checkImageHeader({ path, size: bytes.length }, { maxPixels }),
  ]);
  assert.deepEqual(inMemory, onDisk);
  return onDisk;
}

const image = (format: 'jpeg' | 'png' | 'webp', width = 64, height = 48) =>
  sharp({ create: { width, height, channels: 3, background: '#4080c0' } })[format]().toBuffer();

describe('given an image file', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    it(`when it is a whole ${format}, then ok with its format and size`, async () => {
      assert.deepEqual(await check(await image(format)), { ok: true, format, width: 64, height: 48 });
    });
    it(`when a ${format} is cut short, then truncated`, async () => {
      const bytes = await image(format, 400, 300);
      assert.deepEqual(await check(bytes.subarray(0, Math.floor(bytes.length * 0.6))), { ok: false, problem: 'truncated', format });
    });
  }

  it('when it has data after its end (a camera trailer), then ok', async () => {
    assert.equal((await check(Buffer.concat([await image('jpeg'), Buffer.from('trailer')]))).ok, true);
  });

  it('when it is a GIF, text or empty, then not an image', async () => {
    for (const bytes of [Buffer.from('GIF89a\x01\x00\x01\x00'), Buffer.from('name,label\n'), Buffer.alloc(0)]) {
      assert.deepEqual(await check(bytes), { ok: false, problem: 'not-an-image' });
    }
  });

  it('when only the magic bytes are right, then unreadable or truncated, never ok', async () => {
    const result = await check(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
    assert.equal(result.ok, false);
  });

  it('when it has more pixels than allowed, then too many pixels with its size (read from the header)', async () => {
    assert.deepEqual(await check(await image('png', 200, 100), 10_000), { ok: false, problem: 'too-many-pixels', format: 'png', width: 200, height: 100 });
  });
});
