/**
 * The fleet over a past time range, from the stored events rather than from samples: every state
 * period of every instance alive in the range (from its replayed stream, so a half-second `working`
 * period is exactly half a second), and the backlog — jobs waiting and jobs being processed — as
 * change points from the jobs' submission, start and finish times. What the inspector's chart draws,
 * whenever the tab was opened. The work per request is bounded: at most MAX_INSTANCES instance
 * streams and MAX_JOBS job rows are read; `truncated` says when a bound cut the answer.
 */
import type { EventStore } from '../../adapters/ports.ts';
import { finishedJobStates, replay, streamName, ValidationError, type ReadModelRow, type StreamKind } from '../../machines/index.ts';
import { str } from '../contextFields.ts';

/** The ranges a chart may ask for. */
export const FLEET_RANGES = { '5m': 5 * 60_000, '1h': 60 * 60_000, '24h': 24 * 60 * 60_000 } as const;
export type FleetRange = keyof typeof FLEET_RANGES;

/** Most instance streams replayed per request. */
export const MAX_INSTANCES = 200;
/** Most job rows read per request. */
export const MAX_JOBS = 5000;

export interface StatePeriod {
  state: string;
  /** ISO start, clipped to the range. */
  from: string;
  /** ISO end, clipped to the range. */
  to: string;
}

export interface BacklogPoint {
  at: string;
  /** Jobs submitted and not yet started. */
  queued: number;
  /** Jobs started and not yet finished. */
  processing: number;
}

export interface FleetHistory {
  range: FleetRange;
  from: string;
  to: string;
  instances: Array<{ id: string; periods: StatePeriod[] }>;
  /** The backlog at `from`, then at each change in the range. */
  backlog: BacklogPoint[];
  truncated: { instances: boolean; jobs: boolean };
}

/** States in which an instance holds no capacity: it is over. */
const ENDED = new Set(['terminated', 'lost']);
const FINAL_JOB = finishedJobStates;

/** The range named by a query value (default 5m); ValidationError for any other. */
export function parseRange(value: string | undefined): FleetRange {
  if (value === undefined || value === '') return '5m';
  if (Object.hasOwn(FLEET_RANGES, value)) return value as FleetRange;
  throw new ValidationError(`range must be one of ${Object.keys(FLEET_RANGES).join(', ')} (got ${JSON.stringify(value.slice(0, 20))}).`);
}

/**
 * Rows of a kind, newest first, until `enough` says stop or `max` rows were read.
 * @returns the rows read and whether the bound cut the scan
 */
async function scan(store: EventStore, kind: StreamKind, max: number, stop: (row: ReadModelRow) => boolean): Promise<{ rows: ReadModelRow[]; cut: boolean }> {
  const rows: ReadModelRow[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.list({ kind, limit: Math.min(500, max - rows.length), ...(cursor === undefined ? {} : { cursor }) });
    for (const row of page.items) {
      if (stop(row)) return { rows, cut: false };
      rows.push(row);
    }
    cursor = page.next;
    if (cursor === undefined) return { rows, cut: false };
    if (rows.length >= max) return { rows, cut: true };
  }
}

/**
 * The state periods of one instance stream, clipped to [from, to]. Pure.
 * @param steps the replayed steps (time and state after each)
 */
export function statePeriods(steps: ReadonlyArray<{ at: string; stateAfter: string }>, from: number, to: number): StatePeriod[] {
  const periods: StatePeriod[] = [];
  steps.forEach((step, i) => {
    const start = Date.parse(step.at);
    const next = steps[i + 1];
    const end = next ? Date.parse(next.at) : to;
    if (ENDED.has(step.stateAfter)) return;
    const a = Math.max(start, from);
    const b = Math.min(end, to);
    if (!(b > a)) return;
    const last = periods.at(-1);
    // Events that keep the state (heartbeats, empty polls) continue the period.
    if (last && last.state === step.stateAfter && Date.parse(last.to) === a) last.to = new Date(b).toISOString();
    else periods.push({ state: step.stateAfter, from: new Date(a).toISOString(), to: new Date(b).toISOString() });
  });
  return periods;
}

/**
 * The backlog as change points from job times, starting with its value at `from`. Pure.
 * A retried job counts from its submission to its last start (the earlier attempts are not split).
 */
export function backlogPoints(jobs: ReadonlyArray<{ submittedAt: number; startedAt: number | null; finishedAt: number | null }>, from: number, to: number): BacklogPoint[] {
  const changes: Array<[number, number, number]> = [];
  for (const job of jobs) {
    const started = job.startedAt ?? job.finishedAt; // failed before any start: it waited until then
    changes.push([job.submittedAt, +1, 0]);
    if (started !== null) changes.push([started, -1, job.startedAt === null ? 0 : +1]);
    if (job.finishedAt !== null && job.startedAt !== null) changes.push([job.finishedAt, 0, -1]);
  }
  changes.sort((a, b) => a[0] - b[0]);
  let queued = 0;
  let processing = 0;
  const points: BacklogPoint[] = [];
  let i = 0;
  for (; i < changes.length && (changes[i]?.[0] ?? Infinity) <= from; i += 1) {
    queued += changes[i]?.[1] ?? 0;
    processing += changes[i]?.[2] ?? 0;
  }
  points.push({ at: new Date(from).toISOString(), queued, processing });
  for (; i < changes.length; i += 1) {
    const [at, dq, dp] = changes[i] as [number, number, number];
    if (at > to) break;
    queued += dq;
    processing += dp;
    const last = points.at(-1);
    if (last && Date.parse(last.at) === at) Object.assign(last, { queued, processing });
    else points.push({ at: new Date(at).toISOString(), queued, processing });
  }
  return points;
}

const time = (value: unknown): number | null => {
  const text = str(value);
  const ms = text ? Date.parse(text) : NaN;
  return Number.isFinite(ms) ? ms : null;
};

/** The fleet and its backlog over the range that ends `now`. ValidationError for an unknown range. */
export async function fleetHistory(deps: { store: EventStore; now: () => Date }, rangeValue?: string): Promise<FleetHistory> {
  const range = parseRange(rangeValue);
  const to = deps.now().getTime();
  const from = to - FLEET_RANGES[range];

  // Instances: newest first; one created before the range matters only while it was still running in it.
  const alive = (row: ReadModelRow) => !ENDED.has(row.state) || Date.parse(row.updatedAt) >= from;
  const instances = await scan(deps.store, 'instance', MAX_INSTANCES, () => false);
  const chosen = instances.rows.filter(alive);
  const periods = await Promise.all(
    chosen.map(async (row) => {
      const stream = streamName('instance', row.id);
      const steps = replay(stream, await deps.store.read(stream)).steps.filter((step) => !step.problem);
      return { id: row.id, periods: statePeriods(steps, from, to) };
    }),
  );

  // Jobs: newest first; the scan stops at a job that was over before the range began and older.
  const jobs = await scan(deps.store, 'job', MAX_JOBS, (row) => Date.parse(row.createdAt) < from - FLEET_RANGES[range] && FINAL_JOB.has(row.state));
  const times = jobs.rows.flatMap((row) => {
    const submittedAt = time(row.context.submittedAt) ?? Date.parse(row.createdAt);
    const finishedAt = time(row.context.finishedAt);
    if (finishedAt !== null && finishedAt < from) return [];
    return [{ submittedAt, startedAt: time(row.context.startedAt), finishedAt }];
  });

  return {
    range,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    instances: periods.filter((p) => p.periods.length > 0),
    backlog: backlogPoints(times, from, to),
    truncated: { instances: instances.cut, jobs: jobs.cut },
  };
}
