/**
 * The HTTP client of the workload generator over node:http: multipart uploads, small JSON calls,
 * and the course client's retry of connection errors (refused, reset) with capped exponential
 * backoff. Other failures (timeouts, 4xx/5xx) are answers, not retried.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LoadClock } from './shapes.ts';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface HttpOptions {
  /** Keep-alive agent shared by the run (its maxSockets bounds the connections). */
  agent?: http.Agent;
  /** Give up (and destroy the socket) after this long without the whole answer. */
  timeoutMs?: number;
}

/** One part of a multipart body: a file under a field name. */
export interface FilePart {
  field: string;
  fileName: string;
  type: string;
  bytes: Uint8Array;
}

/** A multipart/form-data body and its content type. */
export function multipartBody(parts: readonly FilePart[]): { body: Buffer; contentType: string } {
  const boundary = `----facefleet-load-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const name = part.fileName.replace(/["\r\n]/g, '_');
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"; filename="${name}"\r\nContent-Type: ${part.type}\r\n\r\n`),
      Buffer.from(part.bytes),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** An error raised when the request did not finish within its time. */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
  readonly code = 'ETIMEOUT';
}

/** Sends one request and reads the whole answer as text. Rejects on connection errors and timeouts. */
export function request(method: string, url: URL, body: { bytes: Buffer; contentType: string } | undefined, options: HttpOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const headers: Record<string, string | number> = { accept: '*/*' };
    if (body) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = body.bytes.length;
    }
    const req = send(url, { method, headers, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      const timer = setTimeout(() => req.destroy(new RequestTimeoutError(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('close', () => clearTimeout(timer));
    }
    req.end(body?.bytes);
  });
}

/** GET a JSON document; rejects on a non-2xx status or invalid JSON. */
export async function getJson(url: URL, options: HttpOptions = {}): Promise<unknown> {
  const answer = await request('GET', url, undefined, options);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`GET ${url.pathname} answered ${answer.status}: ${errorMessage(answer)}`);
  return JSON.parse(answer.body) as unknown;
}

/** POST a JSON document and parse the JSON answer; rejects on a non-2xx status. */
export async function postJson(url: URL, value: unknown, options: HttpOptions = {}): Promise<unknown> {
  const answer = await request('POST', url, { bytes: Buffer.from(JSON.stringify(value)), contentType: 'application/json' }, options);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`POST ${url.pathname} answered ${answer.status}: ${errorMessage(answer)}`);
  return JSON.parse(answer.body) as unknown;
}

/** The `{ error: { message } }` of a JSON error answer, else the start of the body. */
export function errorMessage(answer: HttpAnswer): string {
  try {
    const parsed = JSON.parse(answer.body) as { error?: { code?: string; message?: string } };
    if (parsed.error?.message) return parsed.error.code ? `${parsed.error.code}: ${parsed.error.message}` : parsed.error.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = answer.body.replace(/\s+/g, ' ').trim();
  return text.length > 120 ? `${text.slice(0, 117)}...` : text || '(empty body)';
}

const retryableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN']);

/** True for the connection errors worth retrying: refused, reset, broken pipe, aborted, DNS again. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && retryableCodes.has(code);
}

export interface RetryOptions {
  /** Retries after the first attempt (0 = no retry). */
  retries: number;
  /** The first backoff; doubles each time (default 200 ms). */
  baseDelayMs?: number;
  /** The longest backoff (default 5 s). */
  maxDelayMs?: number;
  clock: Pick<LoadClock, 'sleep'>;
  /** Called before each retry with the attempt that failed (1-based) and its error. */
  onRetry?(attempt: number, error: unknown): void;
}

/** The backoff before retry number `retry` (1-based): base·2^(retry-1), at most max. */
export function backoffMs(retry: number, base = 200, max = 5000): number {
  return Math.min(max, base * 2 ** (retry - 1));
}

/**
 * Runs `attempt` until it resolves, retrying connection errors at most `retries` times with
 * backoff. Resolves to the value and the number of attempts made; any other error, or the last
 * connection error, rejects (with `attempts` set on the error object).
 */
export async function withRetry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n += 1) {
    try {
      return { value: await attempt(), attempts: n };
    } catch (error) {
      if (!isConnectionError(error) || n > options.retries) {
        if (error && typeof error === 'object') (error as { attempts?: number }).attempts = n;
        throw error;
      }
      options.onRetry?.(n, error);
      await options.clock.sleep(backoffMs(n, options.baseDelayMs, options.maxDelayMs));
    }
  }
}

/** A one-line description of a request error: its code and message. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message.split('\n')[0] ?? '';
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
