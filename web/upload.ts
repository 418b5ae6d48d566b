/**
 * Multipart upload parsing (koa-body's formidable) with two guarantees:
 *  - only the expected file fields are written, and only up to the limits: another field, a file
 *    beyond `maxFiles`, or a body over `maxBytes` is refused without writing it;
 *  - every temp file this request wrote is removed when the handler finishes, whether it succeeded
 *    or threw (each write stream is closed first, so no late open can leave a file behind).
 * The route's handler runs inside `withUpload` and gets the files as `UploadFile`s.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import { discardBody } from './security.ts';
import { checkFileCount, PayloadTooLargeError, safeFileName, sniffImageType, UnsupportedMediaTypeError, ValidationError, type UploadFile } from '../services/api.ts';

export interface UploadSpec {
  /** The accepted file fields; the first is the one error messages name. */
  fields: readonly string[];
  maxFiles: number;
  /** Largest body, bytes. */
  maxBytes: number;
  /** Where temp files go (created when missing). */
  uploadDir: string;
}

export interface ParsedUpload {
  files: UploadFile[];
  /** The field the files came in. */
  field: string;
  /** The text fields (first value of each). */
  values: Record<string, string>;
}

const MAX_TEXT_FIELDS = 20;
const MAX_TEXT_BYTES = 64 * 1024;

/** The temp files of one request. */
class TempFiles {
  private closed = false;
  private readonly written: Array<{ path: string; stream: WriteStream }> = [];
  readonly paths = new Map<object, string>();
  /** The position of each file part in the request (formidable lists files as they finish writing). */
  readonly order = new Map<object, number>();
  constructor(private readonly dir: string) {}

  /** A write stream for one file part; a sink once the request is finished. */
  open(file: object): Writable {
    if (this.closed) return new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const path = join(this.dir, `upload-${randomUUID()}`);
    const stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.written.push({ path, stream });
    this.paths.set(file, path);
    this.order.set(file, this.order.size);
    return stream;
  }

  /** Closes every stream, then removes its file. Safe to call twice. */
  async removeAll(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.written.splice(0).map(async ({ path, stream }) => {
        if (!stream.closed) {
          const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
          stream.destroy();
          await closed;
        }
        await unlink(path).catch(() => undefined);
      }),
    );
  }
}

function fieldHint(spec: UploadSpec): string {
  return `the multipart field "${spec.fields[0]}"`;
}

/**
 * Parses the multipart body and runs `handle` with its files; removes the temp files afterwards.
 * Throws 415 when the body is not multipart/form-data, 413 when it is too large, 400 for a wrong
 * or missing field, too many files, or a malformed body.
 */
export async function withUpload<T>(ctx: Context, spec: UploadSpec, handle: (upload: ParsedUpload) => Promise<T>): Promise<T> {
  if (!ctx.is('multipart/form-data')) {
    throw new UnsupportedMediaTypeError(`Send the image as multipart/form-data in ${fieldHint(spec)}.`);
  }
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > spec.maxBytes) {
    refuseRest(ctx);
    throw new PayloadTooLargeError(`The request body is ${declared} bytes, more than the limit of ${spec.maxBytes} bytes.`);
  }
  // Every time: a temp cleaner may have removed the folder since the last request.
  await mkdir(spec.uploadDir, { recursive: true, mode: 0o700 });
  const temp = new TempFiles(spec.uploadDir);
  try {
    const upload = await parse(ctx, spec, temp);
    return await handle(upload);
  } finally {
    await temp.removeAll();
  }
}

