/**
 * The Koa app: a thin edge over the services. The first middleware maps errors to JSON; then one
 * router per resource; then the static files of web/public. It does not listen: the composition root
 * (`facefleet start`) does, and tests drive `app.callback()`.
 */
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import type { ApiServices } from '../services/api.ts';
import type { WebConfig } from './config.ts';
import { errorMiddleware, type ErrorLogger } from './errors.ts';
import { classicRouter } from './routes/classic.ts';
import { galleryRouter } from './routes/gallery.ts';
import { instancesRouter } from './routes/instances.ts';
import { jobsRouter } from './routes/jobs.ts';
import { streamRouter } from './routes/stream.ts';
import { systemRouter } from './routes/system.ts';
import { serveStatic } from './static.ts';

export interface AppOptions {
  /** Largest request body, bytes (default 15 MB). */
  maxUploadBytes?: number;
  /** Most files per upload request (default 20). */
  maxFiles?: number;
  /** How long `POST /` waits for its job (default 120 s). */
  classicTimeoutMs?: number;
  /** The static files served at `/` (default web/public). */
  publicDir?: string;
  /** Where multipart temp files go (default <os tmp>/facefleet-uploads). */
  uploadDir?: string;
  /** SSE heartbeat period (default 15 s). */
  sseHeartbeatMs?: number;
  /** Where unexpected errors are reported (default: console.error, one line and the stack). */
  logError?: ErrorLogger;
}

export const DEFAULT_PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');

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
    uploadDir: options.uploadDir ?? join(tmpdir(), 'facefleet-uploads'),
    sseHeartbeatMs: options.sseHeartbeatMs ?? 15_000,
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

  app.use(errorMiddleware(logError));
  // No allowedMethods for `/`: a GET of `/` is the static upload page, not a 405.
  app.use(classicRouter(services, config).routes());
  for (const router of [
    jobsRouter(services, config),
    galleryRouter(services, config),
    instancesRouter(services),
    systemRouter(services),
    streamRouter(services, config),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(serveStatic(options.publicDir ?? DEFAULT_PUBLIC_DIR));
  return app;
}
