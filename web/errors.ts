/**
 * The first middleware: every error becomes `{ error: { code, message } }`. A client's mistake — an
 * error with a numeric `status` 400–499 and a string `code` (ValidationError, NotFoundError,
 * IllegalTransitionError, VersionConflictError, the upload and model errors) — is answered with its
 * status and message; an error that says it may be shown (`expose`, e.g. the 504 of a wait) likewise;
 * anything else is a 500 with a fixed message, logged here and never echoed (no stack, no path).
 */
import type { Context, Middleware } from 'koa';

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
  504: 'timeout',
};

const messageByStatus: Record<number, string> = {
  404: 'There is nothing at this address.',
  405: 'This method is not allowed at this address.',
  501: 'This method is not implemented.',
};

interface Shown {
  status: number;
  code: string;
  message: string;
}

/** What the client is told about an error; undefined when it must be a plain 500. */
export function describeError(error: unknown): Shown | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { status?: unknown; statusCode?: unknown; code?: unknown; message?: unknown; expose?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || typeof e.message !== 'string') return undefined;
  const clientError = status >= 400 && status <= 499;
  const exposedServerError = status >= 500 && status <= 599 && e.expose === true && typeof e.code === 'string';
  if (!clientError && !exposedServerError) return undefined;
  if (typeof e.code === 'string' && !/^E[A-Z]/.test(e.code)) return { status, code: e.code, message: e.message };
  // Koa's own http-errors (ctx.throw, body parsers): a status and a safe message, no domain code.
  if (e.expose === true) return { status, code: codeByStatus[status] ?? 'bad-request', message: e.message };
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
      if (!shown) log(error, ctx);
      const { status, code, message } = shown ?? { status: 500, code: 'internal', message: 'internal error' };
      if (ctx.headerSent) return;
      // Headers set for a success (content type, length, disposition) must not leak into the error.
      for (const name of Object.keys(ctx.response.headers)) if (name.toLowerCase() !== 'connection') ctx.remove(name);
      ctx.status = status;
      ctx.type = 'application/json';
      ctx.body = { error: { code, message } };
    }
  };
}
