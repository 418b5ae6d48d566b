/**
 * The Koa app: a thin edge over the services. Security headers and CORS first (security.ts), then
 * the middleware that maps errors to JSON, the API key (auth.ts), one router per resource; then the static pages of web/ui (upload, gallery, inspector). It does not listen: the composition root
 * (`facefleet start`) does, and tests drive `app.callback()`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import type { ApiServices } from '../services/api.ts';
import type { WebConfig } from './config.ts';
import { createAuth } from './auth.ts';
import { errorMiddleware, type ErrorLogger } from './errors.ts';
import { classicRouter } from './routes/classic.ts';
import { deadLettersRouter } from './routes/deadLetters.ts';
import { galleryDocumentRouter, galleryRouter } from './routes/gallery.ts';
import { galleryFromJobRouter } from './routes/galleryFromJob.ts';
import { fleetRouter } from './routes/fleet.ts';
import { instancesRouter } from './routes/instances.ts';
import { jobsRouter } from './routes/jobs.ts';
import { streamRouter } from './routes/stream.ts';
import { systemRouter } from './routes/system.ts';
import { verifyRouter } from './routes/verify.ts';
import { openApiRouter } from './routes/openapi.ts';
import { crossOrigin, hostGuard, inlineScriptHashes, securityHeaders } from './security.ts';
import { serveStatic } from './static.ts';
import { submissionLimit } from './submissionLimit.ts';

export interface AppOptions {
  /** Largest request body, bytes (default 15 MB). */
  maxUploadBytes?: number;
  /** Most files per upload request (default 20). */
  maxFiles?: number;
  /** How long `POST /` waits for its job (default 120 s). */
  classicTimeoutMs?: number;
  /** The static files served at `/` (default web/ui). */
  publicDir?: string;
  /** Where multipart temp files go (default: a fresh private folder under the OS temp dir). */
  uploadDir?: string;
  /** SSE heartbeat period (default 15 s). */
  sseHeartbeatMs?: number;
  /** Most SSE connections at once (default 200). */
  maxStreamClients?: number;
  /** Unread bytes after which an SSE stream is closed (default 1 MiB). */
  maxStreamBufferedBytes?: number;
  /** Where unexpected errors are reported (default: console.error, one line and the stack). */
  logError?: ErrorLogger;
  /** When set, writes and /v1 reads need it (see auth.ts); default: open. */
  apiKey?: string | undefined;
  /** Wrong API keys one client may send per minute before a minute's 429s (default 10). */
  maxWrongKeysPerMinute?: number;
  /** Submissions (classic and v1 uploads) one client may make per minute; 0: no limit (default 3000). */
  submissionsPerClientPerMinute?: number;
  /** Origins (`https://host[:port]`) allowed to call the API from a browser; default: none (CORS off). */
  corsOrigins?: readonly string[] | undefined;
  /** Host names answered besides localhost names and IP addresses (DNS-rebinding guard); `*` any. */
  allowedHosts?: readonly string[] | undefined;
  /** Serves `GET /metrics` (Prometheus text; behind the API key when one is set); absent: 404. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Told about every response once it is sent: method, route pattern (not the raw path), status, time. */
  onResponse?: (info: { method: string; route: string; status: number; ms: number }) => void;
}

/** The route a request matched, as a pattern with few values (metrics labels must not grow with ids). */
function routeOf(ctx: Koa.Context): string {
  const matched = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  if (ctx.path === '/metrics' || ctx.path === '/healthz') return ctx.path;
  return ctx.path.startsWith('/v1/') ? 'unmatched' : 'static';
}

export const DEFAULT_PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ui');

/** Short page addresses: `/inspector` is the inspector page, `/gallery` the gallery page. */
const pageAliases: Record<string, string> = { '/inspector': '/inspector.html', '/gallery': '/gallery.html', '/history': '/history.html' };

