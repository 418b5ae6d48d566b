/**
 * Limits a multipart body while it streams, before the multipart parser (formidable) sees it:
 * formidable counts only file bytes, and keeps a part's header lines in memory however long they
 * are — a part header holding a 300 MB file name took the web tier from 128 MB to 773 MB. Here
 * every byte of the body counts against `maxBodyBytes` (chunked or not, expected field or not),
 * and the header block of each part against `maxHeaderBytes`; past either the stream fails with a
 * `MultipartLimitError` and nothing more is read into memory.
 */
import { Transform, type TransformCallback } from 'node:stream';

export class MultipartLimitError extends Error {
  override name = 'MultipartLimitError';
  constructor(
    readonly limit: 'body' | 'part-headers',
    message: string,
  ) {
    super(message);
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * A transform that passes the body through unchanged and fails when it breaks a limit. `boundary`
 * is the one from the Content-Type; without it only the body size is limited.
 */
export function guardMultipart(options: { boundary: string | undefined; maxBodyBytes: number; maxHeaderBytes: number }): Transform {
  const delimiter = options.boundary ? Buffer.from(`\r\n--${options.boundary}`) : undefined;
  let total = 0;
  let inHeaders = false;
  let headerBytes = 0;
  // The bytes not yet scanned for good: a delimiter or a blank line may straddle two chunks. The
  // first delimiter has no CRLF before it, so scanning starts as if one had been seen.
  let carry: Buffer = Buffer.from('\r\n');

  const scan = (data: Buffer): MultipartLimitError | undefined => {
    if (!delimiter) return undefined;
    let at = 0;
    for (;;) {
      if (inHeaders) {
        const end = data.indexOf(CRLF2, at);
        const seen = (end < 0 ? data.length : end) - at;
        if (headerBytes + seen > options.maxHeaderBytes) {
          return new MultipartLimitError('part-headers', `A part's headers are longer than ${options.maxHeaderBytes} bytes.`);
        }
        if (end < 0) {
          headerBytes += Math.max(0, data.length - at - (CRLF2.length - 1));
          carry = data.subarray(Math.max(at, data.length - (CRLF2.length - 1)));
          return undefined;
        }
        inHeaders = false;
        at = end + CRLF2.length;
      } else {
        const found = data.indexOf(delimiter, at);
        if (found < 0) {
          carry = data.subarray(Math.max(at, data.length - (delimiter.length - 1)));
          return undefined;
        }
        inHeaders = true;
        headerBytes = 0;
        at = found + delimiter.length;
      }
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      total += chunk.length;
      if (total > options.maxBodyBytes) {
        callback(new MultipartLimitError('body', `The request body is larger than the limit of ${options.maxBodyBytes} bytes.`));
        return;
      }
      const failed = scan(Buffer.concat([carry, chunk]));
      if (failed) callback(failed);
      else callback(null, chunk);
    },
  });
}

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}
