/**
 * Searching the job history: the job list filtered by state (in the store), and by file name,
 * label and submission time (here, over the store's pages, newest first). The work per request is
 * bounded: at most MAX_SCANNED rows are read; a search that stops there answers what it found with
 * `next`, so the client can go on from where it stopped. Works over any EventStore (it only pages).
 */
import { z } from 'zod';
import type { EventStore } from '../../adapters/ports.ts';
import { jobStates, ValidationError, type ReadModelRow } from '../../machines/index.ts';
import { str } from '../contextFields.ts';
import { jobView, type JobView } from './getJob.ts';
import { listJobs, parseListInput, type ListInput } from './listJobs.ts';

/** A search as it arrives from a client (query-string values). */
export interface JobSearchInput extends ListInput {
  /** Part of the file name, any case. */
  file?: string;
  /** The job's label (the largest face's name, `unknown` or `no-face`), any case. */
  label?: string;
  /** Submitted at or after (ISO 8601). */
  from?: string;
  /** Submitted before (ISO 8601). */
  to?: string;
}

export interface JobSearchPage {
  items: JobView[];
  /** Where to go on (absent on the last page). */
  next?: string;
  /** How many rows this request read to find `items` (only when filtered). */
  scanned?: number;
}

/** Most rows one search request reads. */
export const MAX_SCANNED = 2000;

const isoTime = (name: string) =>
  z
    .string()
    .max(40)
    .refine((text) => !Number.isNaN(Date.parse(text)), `${name} must be a date and time (ISO 8601, e.g. 2026-12-02T19:00:00Z)`)
    .transform((text) => Date.parse(text));

const filtersSchema = z
  .object({
    file: z.string().max(200, 'file must be at most 200 characters').optional(),
    label: z.string().max(100, 'label must be at most 100 characters').optional(),
    from: isoTime('from').optional(),
    to: isoTime('to').optional(),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from < f.to, 'from must be before to');

type Filters = z.output<typeof filtersSchema>;

/** Checks the filters; an empty value is no filter. Throws ValidationError (400) in one sentence. */
export function parseFilters(input: JobSearchInput): Filters {
  const given = Object.fromEntries(Object.entries({ file: input.file, label: input.label, from: input.from, to: input.to }).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = filtersSchema.safeParse(given);
  if (!parsed.success) throw new ValidationError(parsed.error.issues[0]?.message ?? 'The search is not valid.');
  return parsed.data;
}


/** True when the row passes the filters. Pure. */
export function matchesFilters(row: ReadModelRow, filters: Filters): boolean {
  if (filters.file !== undefined && !(str(row.context.fileName) ?? '').toLowerCase().includes(filters.file.toLowerCase())) return false;
  if (filters.label !== undefined && (str(row.context.label) ?? '').toLowerCase() !== filters.label.toLowerCase()) return false;
  const submitted = Date.parse(str(row.context.submittedAt) ?? row.createdAt);
  if (filters.from !== undefined && !(submitted >= filters.from)) return false;
  return filters.to === undefined || submitted < filters.to;
}

/** One page of the jobs that match, newest first. ValidationError for a bad state, limit or filter. */
export async function searchJobs(store: EventStore, input: JobSearchInput = {}): Promise<JobSearchPage> {
  const query = parseListInput(input, jobStates);
  const filters = parseFilters(input);
  // No filter: the plain list, answered exactly as before.
  if (Object.keys(filters).length === 0) return listJobs(store, input);
  const items: JobView[] = [];
  let cursor = query.cursor;
  let scanned = 0;
  for (;;) {
    // Each store page is read whole and only as large as what is still missing, so its own cursor
    // is exactly where the next search goes on.
    const want = Math.min(query.limit - items.length, MAX_SCANNED - scanned);
    const page = await store.list({ kind: 'job', ...(query.state ? { state: query.state } : {}), limit: want, ...(cursor === undefined ? {} : { cursor }) });
    scanned += page.items.length;
    let older = false;
    for (const row of page.items) {
      if (matchesFilters(row, filters)) items.push(jobView(row));
      // Rows come newest first by creation: once they are older than `from`, none later can match.
      if (filters.from !== undefined && Date.parse(row.createdAt) < filters.from) older = true;
    }
    cursor = page.next;
    if (cursor === undefined || older) return { items, scanned };
    if (items.length >= query.limit || scanned >= MAX_SCANNED) return { items, next: cursor, scanned };
  }
}
