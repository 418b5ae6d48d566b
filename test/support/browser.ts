/**
 * What the browser tests share: Debian's chromium driven by playwright-core, a page that fails the
 * test on any console error or request that leaves the server (the pages work offline), screenshots
 * under test-artifacts/screenshots/, and the pages' origin — the facefleet server itself, or, while
 * `facefleet start` does not yet serve web/ui, a small front server that serves web/ui and passes
 * the API through to facefleet.
 */
import { mkdirSync } from 'node:fs';
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serveStatic } from '../../web/static.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const uiDir = join(repoRoot, 'web', 'ui');
export const screenshotDir = join(repoRoot, 'test-artifacts', 'screenshots');

/** Starts headless chromium (CHROMIUM_PATH or Debian's /usr/bin/chromium). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and requests to other origins, in order. */
  problems: string[];
}

/**
 * A fresh page in its own context that records what a clean page never does: console errors,
 * uncaught exceptions, failed requests, and requests to any origin but `origin` (no CDN).
 */
export async function openPage(browser: Browser, origin: string): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const allowed = new URL(origin).origin;
  page.on('console', (message) => {
    // A refused upload answers 4xx by design; the browser logs that response as a console error.
    if (message.type() === 'error' && !/the server responded with a status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (!['blob:', 'data:'].includes(url.protocol) && url.origin !== allowed) problems.push(`request to another origin: ${req.url()}`);
  });
  page.on('requestfailed', (req) => {
    // The SSE stream is cut when the page navigates away or closes: not a failure of ours.
    if (!req.url().endsWith('/v1/stream')) problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? '?'})`);
  });
  return { page, context, problems };
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface PagesOrigin {
  url: string;
  /** True when a front server had to serve web/ui (facefleet serves its own publicDir). */
  fronted: boolean;
  close(): Promise<void>;
}

/**
 * Where the pages are: `apiUrl` itself when it serves web/ui's pages, else a front server on a free
 * port serving web/ui and passing /v1 and /healthz through to `apiUrl` (SSE included).
 */
export async function pagesOrigin(apiUrl: string): Promise<PagesOrigin> {
  const probe = await fetch(new URL('/js/inspector.js', apiUrl)).catch(() => undefined);
  if (probe?.ok) {
    await probe.body?.cancel();
    return { url: apiUrl, fronted: false, close: async () => undefined };
  }
  await probe?.body?.cancel();
  const api = new URL(apiUrl);
  const app = new Koa();
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/v1/') && ctx.path !== '/healthz') return next();
    ctx.respond = false;
    await new Promise<void>((done) => {
      let answered = false;
      const upstream = httpRequest(
        { hostname: api.hostname, port: api.port, method: ctx.method, path: ctx.url, headers: { ...ctx.req.headers, host: api.host } },
        (answer) => {
          answered = true;
          ctx.res.writeHead(answer.statusCode ?? 502, answer.headers);
          ctx.res.flushHeaders();
          answer.pipe(ctx.res);
          answer.on('end', done);
          answer.on('close', done);
        },
      );
      upstream.on('error', () => {
        // facefleet answers a too large body early and closes: the write fails (EPIPE) while its
        // answer is on the way. Give the answer a moment before calling it a gateway failure.
        setTimeout(() => {
          if (answered) return;
          if (!ctx.res.headersSent) ctx.res.writeHead(502, { 'content-type': 'application/json' });
          ctx.res.end(JSON.stringify({ error: { code: 'bad-gateway', message: 'facefleet could not be reached.' } }));
          done();
        }, 500);
      });
      ctx.res.on('close', () => upstream.destroy());
      ctx.req.pipe(upstream);
    });
  });
  app.use(serveStatic(uiDir));
  const server: Server = createServer(app.callback());
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fronted: true,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

