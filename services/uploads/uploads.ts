/**
 * What every upload route shares: the limits, the file-count rule, safe file names, and checking an
 * uploaded file by its content against the model's image rules (model/imageCheck.ts: type by magic
 * bytes, whole, pixel count from the header), said as the services' 400/413/415 errors.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { checkImageHeader } from '../../model/imageCheck.ts';
import { DEFAULT_MAX_PIXELS, type ImageFormat } from '../../model/image.ts';
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
  maxPixels: DEFAULT_MAX_PIXELS,
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

const contentTypes: Record<ImageFormat, ImageContentType> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/**
 * Checks one upload by content against the model's image rules (model/imageCheck.ts): throws
 * UnsupportedMediaTypeError (415) when it is not a JPEG, PNG or WebP (whatever its name or declared
 * type), ValidationError (400) when it is cut short or its header cannot be read,
 * PayloadTooLargeError (413) when it is larger than the limits. Reads only the structure and header.
 */
export async function checkImage(file: UploadFile, limits: UploadLimits): Promise<CheckedImage> {
  const name = JSON.stringify(file.fileName);
  if (file.size > limits.maxUploadBytes) {
    throw new PayloadTooLargeError(`The file ${name} is larger than the limit of ${limits.maxUploadBytes} bytes.`);
  }
  const check = await checkImageHeader(file, limits);
  if (check.ok) return { ...file, contentType: contentTypes[check.format], width: check.width, height: check.height };
  switch (check.problem) {
    case 'not-an-image':
      throw new UnsupportedMediaTypeError(`The file ${name} is not a JPEG, PNG or WebP image.`);
    case 'truncated':
      throw new ValidationError(`The file ${name} is not a readable image: its data ends early (a truncated upload?).`);
    case 'unreadable':
      throw new ValidationError(`The file ${name} is not a readable image.`);
    case 'too-many-pixels':
      throw new PayloadTooLargeError(
        `The image ${name} has ${check.width}×${check.height} pixels, more than the limit of ${limits.maxPixels}.`,
        'image-too-large',
      );
    default: {
      const never: never = check;
      throw new Error(`unexpected image check ${JSON.stringify(never)}`);
    }
  }
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