async function parse(ctx: Context, spec: UploadSpec, temp: TempFiles): Promise<ParsedUpload> {
  let unexpected: string | undefined;
  let fileCount = 0;
  const parser = koaBody({
    multipart: true,
    json: false,
    urlencoded: false,
    text: false,
    patchNode: false,
    formidable: {
      maxFiles: Infinity, // counted in `filter`, so the extra file is never written
      maxFileSize: spec.maxBytes,
      maxTotalFileSize: spec.maxBytes,
      allowEmptyFiles: true, // an empty file is refused by its (missing) content, with a clearer message
      minFileSize: 0,
      maxFields: MAX_TEXT_FIELDS,
      maxFieldsSize: MAX_TEXT_BYTES,
      fileWriteStreamHandler: (file?: object) => temp.open(file ?? {}),
      filter: (part) => {
        if (!spec.fields.includes(part.name ?? '')) {
          unexpected ??= part.name ?? '';
          return false;
        }
        fileCount += 1;
        return fileCount <= spec.maxFiles;
      },
      // A file part sent without a Content-Type is still a file (formidable would read it as text).
      onPart: (part, handlePart) => {
        if (part.originalFilename !== null && !part.mimetype) part.mimetype = 'application/octet-stream';
        handlePart(part);
      },
    },
  });
  try {
    await parser(ctx, async () => undefined);
  } catch (error) {
    refuseRest(ctx);
    throw translate(error, spec);
  }
  if (unexpected !== undefined) {
    throw new ValidationError(`Send the image in ${fieldHint(spec)} (the request had a file in the field ${JSON.stringify(unexpected)}).`);
  }
  if (fileCount > spec.maxFiles) checkFileCount(fileCount, { maxFiles: spec.maxFiles }, spec.fields[0] ?? 'file');

  const files: UploadFile[] = [];
  const sent: Array<{ order: number; file: UploadFile }> = [];
  let field = spec.fields[0] ?? 'file';
  const received = ctx.request.files ?? {};
  for (const name of spec.fields) {
    const value = received[name];
    if (!value) continue;
    field = name;
    for (const file of Array.isArray(value) ? value : [value]) {
      const path = temp.paths.get(file);
      if (!path) continue;
      if (file.size === 0 && !file.originalFilename) continue; // a form's empty file input: no file chosen
      sent.push({ order: temp.order.get(file) ?? 0, file: { fileName: safeFileName(file.originalFilename), size: file.size, path } });
    }
  }
  // Jobs answer in the order the files were sent, not the order they finished uploading.
  for (const { file } of sent.sort((a, b) => a.order - b.order)) files.push(file);
  if (files.length === 0) throw new ValidationError(`Send the image as a file in ${fieldHint(spec)}.`);
  for (const file of files) await checkComplete(file);
  const values: Record<string, string> = {};
  const body = ctx.request.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') values[key] = first;
    }
  }
  return { files, field, values };
}

/** A window onto a file, so walking many small chunk headers does not read the disk each time. */
class FileWindow {
  private start = 0;
  private bytes = Buffer.alloc(0);
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** `n` bytes at `at`, or fewer at the end of the file. */
  async read(at: number, n: number): Promise<Buffer> {
    if (at < this.start || at + n > this.start + this.bytes.length) {
      const buffer = Buffer.alloc(Math.max(n, 64 * 1024));
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, at);
      this.start = at;
      this.bytes = buffer.subarray(0, bytesRead);
    }
    return this.bytes.subarray(at - this.start, at - this.start + n);
  }
}

/**
 * Whether a JPEG, PNG or WebP file is whole: the JPEG's segments lead to image data that reaches an
 * end-of-image marker, the PNG's chunks reach IEND, the WebP holds the size its RIFF header declares.
 * Data after the end (camera trailers) is fine. Only the structure is read, nothing is decoded;
 * anything else is 'unknown' and left to the content check.
 */
async function wholeness(window: FileWindow): Promise<'whole' | 'truncated' | 'unknown'> {
  const head = await window.read(0, 12);
  const type = sniffImageType(head);
  if (type === 'image/jpeg') {
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
  if (type === 'image/png') {
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
  if (type === 'image/webp') {
    return window.size >= 8 + head.readUInt32LE(4) ? 'whole' : 'truncated';
  }
  return 'unknown';
}

/** Refuses (400) an image that arrived cut short, before anything is stored or queued for it. */
async function checkComplete(file: UploadFile): Promise<void> {
  if (!file.path || file.size === 0) return;
  const handle = await open(file.path, 'r');
  try {
    if ((await wholeness(new FileWindow(handle, file.size))) === 'truncated') {
      throw new ValidationError(`The file ${JSON.stringify(file.fileName)} is not a readable image: its data ends early (a truncated upload?).`);
    }
  } finally {
    await handle.close();
  }
}

/** formidable's errors (numeric codes) as our 4xx errors. */
function translate(error: unknown, spec: UploadSpec): Error {
  const e = error as { httpCode?: number; code?: unknown; message?: string };
  const tooLarge = e.code === 1009 || e.code === 1016 || e.httpCode === 413;
  if (tooLarge) {
    if (e.code === 1006 || e.code === 1007) return new PayloadTooLargeError('The request has too many or too large text fields.');
    return new PayloadTooLargeError(`The request body is larger than the limit of ${spec.maxBytes} bytes.`);
  }
  if (e.code === 1002) return new ValidationError('The upload was aborted before it was complete.');
  if (typeof e.code === 'number') return new ValidationError(`The multipart body could not be parsed; send the image in ${fieldHint(spec)}.`);
  return error instanceof Error ? error : new Error(String(error));
}

/** After refusing a body we have not read: drop the rest as it arrives, so the client still sending it reads the answer. */
function refuseRest(ctx: Context): void {
  discardBody(ctx);
}
