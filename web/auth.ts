/**
 * The API key. When one is configured, every write (any method but GET/HEAD/OPTIONS) and every read
 * under `/v1` needs it; `GET /healthz`, `GET /readyz` and the static pages stay open. A client sends it as
 * `x-api-key: <key>` or `Authorization: Bearer <key>`. A page cannot put a header on an EventSource
 * or an <img>, so it trades the key once for a session cookie: `POST /v1/session` with the key in a
 * header sets `facefleet_session` (HttpOnly, SameSite=Strict, 12 h), which is accepted like the key.
 * The cookie holds an expiry and an HMAC of it keyed by the API key: nothing is stored server-side,
 * and changing the key ends every session. Keys and MACs are compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { tooManyRequests } from './tooManyRequests.ts';

const guessesMessage = 'Too many wrong API keys from this client; wait and try again.';
import type { Context, Middleware } from 'koa';
import { discardBody } from './security.ts';

export const SESSION_COOKIE = 'facefleet_session';
const SESSION_TTL_SECONDS = 12 * 60 * 60;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthOptions {
  /** The API key; absent means the API is open (listen on localhost only). */
  apiKey?: string | undefined;
  /** How long a session cookie lasts (default 12 h). */
  sessionTtlSeconds?: number;
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number;
  /** Wrong keys one client may send per minute before it is refused for a minute (default 10). */
  maxWrongKeysPerMinute?: number;
}

/** What a request's credentials are worth. */
export type Verdict = 'ok' | 'missing' | 'wrong' | 'expired';

/** Equal strings, compared in time independent of where they differ (hashed first: lengths may differ). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function mac(apiKey: string, expiresAt: number): string {
  return createHmac('sha256', apiKey).update(`facefleet-session.v1.${expiresAt}`).digest('base64url');
}

/** The session cookie value that lasts until `expiresAt` (seconds since the epoch). Pure. */
export function sessionToken(apiKey: string, expiresAt: number): string {
  return `v1.${expiresAt}.${mac(apiKey, expiresAt)}`;
}

/** Checks a session cookie value against the key at `nowSeconds`. Pure. */
export function checkSessionToken(apiKey: string, token: string, nowSeconds: number): Verdict {
  const match = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match?.[1] || !match[2]) return 'wrong';
  const expiresAt = Number(match[1]);
  if (!sameSecret(match[2], mac(apiKey, expiresAt))) return 'wrong';
  return expiresAt > nowSeconds ? 'ok' : 'expired';
}

/** The key a request presents in a header; undefined when it sends none. */
export function presentedKey(ctx: Context): string | undefined {
  const header = ctx.get('x-api-key');
  if (header !== '') return header;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(ctx.get('authorization'));
  return match?.[1];
}

/**
 * Whether a request needs the key: writes anywhere, reads under /v1 and of /metrics (the path compared decoded, in
 * lower case, with repeated slashes collapsed, as the router would match it). OPTIONS never does
 * (it changes and shows nothing; preflights carry no key); `/v1/session` does its own check. Pure.
 */
export function needsKey(method: string, rawPath: string): boolean {
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // keep it raw: a path the router cannot decode matches no route either
  }
  path = path.toLowerCase().replace(/\/{2,}/g, '/');
  const verb = method.toUpperCase();
  if (path === '/v1/session' || verb === 'OPTIONS') return false; // OPTIONS changes and shows nothing (and preflights carry no key)
  if (!SAFE_METHODS.has(verb)) return true;
  return path === '/v1' || path.startsWith('/v1/') || path === '/metrics';
}

const messages: Record<Exclude<Verdict, 'ok'>, string> = {
  missing: 'This request needs the API key: send it in the x-api-key header or as Authorization: Bearer <key> (pages: POST /v1/session).',
  wrong: 'The API key is not valid.',
  expired: 'The session has expired: send the API key again (POST /v1/session).',
};

