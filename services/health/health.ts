/**
 * Whether the ports this process depends on answer: one cheap call each — a read model lookup of a
 * key that does not exist (store), the request queue's depth (queue), a head of a key that does not
 * exist (blobs) — run together, each bounded by a timeout. What failed is named, never why (the
 * reason is logged, not shown: it may hold hosts or paths). Readiness is health plus "not stopping":
 * what a load balancer asks before it sends this process traffic.
 */
import type { Blobs, EventStore, Queue } from '../../adapters/ports.ts';

export type HealthCheck = 'store' | 'queue' | 'blobs';

export interface Health {
  /** True when every check answered in time. */
  ok: boolean;
  checks: Record<HealthCheck, { ok: boolean; ms: number }>;
}

export interface HealthDeps {
  store: EventStore;
  requests: Queue;
  blobs: Blobs;
  /** How long one check may take, ms (default 2000). */
  timeoutMs?: number;
  /** Told why a check failed. */
  onWarning?: (message: string, error: unknown) => void;
}

/** A key no job, instance or blob has: ids are [A-Za-z0-9_-], so a dot never occurs in one. */
const probe = 'health.probe';

/** Runs the three checks; never throws. */
export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const run = async (name: HealthCheck, call: () => Promise<unknown>) => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([call(), timeout]);
      return [name, { ok: true, ms: Math.round(performance.now() - started) }] as const;
    } catch (error) {
      deps.onWarning?.(`health check ${name} failed`, error);
      return [name, { ok: false, ms: Math.round(performance.now() - started) }] as const;
    } finally {
      clearTimeout(timer);
    }
  };
  const results = await Promise.all([
    run('store', () => deps.store.get('job', probe)),
    run('queue', () => deps.requests.depth()),
    run('blobs', () => deps.blobs.head(`health/${probe}`)),
  ]);
  const checks = Object.fromEntries(results) as Health['checks'];
  return { ok: results.every(([, r]) => r.ok), checks };
}

export interface Readiness {
  /** True when the process takes traffic: not stopping, and every check answered. */
  ready: boolean;
  /** True once the process has begun to stop (it answers what it has, but takes nothing new). */
  stopping: boolean;
  /** The health checks; absent while stopping (nothing is asked of the ports then). */
  checks?: Health['checks'];
}

/** Readiness from the stopping flag and, when not stopping, the health checks; never throws. */
export async function checkReadiness(deps: HealthDeps & { stopping: () => boolean }): Promise<Readiness> {
  if (deps.stopping()) return { ready: false, stopping: true };
  const health = await checkHealth(deps);
  // Stopping may have begun while the checks ran.
  const stopping = deps.stopping();
  return { ready: health.ok && !stopping, stopping, checks: health.checks };
}
