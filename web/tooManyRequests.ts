/** The one 429 answer of the edge: JSON error, `Retry-After` in whole seconds, the body left unread. */
import type { Context } from 'koa';
import { discardBody } from './security.ts';

export function tooManyRequests(ctx: Context, retryAfterMs: number, message: string): void {
  ctx.status = 429;
  ctx.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = { error: { code: 'too-many-requests', message } };
  discardBody(ctx);
}
