/**
 * A per-client limit on submissions (`POST /`, `POST /v1/jobs`, `POST /v1/verify`): each one stores
 * an image and appends a job, so one client could fill the disk and the queue for everyone. Counted
 * per client address in a fixed one-minute window (rate-limiter-flexible, in memory — per web
 * process); past it, 429 with `Retry-After`, nothing stored. 0 turns the limit off.
 */
import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from './tooManyRequests.ts';

const submissionPaths = new Set(['/', '/v1/jobs', '/v1/verify']);

export function submissionLimit(perMinute: number): Middleware {
  if (perMinute <= 0) return (_ctx, next) => next();
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !submissionPaths.has(ctx.path)) return next();
    try {
      await limiter.consume(ctx.ip);
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      return tooManyRequests(ctx, refused.msBeforeNext, `More than ${perMinute} submissions a minute from this client; wait and try again.`);
    }
    return next();
  };
}
