/**
 * The HTTP hardening that does not depend on a route: security headers on every response, CORS (off
 * unless origins are configured), a guard against cross-site writes, the server's timeouts for slow
 * clients, and a JSON answer for requests Node refuses before they reach Koa (broken HTTP, headers
 * too large, too slow). The API key lives in auth.ts.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import helmet from 'helmet';
import type { Context, Middleware } from 'koa';

/**
 * The Content-Security-Policy directives for our own pages: everything from this origin only;
 * scripts from files (plus the listed hashes of inline scripts the pages carry), no inline event
 * handlers, no eval; images also from `blob:` (previews of chosen files) and `data:`; inline styles
 * allowed because the pages set `style` attributes; never framed. Pure.
 */
function cspDirectives(inlineScriptHashes: readonly string[]): Record<string, string[]> {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", ...inlineScriptHashes.map((h) => `'${h}'`)],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'blob:', 'data:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  };
}

/**
 * Every security header a response carries, as helmet (the library koa-helmet wraps) sets them for
 * our policy: our CSP, frames denied, no referrer, same-origin resources; HSTS left to whatever
 * terminates TLS in front of us (a plain-HTTP localhost install must not pin HTTPS). Computed once
 * by letting helmet write to a recording response, so the same set can be applied after the error
 * middleware (which clears a failed response's headers) and to the raw answers Node sends for
 * broken HTTP. Pure.
 */
export function securityHeaderSet(inlineScriptHashes: readonly string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name] = String(value)),
    removeHeader: (name: string) => void delete headers[name],
  };
  let failure: unknown;
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(inlineScriptHashes) },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
  })({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => void (failure = error));
  if (failure) throw failure;
  return headers;
}

/** The Content-Security-Policy header of our pages. Pure. */
export function contentSecurityPolicy(inlineScriptHashes: readonly string[] = []): string {
  return securityHeaderSet(inlineScriptHashes)['Content-Security-Policy'] as string;
}

/**
 * The `sha256-…` sources of every inline `<script>` (one without `src`) in the HTML files under `dir`,
 * so a page's own inline module runs and an injected one does not. An unreadable folder has none.
 */
export function inlineScriptHashes(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.html'));
  } catch {
    return [];
  }
  const hashes = new Set<string>();
  for (const name of names) {
    let html: string;
    try {
      html = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
      if (/\bsrc\s*=/i.test(match[1] ?? '')) continue;
      hashes.add(`sha256-${createHash('sha256').update(match[2] ?? '', 'utf8').digest('base64')}`);
    }
  }
  return [...hashes].sort();
}

/**
 * Sets `headers` before the rest runs and again after it, because the error middleware (inside)
 * clears the headers of a response it turns into an error.
 */
function alwaysSet(headers: () => Record<string, string>): Middleware {
  return async (ctx, next) => {
    const apply = () => {
      if (!ctx.headerSent) for (const [name, value] of Object.entries(headers())) ctx.set(name, value);
    };
    apply();
    try {
      await next();
    } finally {
      apply();
    }
  };
}

/** Security headers on every response (the outermost middleware). */
export function securityHeaders(options: { inlineScriptHashes?: readonly string[] } = {}): Middleware {
  const headers = securityHeaderSet(options.inlineScriptHashes);
  return alwaysSet(() => headers);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `scheme://host[:port]`, lower case; undefined when `value` is not such an origin. Pure. */
export function normalizeOrigin(value: string): string | undefined {
  const match = /^(https?):\/\/([^/\s?#@]+)$/i.exec(value.trim());
  return match ? `${match[1]}://${match[2]}`.toLowerCase() : undefined;
}

/** The most of a refused body read and dropped before the connection is cut instead. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * After refusing a request whose body was not read: read and drop the rest as it arrives, keeping
 * the connection, so a client still sending (an upload refused by its Content-Length, its type or
 * its key) gets to read the answer instead of a reset. Past `maxBytes` the connection is cut; a
 * slow sender is bounded by the server's request timeout.
 */
export function discardBody(ctx: Context, maxBytes = DISCARD_LIMIT_BYTES): void {
  const req = ctx.req;
  if (req.complete) return;
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) req.socket.destroy();
  });
  req.resume();
}

function refuse(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = { error: { code, message } };
}

/**
 * The hostname of a Host header value (`name[:port]`, `[v6]:port`), lower case, without a trailing
 * dot; undefined when it is not one. Pure.
 */
export function hostnameOf(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/i.exec(host.trim());
  return match?.[1]?.toLowerCase().replace(/\.$/, '');
}

/** True for names that never come from someone else's DNS: localhost names and IP address literals. Pure. */
export function isLocalOrAddress(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)) return true;
  return hostname.startsWith('[') && hostname.endsWith(']');
}

/**
 * A guard against DNS rebinding: a page on evil.example whose name is made to resolve to this
 * server would reach it with `Host: evil.example` and be same-origin with it. So a request is
 * answered only when its Host is a localhost name, an IP address, or listed in `allowedHosts`
 * (`name`, `.domain` for the domain and its subdomains, `*` for any); otherwise 421 before anything runs.
 */
