/**
 * Serves the files of one directory (GET and HEAD) with content types from their extension. Only
 * regular files inside the directory are served: `..`, encoded separators and NUL bytes are refused,
 * and a path that resolves outside the directory (a symlink included) falls through to 404.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Middleware } from 'koa';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Static files from `dir`; anything not found goes on to the next middleware. */
export function serveStatic(dir: string): Middleware {
  const root = resolve(dir);
  let realRoot: Promise<string> | undefined;
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    let path: string;
    try {
      path = decodeURIComponent(ctx.path);
    } catch {
      return next();
    }
    if (path.includes('\0') || path.includes('\\') || path.split('/').some((s) => s === '..')) return next();
    if (path.endsWith('/')) path += 'index.html';
    const file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return next();
    try {
      realRoot ??= realpath(root);
      const real = await realpath(file);
      const base = await realRoot;
      if (!real.startsWith(base + sep)) return next();
      const info = await stat(real);
      if (!info.isFile()) return next();
      ctx.status = 200;
      ctx.set('Content-Type', types[extname(real).toLowerCase()] ?? 'application/octet-stream');
      ctx.set('Cache-Control', 'no-cache');
      ctx.set('X-Content-Type-Options', 'nosniff');
      // Koa sends no body for HEAD and destroys the unread stream when the response finishes.
      ctx.body = createReadStream(real);
      ctx.length = info.size;
    } catch {
      realRoot = undefined;
      return next();
    }
  };
}