function unauthorized(ctx: Context, verdict: Exclude<Verdict, 'ok'>): void {
  ctx.status = 401;
  ctx.set('WWW-Authenticate', 'Bearer realm="facefleet"');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = { error: { code: 'unauthorized', message: messages[verdict] } };
  discardBody(ctx); // an upload we will not read
}

/** The API key check over one configuration. */
export function createAuth(options: AuthOptions = {}) {
  const apiKey = options.apiKey === '' ? undefined : options.apiKey;
  const now = options.now ?? Date.now;
  const ttl = options.sessionTtlSeconds ?? SESSION_TTL_SECONDS;
  // Key guessing: wrong keys are counted per client address (rate-limiter-flexible, in memory);
  // past the limit every key check of that client is refused for a minute, the right key too.
  const maxWrong = options.maxWrongKeysPerMinute ?? 10;
  const wrongKeys = new RateLimiterMemory({ points: maxWrong, duration: 60, blockDuration: 60 });
  /** Undefined when the client may try a key; else how long it must wait, ms. */
  const lockedFor = async (ctx: Context): Promise<number | undefined> => {
    const seen = await wrongKeys.get(ctx.ip);
    return seen !== null && seen.consumedPoints > maxWrong ? seen.msBeforeNext : undefined;
  };
  const countWrong = async (ctx: Context): Promise<void> => {
    await wrongKeys.consume(ctx.ip).catch(() => undefined); // a rejection only means "over the limit"
  };

  /** A header key wins over the cookie: a wrong header is refused even with a good cookie. */
  const verdict = (ctx: Context): Verdict => {
    if (apiKey === undefined) return 'ok';
    const key = presentedKey(ctx);
    if (key !== undefined) return sameSecret(key, apiKey) ? 'ok' : 'wrong';
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (cookie === undefined || cookie === '') return 'missing';
    return checkSessionToken(apiKey, cookie, Math.floor(now() / 1000));
  };

  /** 401 for a request that needs the key and lacks it; everything else goes on. */
  const middleware: Middleware = async (ctx, next) => {
    if (apiKey !== undefined && needsKey(ctx.method, ctx.path)) {
      const wait = await lockedFor(ctx);
      if (wait !== undefined) return tooManyRequests(ctx, wait, guessesMessage);
      const v = verdict(ctx);
      if (v === 'wrong') await countWrong(ctx);
      if (v !== 'ok') return unauthorized(ctx, v);
    }
    await next();
  };

  /**
   * `GET /v1/session` → `{ required, authenticated }` (open: a page asks it whether to prompt);
   * `POST /v1/session` with the key in a header → 204 and the cookie (401 without a good key; 204 and
   * no cookie when no key is configured); `DELETE /v1/session` → 204 and the cookie cleared.
   */
  const router = new Router({ prefix: '/v1/session' });
  router.get('/', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { required: apiKey !== undefined, authenticated: verdict(ctx) === 'ok' };
  });
  router.post('/', async (ctx) => {
    if (apiKey === undefined) {
      ctx.status = 204;
      return;
    }
    const wait = await lockedFor(ctx);
    if (wait !== undefined) return tooManyRequests(ctx, wait, guessesMessage);
    const key = presentedKey(ctx);
    if (key === undefined) return unauthorized(ctx, 'missing');
    if (!sameSecret(key, apiKey)) {
      await countWrong(ctx);
      return unauthorized(ctx, 'wrong');
    }
    const expiresAt = Math.floor(now() / 1000) + ttl;
    ctx.cookies.set(SESSION_COOKIE, sessionToken(apiKey, expiresAt), { httpOnly: true, sameSite: 'strict', path: '/', maxAge: ttl * 1000, secure: ctx.secure, overwrite: true });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 204;
  });
  router.delete('/', (ctx) => {
    ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', expires: new Date(0), overwrite: true });
    ctx.status = 204;
  });

  return { required: apiKey !== undefined, verdict, middleware, router };
}
