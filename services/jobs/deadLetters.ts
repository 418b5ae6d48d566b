/**
 * Dead letters as users see them: the supervisor fails the job of every dead-lettered message
 * (code `dead-letter`) and deletes the message, so the dead letters are the failed jobs with that
 * code. Listing pages through the failed jobs and keeps those; a redrive appends `JobRedriven`
 * (failed → queued, the failure it leaves recorded on the event) and then sends a fresh request
 * message. Event before message, as on submit: a crash in between leaves a queued job without a
 * message, which `requeueOrphans` re-sends; a second redrive of the same job is refused by the
 * machine (it is no longer failed), so it never sends a second message.
 */
import { z } from 'zod';
import type { EventStore } from '../../adapters/ports.ts';
import { isId, streamName, ValidationError, type JobEventData, type ReadModelRow } from '../../machines/index.ts';
import { isoNow } from '../clock.ts';
import { jobView, type JobView } from './getJob.ts';
import { sendRequest, type ActionDeps } from './jobActions.ts';
import { parseListInput } from './listJobs.ts';
import { propose } from '../streams/propose.ts';

/** A failed job counts as a dead letter when its failure code is this. */
export const DEAD_LETTER_CODE = 'dead-letter';

/**
 * Bounds of one list request: failed jobs looked at, and store queries made (each asks for exactly
 * the rows still missing, so many other failures among few dead letters mean many small queries).
 * Past either, the page ends early — short, with a cursor to go on.
 */
const SCAN_LIMIT = 2000;
const QUERY_LIMIT = 20;

export interface DeadLetterPage {
  /** Dead-lettered jobs, newest first; each has `error.reason` and its attempts. */
  items: JobView[];
  /** Pass as `cursor` for the next page; absent on the last. */
  next?: string;
}

const isDeadLetter = (row: ReadModelRow) => (row.context.error as { code?: unknown } | null | undefined)?.code === DEAD_LETTER_CODE;

/**
 * One page of dead-lettered jobs (`limit` 1–500, default 50); a page may be short and still have a
 * `next` (see the bounds above). ValidationError for a bad limit.
 */
export async function listDeadLetters(store: EventStore, input: { limit?: string | number; cursor?: string } = {}): Promise<DeadLetterPage> {
  const query = parseListInput(input, []);
  const items: JobView[] = [];
  let cursor = query.cursor;
  let scanned = 0;
  let queries = 0;
  do {
    queries += 1;
    // Ask for exactly what is missing, so the store's cursor never skips a row we did not look at.
    const page = await store.list({ kind: 'job', state: ['failed'], limit: query.limit - items.length, ...(cursor ? { cursor } : {}) });
    scanned += page.items.length;
    for (const row of page.items) if (isDeadLetter(row)) items.push(jobView(row));
    cursor = page.next;
  } while (cursor && items.length < query.limit && scanned < SCAN_LIMIT && queries < QUERY_LIMIT);
  return cursor ? { items, next: cursor } : { items };
}

/** The body of `POST /v1/dead-letters/redrive`: at most `max` of them (newest first), or these job ids. */
export const redriveRequestSchema = z
  .object({
    max: z.number().int().min(1).max(500).optional(),
    jobIds: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
  })
  .strict()
  .refine((body) => !(body.max !== undefined && body.jobIds !== undefined), { message: 'give either max or jobIds, not both' });
export type RedriveRequest = z.infer<typeof redriveRequestSchema>;

export interface RedriveOutcome {
  /** Jobs queued again (their message sent). */
  redriven: string[];
  /** Jobs named in `jobIds` that were not dead letters (unknown, or in another state). */
  skipped: Array<{ jobId: string; reason: string }>;
}

/** Checks a redrive body; ValidationError (400) naming the problem. Default: up to 50 dead letters. */
export function parseRedriveRequest(body: unknown): RedriveRequest {
  const parsed = redriveRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new ValidationError(`Bad redrive request: ${where}${issue?.message ?? 'invalid'} (expected {"max": 1..500} or {"jobIds": ["…"]}).`);
  }
  return parsed.data;
}

/** The ids of up to `max` dead letters, newest first, over as many (possibly short) pages as it takes. */
async function newestDeadLetters(store: EventStore, max: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listDeadLetters(store, { limit: max - ids.length, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((job) => job.id));
    cursor = page.next;
  } while (cursor && ids.length < max);
  return ids;
}

/** Redrives one job if it is a dead letter now; resolves to why not otherwise. */
async function redriveOne(deps: ActionDeps, jobId: string): Promise<string | undefined> {
  if (!isId(jobId)) return 'there is no such job';
  const at = isoNow(deps.clock);
  let why: string | undefined;
  const { appended } = await propose(deps.store, streamName('job', jobId), (state) => {
    why = undefined;
    if (state.kind !== 'job' || state.state === 'new') why = 'there is no such job';
    else if (state.state !== 'failed' || state.context.error?.code !== DEAD_LETTER_CODE) why = `the job is ${state.state}, not dead-lettered`;
    if (why !== undefined || state.kind !== 'job') return null;
    const data: JobEventData<'JobRedriven'> = {
      maxAttempts: deps.maxAttempts,
      previousCode: state.context.error?.code ?? DEAD_LETTER_CODE,
      previousReason: state.context.error?.reason ?? '',
    };
    return [{ type: 'JobRedriven', at, data }];
  });
  if (appended.length === 0) return why ?? 'the job is not dead-lettered';
  await sendRequest(deps, jobId);
  return undefined;
}

/** Sends dead letters back to the request queue (see the module comment). */
export async function redriveDeadLetters(deps: ActionDeps, request: RedriveRequest): Promise<RedriveOutcome> {
  const ids = request.jobIds ?? (await newestDeadLetters(deps.store, request.max ?? 50));
  const outcome: RedriveOutcome = { redriven: [], skipped: [] };
  for (const jobId of new Set(ids)) {
    const why = await redriveOne(deps, jobId);
    if (why === undefined) outcome.redriven.push(jobId);
    else outcome.skipped.push({ jobId, reason: why });
  }
  return outcome;
}
