/**
 * The first middleware: every error becomes `{ error: { code, message } }`. The services' closed
 * error set (services/errors.ts) is mapped by type, then by its code in one table to an HTTP status
 * (the one place statuses are decided): a client's mistake (4xx) is answered with its status, code
 * and message, and so is the 504 of a wait (the server's, yet safe to show); Koa's own HTTP errors
 * (ctx.throw, body parsing) with their status and safe message; anything else is a 500 with a fixed
 * message, logged here and never echoed (no stack, no path).
 */
import Koa, { type Context, type Middleware } from 'koa';
import { isServiceError, JobActionRefusedError, JobCancelledError, JobFailedError, WaitTimeoutError, type ServiceError } from '../services/api.ts';
import { infrastructureCause } from '../services/infrastructureError.ts';

export type ErrorLogger = (error: unknown, ctx: Context) => void;

const codeByStatus: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  411: 'length-required',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  416: 'range-not-satisfiable',
  422: 'unprocessable',
  429: 'too-many-requests',
  501: 'not-implemented',
  503: 'unavailable',
  504: 'timeout',
};

const messageByStatus: Record<number, string> = {
  404: 'There is nothing at this address.',
  405: 'This method is not allowed at this address.',
  501: 'This method is not implemented.',
};

/** The HTTP status of every code of the closed error set; the compiler keeps it complete. */
export const statusByCode: Record<ServiceError['code'], number> = {
  validation: 400,
  'invalid-image': 400,
  'not-found': 404,
  'illegal-transition': 409,
  'version-conflict': 409,
  'payload-too-large': 413,
  'image-too-large': 413,
  'unsupported-media-type': 415,
  'no-face': 422,
  'job-failed': 422,
  'job-cancelled': 409,
  'job-finished': 409,
  'not-retryable': 409,
  timeout: 504,
  'corrupt-history': 500,
};

/** Server-side statuses whose message is still safe to show: a wait that timed out says so. */
const shownServerStatuses = new Set([504]);

/** The HTTP status of an error of the closed set. */
export function statusOf(error: ServiceError): number {
  return statusByCode[error.code];
}

interface Shown {
  status: number;
  code: string;
  message: string;
}

/** What the client is told about an error; undefined when it must be a plain 500. */
export function describeError(error: unknown): Shown | undefined {
  if (isServiceError(error)) {
    const status = statusOf(error);
    const shown = (status >= 400 && status <= 499) || shownServerStatuses.has(status);
    return shown ? { status, code: error.code, message: error.message } : undefined;
  }
  // A full disk, a permission or I/O error, an unavailable storage service: ours, passing, and
  // safe to name in words (never the path the error carries).
  const infrastructure = infrastructureCause(error);
  if (infrastructure) return { status: 503, code: 'storage-unavailable', message: `The server could not store the request (${infrastructure}); try again later.` };
  // Koa's own http-errors (ctx.throw, body parsers): a status and a safe message, no domain code.
  if (error instanceof Koa.HttpError && error.expose && error.status >= 400 && error.status <= 499) {
    return { status: error.status, code: codeByStatus[error.status] ?? 'bad-request', message: error.message };
  }
  return undefined;
}

/** Maps errors and empty error statuses to JSON bodies. */
export function errorMiddleware(log: ErrorLogger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) {
        const status = ctx.status;
        ctx.body = { error: { code: codeByStatus[status] ?? 'error', message: messageByStatus[status] ?? 'The request could not be served.' } };
        ctx.status = status;
      }
    } catch (error) {
      const shown = describeError(error);
      if (!shown || shown.status === 503) log(error, ctx);
      const { status, code, message } = shown ?? { status: 500, code: 'internal', message: 'internal error' };
      if (ctx.headerSent) return;
      // Headers set for a success (content type, length, disposition) must not leak into the error.
      for (const name of Object.keys(ctx.response.headers)) if (name.toLowerCase() !== 'connection') ctx.remove(name);
      ctx.status = status;
      ctx.type = 'application/json';
      // A wait that timed out, a job that failed or was cancelled, an action refused: the answer names
      // its job, so a client can look it up instead of submitting again.
      if (error instanceof WaitTimeoutError || error instanceof JobFailedError || error instanceof JobCancelledError || error instanceof JobActionRefusedError) {
        ctx.set('X-Job-Id', error.jobId);
      }
      if (status === 503) ctx.set('Retry-After', '30');
      ctx.body = { error: { code, message } };
    }
  };
}