export function hostGuard(options: { allowedHosts?: readonly string[] } = {}): Middleware {
  const listed = (options.allowedHosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, ''));
  const any = listed.includes('*');
  const allowed = (hostname: string): boolean =>
    isLocalOrAddress(hostname) || listed.some((h) => (h.startsWith('.') ? hostname === h.slice(1) || hostname.endsWith(h) : hostname === h));
  return async (ctx, next) => {
    if (any) return next();
    const hostname = hostnameOf(ctx.get('Host'));
    if (hostname === undefined || !allowed(hostname)) {
      return refuse(ctx, 421, 'unknown-host', `This server does not answer for the host ${JSON.stringify(ctx.get('Host').slice(0, 200))}; list it in allowedHosts.`);
    }
    return next();
  };
}

/**
 * Cross-origin requests. With no `origins` the API answers no preflight and grants no origin (the
 * browser keeps other sites out). With origins configured, each listed origin gets
 * `Access-Control-Allow-Origin` and its preflights are answered (204); a preflight from any other
 * origin is a 403. Either way a write (not GET/HEAD/OPTIONS) whose `Origin` is neither this server
 * nor a listed origin is refused with 403 before anything runs: a page on another site cannot post
 * to a facefleet on localhost.
 */
export function crossOrigin(options: { origins?: readonly string[] } = {}): Middleware {
  const allowed = new Set((options.origins ?? []).map((o) => normalizeOrigin(o) ?? o));
  const configured = allowed.size > 0;
  return async (ctx, next) => {
    const origin = ctx.get('Origin');
    const normalized = origin === '' ? undefined : (normalizeOrigin(origin) ?? origin);
    const listed = normalized !== undefined && allowed.has(normalized);
    const corsHeaders = (): Record<string, string> => {
      if (!configured) return {};
      const headers: Record<string, string> = { Vary: 'Origin' };
      if (listed && origin !== '') {
        headers['Access-Control-Allow-Origin'] = origin;
        headers['Access-Control-Expose-Headers'] = 'Location, X-Job-Id, WWW-Authenticate';
      }
      return headers;
    };
    const preflight = ctx.method === 'OPTIONS' && origin !== '' && ctx.get('Access-Control-Request-Method') !== '';
    if (configured && preflight) {
      for (const [name, value] of Object.entries(corsHeaders())) ctx.set(name, value);
      if (!listed) return refuse(ctx, 403, 'forbidden', `The origin ${JSON.stringify(origin.slice(0, 200))} is not allowed; list it in corsOrigins.`);
      ctx.set('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, DELETE');
      ctx.set('Access-Control-Allow-Headers', 'Content-Type, X-Api-Key, Authorization, Idempotency-Key');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    if (!SAFE_METHODS.has(ctx.method) && normalized !== undefined && !listed && normalized !== `${ctx.protocol}://${ctx.host}`.toLowerCase()) {
      discardBody(ctx);
      return refuse(ctx, 403, 'forbidden', `Writes from the origin ${JSON.stringify(origin.slice(0, 200))} are not accepted; list it in corsOrigins to allow it.`);
    }
    return alwaysSet(corsHeaders)(ctx, next);
  };
}

/** True unless `host` is a loopback name or address (localhost, 127.x.x.x, ::1). Pure. */
export function listensBeyondLocalhost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return !(h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1');
}

/**
 * Slow clients: all headers within 10 s, the whole request (a 15 MB upload at ~1 Mbit/s) within
 * 2 min, idle keep-alive sockets closed after 5 s (facefleet start uses keepAliveSeconds, 75 s: above
 * load-balancer idle timeouts); Node checks the first two every second. A
 * response that takes long (the classic wait, SSE) is not affected: only receiving the request is.
 */
export const serverTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 5_000, checkEveryMs: 1_000 } as const;

/** The options for `http.createServer` that carry the timeouts. */
export function serverOptions(timeouts: Partial<Record<keyof typeof serverTimeouts, number>> = {}): ServerOptions {
  const t = { ...serverTimeouts, ...timeouts };
  return { headersTimeout: t.headersTimeoutMs, requestTimeout: t.requestTimeoutMs, keepAliveTimeout: t.keepAliveTimeoutMs, connectionsCheckingInterval: t.checkEveryMs };
}

const rawAnswerHeaders = securityHeaderSet();

const clientErrorAnswers: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers-too-large', 'The request headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request-timeout', 'The request took too long to arrive.'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'request-timeout', 'The request headers took too long to arrive.'],
  HPE_INVALID_METHOD: [400, 'bad-request', 'The request method is not valid HTTP.'],
  HPE_INVALID_URL: [400, 'bad-request', 'The request address is not valid.'],
};

/**
 * Answers a request Node refused before Koa saw it (server 'clientError') with a JSON 4xx, the same
 * shape as every other error, then closes the connection. A socket already gone is just destroyed.
 */
export function answerClientError(error: unknown, socket: Duplex): void {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, errorCode, message] = (typeof code === 'string' ? clientErrorAnswers[code] : undefined) ?? [400, 'bad-request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: { code: errorCode, message } });
  const headers = { ...rawAnswerHeaders, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' };
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[status] ?? 'Bad Request';
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n${body}`);
}

/** Sets the slow-client timeouts (when the server was not created with `serverOptions`) and the JSON clientError answer. */
export function hardenServer(server: Server, timeouts: Partial<Record<keyof typeof serverTimeouts, number>> = {}): Server {
  const t = { ...serverTimeouts, ...timeouts };
  server.headersTimeout = t.headersTimeoutMs;
  server.requestTimeout = t.requestTimeoutMs;
  server.keepAliveTimeout = t.keepAliveTimeoutMs;
  server.on('clientError', answerClientError);
  return server;
}
