/**
 * A job's history: its stored events and the state after each, from the same `replay` the CLI and
 * the inspector use. A damaged history is shown with its problems rather than refused.
 */
import type { EventStore } from '../../adapters/ports.ts';
import { checkId } from './getJob.ts';
import { NotFoundError, ValidationError, replay, streamName, type ReplayStep, type StreamKind } from '../../machines/index.ts';

export interface History {
  id: string;
  stream: string;
  /** The state after the last event. */
  state: string;
  seq: number;
  /** At most `limit` steps, from the requested seq on. */
  steps: ReplayStep[];
  /** How many steps the whole history has. */
  total: number;
  /** The seq to ask `from` for the next page, or null when this page ends the history. */
  next: number | null;
  problems: Array<{ seq: number; type: string; reason: string }>;
}

/** Which part of a history to answer: steps with seq ≥ `from`, at most `limit` of them. */
export interface HistoryPage {
  from?: string | number;
  limit?: string | number;
}

export const DEFAULT_HISTORY_LIMIT = 1000;
export const MAX_HISTORY_LIMIT = 5000;

function parsePage(page: HistoryPage): { from: number; limit: number } {
  const whole = (value: string | number | undefined, name: string, min: number, max: number, fallback: number): number => {
    if (value === undefined || value === '') return fallback;
    const n = typeof value === 'number' ? value : /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ValidationError(`${name} must be an integer from ${min} to ${max}.`);
    return n;
  };
  return { from: whole(page.from, 'from', 1, 999_999_999, 1), limit: whole(page.limit, 'limit', 1, MAX_HISTORY_LIMIT, DEFAULT_HISTORY_LIMIT) };
}

/**
 * Replays the stream of a job or instance and answers one page of its steps (the fold always runs
 * over the whole stream, so `state` is the current one); NotFoundError when it has no events,
 * ValidationError for a bad page.
 */
export async function streamHistory(store: EventStore, kind: StreamKind, id: string, page: HistoryPage = {}): Promise<History> {
  checkId(kind, id);
  const { from, limit } = parsePage(page);
  const stream = streamName(kind, id);
  const events = await store.read(stream);
  if (events.length === 0) throw new NotFoundError(`There is no ${kind} ${JSON.stringify(id)}.`);
  const replayed = replay(stream, events);
  const start = replayed.steps.findIndex((step) => step.seq >= from);
  const steps = start < 0 ? [] : replayed.steps.slice(start, start + limit);
  const after = start < 0 ? undefined : replayed.steps[start + limit];
  return { id, stream, state: replayed.final.state, seq: replayed.final.seq, steps, total: replayed.steps.length, next: after ? after.seq : null, problems: replayed.problems };
}

/** The job's events, each with the state before and after it (one page). */
export function jobHistory(store: EventStore, jobId: string, page: HistoryPage = {}): Promise<History> {
  return streamHistory(store, 'job', jobId, page);
}
