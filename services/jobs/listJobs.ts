/**
 * Listing read model rows page by page, and counting them by state. Shared by jobs and instances:
 * the query is checked here (state name, limit), once, and the store pages by its opaque cursor.
 */
import type { EventStore, Page } from '../../adapters/ports.ts';
import { jobStates, ValidationError, type ReadModelRow, type StreamKind } from '../../machines/index.ts';
import { jobView, type JobView } from './getJob.ts';

/** A list query as it arrives from a client (query-string values). */
export interface ListInput {
  state?: string;
  limit?: string | number;
  cursor?: string;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** Checks a list query against the kind's states; throws ValidationError (400) saying what is wrong. */
export function parseListInput(input: ListInput, states: readonly string[]): { state?: string[]; limit: number; cursor?: string } {
  const out: { state?: string[]; limit: number; cursor?: string } = { limit: DEFAULT_LIMIT };
  if (input.state !== undefined && input.state !== '') {
    const wanted = input.state.split(',').map((s) => s.trim());
    const unknown = wanted.find((s) => !states.includes(s));
    if (unknown !== undefined) throw new ValidationError(`state must be one of ${states.join(', ')} (got ${JSON.stringify(unknown)}).`);
    out.state = wanted;
  }
  if (input.limit !== undefined && input.limit !== '') {
    // Plain decimal digits only: Number() would also take "0x10", "1e2" or " 5 ".
    const limit = typeof input.limit === 'number' ? input.limit : /^[0-9]{1,4}$/.test(input.limit) ? Number(input.limit) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIMIT}.`);
    out.limit = limit;
  }
  if (input.cursor !== undefined && input.cursor !== '') out.cursor = input.cursor;
  return out;
}

/** One page of rows of a kind. */
export async function listRows(store: EventStore, kind: StreamKind, input: ListInput, states: readonly string[]): Promise<Page<ReadModelRow>> {
  const query = parseListInput(input, states);
  return store.list({ kind, ...query });
}

/** One page of jobs, newest first: `{ items, next }` (no `next` on the last page). */
export async function listJobs(store: EventStore, input: ListInput = {}): Promise<{ items: JobView[]; next?: string }> {
  const page = await listRows(store, 'job', input, jobStates);
  return page.next === undefined ? { items: page.items.map(jobView) } : { items: page.items.map(jobView), next: page.next };
}

/** Jobs per state, every state present (0 when none). */
export async function countJobs(store: EventStore): Promise<Record<string, number>> {
  return withZeros(await store.counts('job'), jobStates);
}

/** `counts` with every state of the kind present. */
export function withZeros(counts: Record<string, number>, states: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of states) if (s !== 'new') out[s] = counts[s] ?? 0;
  for (const [s, n] of Object.entries(counts)) if (!(s in out)) out[s] = n;
  return out;
}
