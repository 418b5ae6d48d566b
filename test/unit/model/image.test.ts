import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { crc32, createDeflate } from 'node:zlib';
import sharp from 'sharp';
import { decodeImage, sniffFormat } from '../../../model/image.ts';
import { ImageTooLarge, InvalidImage } from '../../../model/errors.ts';

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** A real PNG whose header says width×height greyscale, with every row zero: tiny on disk, huge decoded. */
async function pngBomb(width: number, height: number): Promise<Buffer> {
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const row = Buffer.alloc(width + 1); // filter byte 0 + zero pixels
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

async function rejects(bytes: Uint8Array, kind: typeof InvalidImage | typeof ImageTooLarge, code: string): Promise<void> {
  await assert.rejects(decodeImage(bytes), (error: unknown) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, /^[A-Z].*\.$/, 'one clear sentence');
    return true;
  });
}

describe('given bytes that are not an image we accept', () => {
  it('when they are empty, then InvalidImage', async () => {
    await rejects(new Uint8Array(), InvalidImage, 'invalid-image');
  });

  it('when they are text, then InvalidImage', async () => {
    await rejects(Buffer.from('name,label\nalice,bob\n'), InvalidImage, 'invalid-image');
  });

  it('when they are an SVG, then InvalidImage (SVG is refused even though sharp could render it)', async () => {
    await rejects(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'), InvalidImage, 'invalid-image');
  });

  it('when they are a GIF, then InvalidImage', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).gif().toBuffer();
    assert.equal(sniffFormat(gif), undefined);
    await rejects(gif, InvalidImage, 'invalid-image');
  });

  it('when a JPEG is truncated, then InvalidImage saying so', async () => {
    const jpeg = await readFile(join(demoDir, 'sample1.jpg'));
    await rejects(jpeg.subarray(0, Math.floor(jpeg.length / 2)), InvalidImage, 'invalid-image');
    await assert.rejects(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))), /truncated/);
  });

  it('when a PNG is cut short, then InvalidImage', async () => {
    const png = await sharp(await readFile(join(demoDir, 'sample1.jpg'))).png().toBuffer();
    await rejects(png.subarray(0, 20_000), InvalidImage, 'invalid-image');
  });

  it('when only the magic bytes are right, then InvalidImage', async () => {
    await rejects(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]), InvalidImage, 'invalid-image');
  });
});

describe('given an image over the pixel limit', () => {
  it('when it is a plain large JPEG, then ImageTooLarge', async () => {
    const big = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#888' } }).jpeg().toBuffer();
    await rejects(big, ImageTooLarge, 'image-too-large');
  });

  it('when a lower limit is configured, then it applies', async () => {
    const small = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#888' } }).png().toBuffer();
    await assert.rejects(decodeImage(small, { maxPixels: 10_000 }), ImageTooLarge);
    assert.equal((await decodeImage(small, { maxPixels: 20_000 })).width, 200);
  });

  it('when it is a 20000×20000 PNG decompression bomb, then ImageTooLarge without decoding it, and RSS stays bounded', async () => {
    const bomb = await pngBomb(20_000, 20_000);
    assert.ok(bomb.length < 2_000_000, `the bomb is small on disk (${bomb.length} B)`);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 5; i++) await rejects(bomb, ImageTooLarge, 'image-too-large');
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 50_000_000, `RSS grew by ${Math.round(grown / 1e6)} MB`);
  });
});

describe('given a valid image', () => {
  it('when it is a JPEG, then RGB bytes of its size', async () => {
    const image = await decodeImage(await readFile(join(demoDir, 'sample1.jpg')));
    assert.equal(image.format, 'jpeg');
    assert.equal(image.data.length, image.width * image.height * 3);
    assert.equal(image.scale, 1);
  });

  it('when it is a greyscale PNG or an RGBA WebP, then 3-channel RGB', async () => {
    const grey = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#404040' } }).greyscale().png().toBuffer();
    const rgba = await sharp({ create: { width: 30, height: 20, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).webp({ lossless: true }).toBuffer();
    for (const bytes of [grey, rgba]) {
      const image = await decodeImage(bytes);
      assert.equal(image.data.length, 30 * 20 * 3);
    }
  });

  it('when its EXIF orientation says rotate 90°, then it is decoded upright', async () => {
    const landscape = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#888' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await decodeImage(landscape);
    assert.deepEqual([image.width, image.height, image.originalWidth, image.originalHeight], [20, 40, 20, 40]);
  });

  it('when its longest side is above maxSide, then it is shrunk on load and the scale reported', async () => {
    const large = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: '#888' } }).jpeg().toBuffer();
    const image = await decodeImage(large);
    assert.deepEqual([image.width, image.height], [2048, 1024]);
    assert.deepEqual([image.originalWidth, image.originalHeight], [3000, 1500]);
    assert.ok(Math.abs(image.scale - 3000 / 2048) < 1e-9);
  });
});
