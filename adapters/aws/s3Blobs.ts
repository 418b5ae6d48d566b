/**
 * The Blobs port on one S3 bucket (keys are ours, optionally under a prefix). A Buffer is one
 * PutObject; a stream of unknown length is read in parts: if it ends within the first part it is
 * one PutObject, otherwise a multipart upload (aborted on any failure, so no half object is ever
 * visible — S3 makes an object visible only when its upload completes).
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Readable as NodeReadable } from 'node:stream';
import { NotFoundError } from '../../machines/errors.ts';
import type { BlobInfo, Blobs } from '../ports.ts';
import { callAws, hasCode, type RetryOptions } from './awsErrors.ts';

export interface S3BlobsOptions {
  /** The SDK client; default: one from `region` / `endpoint` (path-style when an endpoint is given). */
  client?: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `facefleet/`. */
  prefix?: string;
  region?: string;
  endpoint?: string;
  /** Size of a multipart part in bytes (S3's minimum is 5 MiB; default 8 MiB). */
  partSize?: number;
  retry?: RetryOptions;
}

const notFoundCodes = ['NoSuchKey', 'NotFound'];

const status = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** Reads from a stream until `size` bytes are gathered or it ends. */
async function readPart(iterator: AsyncIterator<unknown>, size: number, carry: Buffer[]): Promise<{ part: Buffer; done: boolean; rest: Buffer[] }> {
  const chunks = carry;
  let length = chunks.reduce((n, c) => n + c.length, 0);
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array | string);
    chunks.push(chunk);
    length += chunk.length;
  }
  const all = Buffer.concat(chunks);
  if (all.length <= size) return { part: all, done, rest: [] };
  return { part: all.subarray(0, size), done: false, rest: [all.subarray(size)] };
}

/** Builds Blobs on an S3 bucket. */
export function createS3Blobs(options: S3BlobsOptions): Blobs {
  const client = options.client ?? new S3Client({ region: options.region, endpoint: options.endpoint, forcePathStyle: options.endpoint !== undefined });
  const { bucket } = options;
  const prefix = options.prefix ?? '';
  const partSize = Math.max(5 * 1024 * 1024, options.partSize ?? 8 * 1024 * 1024);
  const call = <T>(operation: string, key: string, fn: () => Promise<T>, passThrough?: (error: unknown) => boolean) =>
    callAws({ service: 'S3', operation, resource: `bucket ${bucket} key ${prefix}${key}` }, fn, { ...options.retry, passThrough });
  const isNotFound = (error: unknown) => hasCode(error, ...notFoundCodes);

  async function putStream(key: string, body: Readable, contentType?: string, metadata?: Record<string, string>): Promise<void> {
    const Key = prefix + key;
    const iterator = body[Symbol.asyncIterator]();
    let first = await readPart(iterator, partSize, []);
    if (first.done) {
      await call('PutObject', key, () => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: first.part, ContentType: contentType, Metadata: metadata })));
      return;
    }
    const created = await call('CreateMultipartUpload', key, () =>
      client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ContentType: contentType, Metadata: metadata })),
    );
    const UploadId = created.UploadId;
    const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
    try {
      for (let PartNumber = 1; ; PartNumber += 1) {
        const Body = first.part;
        if (Body.length > 0 || PartNumber === 1) {
          const out = await call('UploadPart', key, () => client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body })));
          parts.push({ ETag: out.ETag, PartNumber });
        }
        if (first.done) break;
        first = await readPart(iterator, partSize, first.rest);
      }
      await call('CompleteMultipartUpload', key, () =>
        client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: parts } })),
      );
    } catch (error) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })).catch(() => undefined);
      body.destroy();
      throw error;
    }
  }

  async function getObject(key: string) {
    try {
      return await call('GetObject', key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key })), isNotFound);
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`no blob ${key}`, { cause: error });
      throw error;
    }
  }

  return {
    async put(key, body, putOptions = {}) {
      if (Buffer.isBuffer(body)) {
        await call('PutObject', key, () =>
          client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: body, ContentType: putOptions.contentType, Metadata: putOptions.metadata })),
        );
        return;
      }
      await putStream(key, body, putOptions.contentType, putOptions.metadata);
    },

    async get(key) {
      const out = await getObject(key);
      const stream = out.Body;
      if (stream instanceof NodeReadable) return stream;
      if (!stream) return NodeReadable.from([]);
      return NodeReadable.from(Buffer.from(await stream.transformToByteArray()));
    },

    async getBytes(key) {
      const out = await getObject(key);
      return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
    },

    async head(key): Promise<BlobInfo | undefined> {
      try {
        const out = await call('HeadObject', key, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key })), isNotFound);
        return { size: out.ContentLength ?? 0, contentType: out.ContentType, metadata: { ...(out.Metadata ?? {}) } };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      await call('DeleteObject', key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key })));
    },

    async getVersioned(key) {
      try {
        const out = await getObject(key);
        const bytes = out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
        return { bytes, version: out.ETag ?? '' };
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    async putIfVersion(key, body, expected, putOptions = {}) {
      // 412: the object changed (or exists) since it was read; 409: a concurrent conditional write won.
      const lost = (error: unknown) => hasCode(error, 'PreconditionFailed', 'ConditionalRequestConflict') || status(error) === 412 || status(error) === 409;
      try {
        await call(
          'PutObject',
          key,
          () =>
            client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: prefix + key,
                Body: body,
                ContentType: putOptions.contentType,
                ...(expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: expected }),
              }),
            ),
          lost,
        );
        return true;
      } catch (error) {
        if (lost(error)) return false;
        throw error;
      }
    },
  };
}