/** A job's result page is a deep link (`/jobs/<id>`) answered by one page that reads the id from its address. */
const jobPage = /^\/jobs\/[A-Za-z0-9_-]{1,128}\/?$/;

/** The static file a page address is served from, or the path unchanged. */
export function pagePath(path: string): string {
  return pageAliases[path] ?? (jobPage.test(path) ? '/job.html' : path);
}

const goneCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED']);

/** The client closed the connection or sent broken HTTP: nothing to fix on our side. */
function clientWentAway(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (goneCodes.has(code) || code.startsWith('HPE_'));
}

/** Builds the app over the services. */
export function createApp(services: ApiServices, options: AppOptions = {}): Koa {
  const config: WebConfig = {
    maxUploadBytes: options.maxUploadBytes ?? services.limits.maxUploadBytes,
    maxFiles: options.maxFiles ?? services.limits.maxFiles,
    classicTimeoutMs: options.classicTimeoutMs ?? 120_000,
    // A private folder per app (mkdtemp: 0700, a fresh name nobody could have planted).
    uploadDir: options.uploadDir ?? mkdtempSync(join(tmpdir(), 'facefleet-uploads-')),
    sseHeartbeatMs: options.sseHeartbeatMs ?? 15_000,
    maxStreamClients: options.maxStreamClients ?? 200,
    maxStreamBufferedBytes: options.maxStreamBufferedBytes ?? 1024 * 1024,
  };
  const logError: ErrorLogger =
    options.logError ?? ((error, ctx) => console.error(`facefleet web: ${ctx.method} ${ctx.path} failed:`, error instanceof Error ? (error.stack ?? error.message) : error));

  const app = new Koa();
  // Errors after the response started (a blob stream failing mid-body) arrive here, not in the middleware.
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    if (clientWentAway(error)) return;
    if (ctx) logError(error, ctx);
    else console.error('facefleet web:', error);
  });

  const publicDir = options.publicDir ?? DEFAULT_PUBLIC_DIR;
  const auth = createAuth({ apiKey: options.apiKey, ...(options.maxWrongKeysPerMinute ? { maxWrongKeysPerMinute: options.maxWrongKeysPerMinute } : {}) });
  const { onResponse, metrics } = options;
  if (onResponse) {
    app.use(async (ctx, next) => {
      const begun = performance.now();
      try {
        await next();
      } finally {
        const method = ctx.method;
        ctx.res.once('finish', () => onResponse({ method, route: routeOf(ctx), status: ctx.status, ms: performance.now() - begun }));
      }
    });
  }
  // Outside the error middleware: their headers must survive it turning a failure into JSON.
  app.use(securityHeaders({ inlineScriptHashes: inlineScriptHashes(publicDir) }));
  app.use(hostGuard({ allowedHosts: options.allowedHosts ?? [] }));
  app.use(crossOrigin({ origins: options.corsOrigins ?? [] }));
  app.use(errorMiddleware(logError));
  app.use(auth.middleware);
  app.use(auth.router.routes());
  app.use(auth.router.allowedMethods());
  app.use(submissionLimit(options.submissionsPerClientPerMinute ?? 3000));
  if (metrics) {
    app.use(async (ctx, next) => {
      if (ctx.path !== '/metrics' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
      const { contentType, body } = await metrics();
      ctx.type = contentType;
      ctx.body = body;
    });
  }
  // No allowedMethods for `/`: a GET of `/` is the static upload page, not a 405.
  app.use(classicRouter(services, config).routes());
  for (const router of [
    jobsRouter(services, config),
    verifyRouter(services, config),
    deadLettersRouter(services),
    galleryFromJobRouter(services),
    galleryRouter(services, config),
    galleryDocumentRouter(services),
    instancesRouter(services),
    fleetRouter(services),
    systemRouter(services),
    streamRouter(services, config),
    openApiRouter(),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD') ctx.path = pagePath(ctx.path);
    await next();
  });
  app.use(serveStatic(publicDir));
  return app;
}
