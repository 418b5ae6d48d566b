/**
 * One log line per lifecycle step of a job or an instance, from the change feed: the ids, the state
 * it reached and the durations known at that point. A row that changed without changing state (a
 * heartbeat, an empty poll) is not logged; the memory of last states forgets finished streams.
 */
import type { ChangeEvent } from '../../services/api.ts';
import type { Logger } from './logger.ts';

const between = (from: string | null, to: string | null): number | undefined => {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
};

/** Drops undefined and null fields (shorter lines). */
function compact(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}

const finishedJob = new Set(['done', 'failed', 'cancelled']);
const finishedInstance = new Set(['terminated']);

/** A listener for `services.onChange` that logs each state change once. */
export function lifecycleLogger(logger: Logger): (change: ChangeEvent) => void {
  const last = new Map<string, string>();
  const jobLog = logger.child({ component: 'jobs' });
  const instanceLog = logger.child({ component: 'instances' });
  return (change) => {
    const key = `${change.kind}:${change.row.id}`;
    if (last.get(key) === change.row.state) return;
    const finished = change.kind === 'job' ? finishedJob.has(change.row.state) : finishedInstance.has(change.row.state);
    if (finished) last.delete(key);
    else last.set(key, change.row.state);
    if (last.size > 50_000) last.delete(last.keys().next().value as string);

    if (change.kind === 'job') {
      const j = change.row;
      const fields = compact({
        event: 'job',
        jobId: j.id,
        state: j.state,
        attempt: j.attempts || undefined,
        instanceId: j.instanceId,
        source: j.source,
        label: j.state === 'done' ? j.label : undefined,
        queuedMs: j.timings.queuedMs,
        processingMs: j.timings.processingMs,
        totalMs: j.timings.totalMs,
        modelMs: j.timings.modelMs,
        error: j.error?.code,
      });
      if (j.state === 'failed') jobLog.warn(fields, `job ${j.state}`);
      else jobLog.info(fields, `job ${j.state}`);
      return;
    }
    const i = change.row;
    const fields = compact({
      event: 'instance',
      instanceId: i.id,
      state: i.state,
      providerId: i.providerId,
      bootMs: i.state === 'polling' || i.state === 'working' ? between(i.requestedAt, i.bootedAt) : undefined,
      jobsDone: i.jobsDone || undefined,
      jobsFailed: i.jobsFailed || undefined,
      reason: i.terminationReason,
      forced: i.forced || undefined,
      livedMs: i.state === 'terminated' ? between(i.requestedAt, i.terminatedAt) : undefined,
    });
    if (i.state === 'lost' || i.forced) instanceLog.warn(fields, `instance ${i.state}`);
    else instanceLog.info(fields, `instance ${i.state}`);
  };
}
