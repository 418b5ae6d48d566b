/**
 * What the browser tests share: Debian's chromium driven by playwright-core, a page that fails the
 * test on any console error or request that leaves the server (the pages work offline), screenshots
 * under test-artifacts/screenshots/, and a check that facefleet serves the pages of web/ui.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

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

/** The pages are served by facefleet itself (web/ui): check that it does before driving them. */
export async function assertServesPages(url: string): Promise<void> {
  const probe = await fetch(new URL('/js/inspector.js', url));
  await probe.body?.cancel();
  if (!probe.ok) throw new Error(`facefleet at ${url} does not serve the pages of web/ui (GET /js/inspector.js → ${probe.status})`);
}
