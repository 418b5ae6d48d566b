/**
 * Decoding the uploaded bytes into an RGB pixel buffer with sharp: validate first (format sniffed
 * from the magic bytes, dimensions read from the header before any pixel is decoded), then orient
 * (EXIF), optionally shrink on load, drop alpha, and hand back 8-bit RGB.
 *
 * Shrink-on-load: a photo whose longest side is above `maxSide` (default 2048) is resized to fit
 * inside `maxSide`×`maxSide` with sharp's `fastShrinkOnLoad` (libjpeg DCT scaling, then a Lanczos
 * resize). This bounds memory and time for phone-camera photos, but it feeds the networks different
 * pixels than the reference (face-api on the full image) would see, so results on such images are
 * close to, not equal to, the reference's. Boxes and landmarks are mapped back to the original
 * (oriented) pixel coordinates by the pipeline. Images at or below `maxSide` are decoded as they are.
 */
import sharp from 'sharp';
import { ImageTooLarge, InvalidImage } from './errors.ts';

// libvips' operation cache holds decoded images between calls; a worker never reuses them.
sharp.cache(false);

/** The formats we accept, as sharp names them. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface DecodeOptions {
  /** Refuse images with more pixels than this (width × height, from the header). Default 40 MP. */
  maxPixels?: number;
  /** Shrink images whose longest side exceeds this; 0 disables. Default 2048. */
  maxSide?: number;
  /**
   * Enlarge (Lanczos) images whose longest side is below this; 0 (the default here) disables. The
   * model's pipeline enlarges small photos to `SMALL_PHOTO_SIDE`: its nets then crop faces from
   * sharper pixels than their own bilinear resize would give (measured: more 32×32 faces found).
   */
  minSide?: number;
}

/** An oriented 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  format: ImageFormat;
  /** The oriented size before any shrink-on-load. */
  originalWidth: number;
  originalHeight: number;
  /** originalWidth / width (1 when not shrunk). Multiply decoded coordinates by it. */
  scale: number;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;
export const DEFAULT_MAX_SIDE = 2048;
export const SMALL_PHOTO_SIDE = 160;

/** Sniffs the container format from the first bytes; undefined when it is none we accept. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/**
 * Decodes `bytes` to oriented RGB. Throws `InvalidImage` (empty, unsupported format, corrupt or
 * truncated) or `ImageTooLarge` (over `maxPixels`, checked on the header before decoding, so a
 * decompression bomb is refused without allocating its pixels). Never throws anything else for
 * bad input.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  const minSide = options.minSide ?? 0;
  if (bytes.length === 0) throw new InvalidImage('The image is empty (0 bytes).');
  const format = sniffFormat(bytes);
  if (!format) throw new InvalidImage('The file is not a JPEG, PNG or WebP image.');

  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sharpOptions = { failOn: 'truncated', limitInputPixels: maxPixels, sequentialRead: true } as const;

  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(input, { ...sharpOptions, limitInputPixels: false }).metadata();
  } catch (error) {
    throw new InvalidImage(`The ${format.toUpperCase()} image could not be read.`, { cause: error });
  }
  if (meta.format !== format) throw new InvalidImage('The file is not a JPEG, PNG or WebP image.');
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new InvalidImage('The image has no pixels.');
  if (width * height > maxPixels) {
    throw new ImageTooLarge(`The image is ${width}×${height} pixels, over the limit of ${Math.round(maxPixels / 1e6)} megapixels.`);
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const originalWidth = rotated ? height : width;
  const originalHeight = rotated ? width : height;

  let pipeline = sharp(input, sharpOptions).rotate();
  if (maxSide > 0 && Math.max(originalWidth, originalHeight) > maxSide) {
    pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', fastShrinkOnLoad: true });
  } else if (minSide > 0 && Math.max(originalWidth, originalHeight) < minSide) {
    pipeline = pipeline.resize({ width: minSide, height: minSide, fit: 'inside', kernel: 'lanczos3' });
  }
  try {
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .timeout({ seconds: 30 })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new InvalidImage(`The image decoded to ${info.channels} channels instead of 3.`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      format,
      originalWidth,
      originalHeight,
      scale: originalWidth / info.width,
    };
  } catch (error) {
    if (error instanceof InvalidImage) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new ImageTooLarge(`The image is over the limit of ${Math.round(maxPixels / 1e6)} megapixels.`, { cause: error });
    }
    if (/premature end|truncat|end of file|unexpected end/i.test(message)) {
      throw new InvalidImage(`The ${format.toUpperCase()} image is truncated.`, { cause: error });
    }
    throw new InvalidImage(`The ${format.toUpperCase()} image is corrupt and could not be decoded.`, { cause: error });
  }
}
