/**
 * Turns a real run's read models (the folded job and instance streams of its event store) into a
 * recording the simulator can replay: arrivals (JobSubmitted times), boots (InstanceRequested →
 * InstanceBooted), service times, and what the run measured — latency percentiles (JobSubmitted →
 * job done) and instance-seconds (InstanceRequested → InstanceTerminated). Pure.
 *
 * A service time is how long a worker is taken by one job before it can take the next: on an
 * instance that went straight from one job to the next (the next was already queued when the first
 * finished) it is the time between the two JobStarted; for a job after which the worker waited, it
 * is JobStarted → JobCompleted plus the median hand-over (the part of the cycle outside it).
 */
import type { ReadModelRow } from '../../machines/index.ts';
import { median } from '../supervisor/idlePolicy.ts';
import type { Recording } from './recording.ts';

const t = (v: unknown): number | undefined => (typeof v === 'string' ? Date.parse(v) : undefined);

/** The q-quantile of sorted values by nearest rank (what a latency report states). */
export function nearestRank(sorted: readonly number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export function deriveRecording(
  meta: Pick<Recording, 'name' | 'description' | 'recordedAt' | 'command' | 'settings'>,
  jobs: readonly ReadModelRow[],
  instances: readonly ReadModelRow[],
): Recording {
  const done = jobs
    .map((j) => ({ submitted: t(j.context.submittedAt), started: t(j.context.startedAt), finished: t(j.context.finishedAt), instance: j.context.instanceId, state: j.state }))
    .filter((j): j is { submitted: number; started: number; finished: number; instance: string; state: string } => j.state === 'done' && j.submitted !== undefined && j.started !== undefined && j.finished !== undefined && typeof j.instance === 'string');
  if (!done.length) throw new Error('the run has no finished job');
  const first = Math.min(...done.map((j) => j.submitted));
  const latencies = done.map((j) => j.finished - j.submitted).sort((a, b) => a - b);

  // In submission order, so that a replay gives the i-th job the i-th job's real service time.
  done.sort((a, b) => a.submitted - b.submitted);
  const byInstance = new Map<string, typeof done>();
  for (const j of done) byInstance.set(j.instance, [...(byInstance.get(j.instance) ?? []), j]);
  const cycle = new Map<(typeof done)[number], number>();
  const handOvers: number[] = [];
  for (const list of byInstance.values()) {
    const byStart = [...list].sort((a, b) => a.started - b.started);
    byStart.forEach((j, i) => {
      const next = byStart[i + 1];
      if (next && next.submitted <= j.finished) {
        cycle.set(j, next.started - j.started);
        handOvers.push(next.started - j.finished);
      }
    });
  }
  const handOver = handOvers.length ? median(handOvers) : 0;
  const serviceMs = done.map((j) => Math.round((cycle.get(j) ?? j.finished - j.started + handOver) * 10) / 10);

  const launched = instances.filter((i) => t(i.context.requestedAt) !== undefined).sort((a, b) => (t(a.context.requestedAt) as number) - (t(b.context.requestedAt) as number));
  const bootMs = launched.map((i) => (t(i.context.bootedAt) ?? NaN) - (t(i.context.requestedAt) as number)).filter((ms) => Number.isFinite(ms) && ms >= 0);
  const instanceSeconds = launched.reduce((sum, i) => sum + ((t(i.context.terminatedAt) ?? NaN) - (t(i.context.requestedAt) as number)), 0) / 1000;
  if (!Number.isFinite(instanceSeconds)) throw new Error('an instance of the run has not terminated yet: record after the fleet is back to zero');
  if (!bootMs.length) throw new Error('no instance of the run booted');

  const rel = (v: unknown) => {
    const ms = t(v);
    return ms === undefined ? null : ms - first;
  };
  return {
    ...meta,
    instances: launched.map((i) => ({ requestedMs: rel(i.context.requestedAt) as number, bootedMs: rel(i.context.bootedAt), terminatedMs: rel(i.context.terminatedAt), jobs: byInstance.get(i.id)?.length ?? 0 })),
    arrivalsMs: done.map((j) => j.submitted - first),
    bootMs,
    reactionMs: Math.max(0, Math.min(...launched.map((i) => t(i.context.requestedAt) as number)) - first),
    serviceMs,
    measured: {
      latencyMs: { p50: nearestRank(latencies, 0.5), p95: nearestRank(latencies, 0.95), p99: nearestRank(latencies, 0.99) },
      instanceSeconds: Math.round(instanceSeconds * 1000) / 1000,
      launches: launched.length,
      jobs: done.length,
    },
  };
}
