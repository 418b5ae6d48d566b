/**
 * Multipart upload parsing (koa-body's formidable) with two guarantees:
 *  - only the expected file fields are written, and only up to the limits: another field, a file
 *    beyond `maxFiles`, or a body over `maxBytes` is refused without writing it;
 *  - every temp file this request wrote is removed when the handler finishes, whether it succeeded
 *    or threw (each write stream is closed first, so no late open can leave a file behind).
 * The route's handler runs inside `withUpload` and gets the files as `UploadFile`s. Only the stream
 * is limited here: what a file holds (type, wholeness, pixels) is the service's check, by the
 * model's image rules (model/imageCheck.ts).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import { boundaryOf, guardMultipart, MultipartLimitError } from './multipartGuard.ts';
import { discardBody } from './security.ts';
import { checkFileCount, PayloadTooLargeError, safeFileName, UnsupportedMediaTypeError, ValidationError, type UploadFile } from '../services/api.ts';

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
  /** The field the files came in (the last of the spec's fields that had one). */
  field: string;
  /** The files by the field they came in, in the order they were sent. */
  byField: Record<string, UploadFile[]>;
  /** The text fields (first value of each). */
  values: Record<string, string>;
}

const MAX_TEXT_FIELDS = 20;
/** The header block of one part (Content-Disposition with its file name, Content-Type…). */
export const MAX_PART_HEADER_BYTES = 16 * 1024;
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
  await ensurePrivateDir(spec.uploadDir);
  const temp = new TempFiles(spec.uploadDir);
  try {
    const upload = await parse(ctx, spec, temp);
    return await handle(upload);
  } finally {
    await temp.removeAll();
  }
}

/**
 * Makes `dir` (0700) if missing and makes sure it is ours alone: a real folder (not a link someone
 * planted), owned by this user, open to nobody else. Uploads are written there before they are checked.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new Error('the upload folder is not a folder (a link or a file is in its place)');
  if (process.getuid && info.uid !== process.getuid()) throw new Error('the upload folder belongs to another user');
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
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
  // formidable reads a guarded copy of the body: every byte counted, part headers bounded.
  const req = ctx.req;
  const guard = guardMultipart({ boundary: boundaryOf(ctx.get('content-type')), maxBodyBytes: spec.maxBytes, maxHeaderBytes: MAX_PART_HEADER_BYTES });
  req.pipe(guard);
  // A client that goes away mid-body must end formidable's wait too (pipe does not pass that on).
  const onGone = (): void => {
    if (!req.complete) guard.destroy(Object.assign(new Error('The upload was aborted before it was complete.'), { code: 1002 }));
  };
  req.once('close', onGone);
  req.once('error', onGone);
  ctx.req = Object.assign(guard, { headers: req.headers }) as unknown as typeof req;
  try {
    await parser(ctx, async () => undefined);
  } catch (error) {
    req.unpipe(guard);
    ctx.req = req;
    refuseRest(ctx);
    throw translate(error, spec);
  } finally {
    ctx.req = req;
    req.off('close', onGone);
    req.off('error', onGone);
  }
  if (unexpected !== undefined) {
    throw new ValidationError(`Send the image in ${fieldHint(spec)} (the request had a file in the field ${JSON.stringify(unexpected)}).`);
  }
  if (fileCount > spec.maxFiles) checkFileCount(fileCount, { maxFiles: spec.maxFiles }, spec.fields[0] ?? 'file');

  const files: UploadFile[] = [];
  const sent: Array<{ order: number; file: UploadFile; name: string }> = [];
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
      sent.push({ order: temp.order.get(file) ?? 0, name, file: { fileName: safeFileName(file.originalFilename), size: file.size, path } });
    }
  }
  // Jobs answer in the order the files were sent, not the order they finished uploading.
  const byField: Record<string, UploadFile[]> = {};
  for (const { file, name } of sent.sort((a, b) => a.order - b.order)) {
    files.push(file);
    (byField[name] ??= []).push(file);
  }
  if (files.length === 0) throw new ValidationError(`Send the image as a file in ${fieldHint(spec)}.`);
  const values: Record<string, string> = {};
  const body = ctx.request.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') values[key] = first;
    }
  }
  return { files, field, byField, values };
}

/** formidable's errors (numeric codes) as our 4xx errors. */
function translate(error: unknown, spec: UploadSpec): Error {
  if (error instanceof MultipartLimitError) {
    return error.limit === 'body' ? new PayloadTooLargeError(error.message) : new ValidationError(`${error.message} Send the file with a shorter name.`);
  }
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
