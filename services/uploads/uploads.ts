/**
 * What every upload route shares: the limits, the closed set of upload errors, and checking an
 * uploaded file by its content — magic bytes for the type (JPEG, PNG or WebP; the client's content
 * type and extension are never trusted) and sharp's header-only metadata for the pixel count.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts';

export interface UploadLimits {
  /** Largest request body, bytes (default 15 MB). */
  maxUploadBytes: number;
  /** Most files in one request. */
  maxFiles: number;
  /** Largest image, width × height. */
  maxPixels: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxUploadBytes: 15 * 1024 * 1024,
  maxFiles: 20,
  maxPixels: 40_000_000,
};

export type ImageContentType = 'image/jpeg' | 'image/png' | 'image/webp';

/** A file received by the web tier: in a temp file (`path`) or in memory (`bytes`). */
export interface UploadFile {
  /** The client's file name: metadata only, never a path or a key. */
  fileName: string;
  size: number;
  path?: string;
  bytes?: Buffer;
}

/** An upload whose content was checked. */
export interface CheckedImage extends UploadFile {
  contentType: ImageContentType;
  width: number;
  height: number;
}

const SNIFF_BYTES = 12;

/** The image type from the first bytes; undefined when they are not JPEG, PNG or WebP. */
export function sniffImageType(head: Uint8Array): ImageContentType | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length >= 8 && png.every((b, i) => head[i] === b)) return 'image/png';
  const ascii = (from: number, to: number) => Buffer.from(head.subarray(from, to)).toString('latin1');
  if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/**
 * The client's file name reduced to something safe to show and store as metadata: the last path
 * segment, without control characters, at most 255 characters; `upload` when nothing is left.
 */
export function safeFileName(name: string | null | undefined): string {
  const last = (name ?? '').split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = last.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? 'upload' : clean;
}

/** The file name without its last extension (`photo.v2.jpg` → `photo.v2`). */
export function baseName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

async function readHead(file: UploadFile): Promise<Buffer> {
  if (file.bytes) return file.bytes.subarray(0, SNIFF_BYTES);
  if (!file.path) throw new Error('an upload needs a path or bytes');
  const handle = await open(file.path, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const sharpFormat: Record<ImageContentType, string> = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp' };

/**
 * Checks one upload by content: throws UnsupportedMediaTypeError (415) when it is not a JPEG, PNG or
 * WebP (whatever its name or declared type), ValidationError (400) when its header cannot be read,
 * PayloadTooLargeError (413) when it is larger than the limits. Reads only the header.
 */
export async function checkImage(file: UploadFile, limits: UploadLimits): Promise<CheckedImage> {
  const name = JSON.stringify(file.fileName);
  if (file.size > limits.maxUploadBytes) {
    throw new PayloadTooLargeError(`The file ${name} is larger than the limit of ${limits.maxUploadBytes} bytes.`);
  }
  const contentType = sniffImageType(await readHead(file));
  if (!contentType) throw new UnsupportedMediaTypeError(`The file ${name} is not a JPEG, PNG or WebP image.`);
  let width: number | undefined;
  let height: number | undefined;
  let format: string | undefined;
  try {
    const meta = await sharp(file.bytes ?? file.path, { limitInputPixels: false }).metadata();
    ({ width, height, format } = meta);
  } catch {
    throw new ValidationError(`The file ${name} is not a readable image.`);
  }
  if (!width || !height || format !== sharpFormat[contentType]) throw new ValidationError(`The file ${name} is not a readable image.`);
  if (width * height > limits.maxPixels) {
    throw new PayloadTooLargeError(
      `The image ${name} has ${width}×${height} pixels, more than the limit of ${limits.maxPixels}.`,
      'image-too-large',
    );
  }
  return { ...file, contentType, width, height };
}

/** Refuses an empty list or more files than allowed (400). */
export function checkFileCount(count: number, limits: Pick<UploadLimits, 'maxFiles'>, field: string): void {
  if (count === 0) throw new ValidationError(`Send at least one image in the multipart field "${field}".`);
  if (count > limits.maxFiles) throw new ValidationError(`Send at most ${limits.maxFiles} files per request (got ${count}).`);
}

/** The upload's bytes as a stream (temp file) or a buffer (in memory), for a blob put. */
export function uploadBody(file: UploadFile): Buffer | Readable {
  if (file.bytes) return file.bytes;
  if (!file.path) throw new Error('an upload needs a path or bytes');
  return createReadStream(file.path);
}

/** The upload's bytes in memory (for the model). */
export async function uploadBytes(file: UploadFile): Promise<Buffer> {
  if (file.bytes) return file.bytes;
  if (!file.path) throw new Error('an upload needs a path or bytes');
  return readFile(file.path);
}
