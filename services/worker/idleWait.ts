/**
 * The worker's long-poll wait while it may be idling, as a pure function: the real loop
 * (worker.ts) and the fleet simulator (services/simulate) both call it, so the moment an idle
 * worker looks at the queue for the last time is decided in one place.
 */

/** The shortest poll while idle: the decision needs at least one look at the queue. */
export const minIdleWaitSeconds = 0.05;

/** What of the instance's folded context the wait depends on. */
export interface IdleWaitContext {
  idleSeconds: number | null;
  /** ISO time since when the instance has found no work; null while working. */
  emptySince: string | null;
}

/**
 * Seconds of the next long poll at `nowMs`: the configured wait, shortened while idle to what is
 * left of the instance's idle time (plus 20 ms, so that the empty poll that ends it can already be
 * the last), never below minIdleWaitSeconds. Without an idle time it is the configured wait.
 */
export function idleWaitSeconds(pollWaitSeconds: number, context: IdleWaitContext, nowMs: number): number {
  if (context.idleSeconds === null || context.emptySince === null) return pollWaitSeconds;
  const leftMs = Date.parse(context.emptySince) + context.idleSeconds * 1000 - nowMs;
  return Math.min(pollWaitSeconds, Math.max(minIdleWaitSeconds, (leftMs + 20) / 1000));
}
