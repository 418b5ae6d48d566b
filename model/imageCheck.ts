/**
 * The image rules an upload is held to before anything is stored or queued for it, read from the
 * file without decoding a pixel: the type from the magic bytes (JPEG, PNG or WebP — a name or a
 * declared content type is never trusted), the file whole (not cut short), and sharp's header-only
 * metadata for the size in pixels. The outcome is a value; the caller says it in its own words
 * (services/uploads turns it into its 400/413/415 errors).
 */
import { open, type FileHandle } from 'node:fs/promises';
import sharp from 'sharp';
import { sniffFormat, type ImageFormat } from './image.ts';

/** An image file on disk (`path`) or in memory (`bytes`). */
export interface ImageSource {
  path?: string;
  bytes?: Uint8Array;
  /** Its length in bytes. */
  size: number;
}

/** What the header check found. */
export type ImageHeaderCheck =
  | { ok: true; format: ImageFormat; width: number; height: number }
  /** The first bytes are not a JPEG, PNG or WebP. */
  | { ok: false; problem: 'not-an-image' }
  /** The structure ends before the image does (a truncated upload). */
  | { ok: false; problem: 'truncated'; format: ImageFormat }
  /** sharp cannot read the header, or it disagrees with the magic bytes, or it has no pixels. */
  | { ok: false; problem: 'unreadable'; format: ImageFormat }
  /** width × height is over `maxPixels` (a decompression bomb is refused here, undecoded). */
  | { ok: false; problem: 'too-many-pixels'; format: ImageFormat; width: number; height: number };

const SNIFF_BYTES = 12;

/**
 * Checks `source` against the image rules, reading only its structure and header: first the type
 * (magic bytes), then that it is whole, then the pixel count from the header. Never decodes pixels;
 * never throws for bad input (only for an unreadable path).
 */
export async function checkImageHeader(source: ImageSource, limits: { maxPixels: number }): Promise<ImageHeaderCheck> {
  const window = await openWindow(source);
  let format: ImageFormat | undefined;
  try {
    format = sniffFormat(await window.read(0, SNIFF_BYTES));
    if (!format) return { ok: false, problem: 'not-an-image' };
    if ((await wholeness(window, format)) === 'truncated') return { ok: false, problem: 'truncated', format };
  } finally {
    await window.close();
  }
  let meta: { width?: number | undefined; height?: number | undefined; format?: string | undefined };
  try {
    const input = source.bytes ? Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength) : source.path;
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, problem: 'unreadable', format };
  }
  const { width, height } = meta;
  if (!width || !height || meta.format !== format) return { ok: false, problem: 'unreadable', format };
  if (width * height > limits.maxPixels) return { ok: false, problem: 'too-many-pixels', format, width, height };
  return { ok: true, format, width, height };
}

/** A window onto a file or buffer, so walking many small chunk headers does not read the disk each time. */
interface ByteWindow {
  readonly size: number;
  /** `n` bytes at `at`, or fewer at the end. */
  read(at: number, n: number): Promise<Buffer>;
  close(): Promise<void>;
}

async function openWindow(source: ImageSource): Promise<ByteWindow> {
  if (source.bytes) {
    const bytes = Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
    return { size: bytes.length, read: async (at, n) => bytes.subarray(at, at + n), close: async () => undefined };
  }
  if (!source.path) throw new Error('an image source needs a path or bytes');
  const handle: FileHandle = await open(source.path, 'r');
  let start = 0;
  let bytes = Buffer.alloc(0);
  return {
    size: source.size,
    async read(at, n) {
      if (at < start || at + n > start + bytes.length) {
        const buffer = Buffer.alloc(Math.max(n, 64 * 1024));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
        start = at;
        bytes = buffer.subarray(0, bytesRead);
      }
      return bytes.subarray(at - start, at - start + n);
    },
    close: () => handle.close(),
  };
}

/**
 * Whether a JPEG, PNG or WebP is whole: the JPEG's segments lead to image data that reaches an
 * end-of-image marker, the PNG's chunks reach IEND, the WebP holds the size its RIFF header declares.
 * Data after the end (camera trailers) is fine. Only the structure is read, nothing is decoded;
 * a structure we cannot follow is 'unknown' and left to the header read.
 */
async function wholeness(window: ByteWindow, format: ImageFormat): Promise<'whole' | 'truncated' | 'unknown'> {
  if (window.size === 0) return 'unknown';
  switch (format) {
    case 'jpeg': {
      let at = 2;
      for (let segments = 0; segments < 10_000; segments++) {
        const marker = await window.read(at, 4);
        if (marker.length < 2) return 'truncated';
        if (marker[0] !== 0xff) return 'unknown';
        const type = marker[1] ?? 0;
        if (type === 0xff) at += 1; // fill byte
        else if (type === 0x01 || (type >= 0xd0 && type <= 0xd7)) at += 2;
        else if (type === 0xd9) return 'whole';
        else if (marker.length < 4) return 'truncated';
        else if (type === 0xda) {
          for (let from = at + 2; from < window.size; from += 64 * 1024 - 1) {
            if ((await window.read(from, 64 * 1024)).indexOf(Buffer.from([0xff, 0xd9])) >= 0) return 'whole';
          }
          return 'truncated';
        } else at += 2 + marker.readUInt16BE(2);
        if (at >= window.size) return 'truncated';
      }
      return 'unknown';
    }
    case 'png': {
      let at = 8;
      for (let chunks = 0; chunks < 2_000_000; chunks++) {
        const chunk = await window.read(at, 8);
        if (chunk.length < 8) return 'truncated';
        const end = at + 12 + chunk.readUInt32BE(0);
        if (end > window.size) return 'truncated';
        if (chunk.toString('latin1', 4, 8) === 'IEND') return 'whole';
        at = end;
      }
      return 'unknown';
    }
    case 'webp':
      return window.size >= 8 + (await window.read(0, 8)).readUInt32LE(4) ? 'whole' : 'truncated';
    default: {
      const never: never = format;
      return never;
    }
  }
}
