/**
 * Repairing jobs that wait for a message that no longer exists: a job whose `JobSubmitted` was
 * stored but whose request message was never sent (the process died in between, or the send
 * failed), and a `processing` job whose message was deleted while it still ran (on SQS a delete with
 * a stale receipt handle can remove the live message, and a worker that then dies leaves the job
 * `processing` with nothing left to redeliver it).
 *
 * The rule, kept simple: messages that exist = the request queue's visible + in-flight count; jobs
 * that need one = queued + processing jobs. When fewer messages exist than jobs need, up to that
 * many of the oldest queued or processing jobs that have not changed for `olderThanMs` get their
 * message re-sent (a worker receiving a `processing` job's message requeues and restarts it).
 * A duplicate is harmless (delivery is at-least-once; a worker's JobStarted for an attempt already
 * taken loses the version race, and a finished job is skipped), so erring towards re-sending is safe.
 * The supervisor calls this periodically.
 */
import type { EventStore, Queue } from '../../adapters/ports.ts';
import type { ReadModelRow } from '../../machines/index.ts';
import type { Clock } from '../clock.ts';
import type { RequestMessage } from './messages.ts';

export interface RequeueOptions {
  /** A queued or processing job must be unchanged for this long to count as orphaned (default 5 minutes). */
  olderThanMs?: number;
  /** Look at most this many queued jobs per call (default 5,000). */
  scanLimit?: number;
}

export interface RequeueOutcome {
  /** Messages missing by the count rule (0 when the queue holds enough). */
  missing: number;
  /** The jobs whose message was re-sent. */
  resent: string[];
}

/** Re-sends the request message of queued and processing jobs that have none (see the module comment). */
export async function requeueOrphans(
  deps: { store: EventStore; requests: Queue; clock: Clock },
  options: RequeueOptions = {},
): Promise<RequeueOutcome> {
  const olderThanMs = options.olderThanMs ?? 5 * 60_000;
  const scanLimit = options.scanLimit ?? 5000;
  const [counts, depth] = await Promise.all([deps.store.counts('job', ['queued', 'processing']), deps.requests.depth()]);
  const needed = (counts.queued ?? 0) + (counts.processing ?? 0);
  const missing = needed - (depth.visible + depth.inFlight);
  if (missing <= 0) return { missing: 0, resent: [] };

  const cutoff = deps.clock.now().getTime() - olderThanMs;
  const stale: ReadModelRow[] = [];
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await deps.store.list({ kind: 'job', state: ['queued', 'processing'], limit: 500, ...(cursor ? { cursor } : {}) });
    scanned += page.items.length;
    for (const row of page.items) if (Date.parse(row.updatedAt) <= cutoff) stale.push(row);
    cursor = page.next;
  } while (cursor && scanned < scanLimit);

  // Oldest first: the longest-waiting jobs are the likeliest orphans.
  stale.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  const resent: string[] = [];
  for (const row of stale.slice(0, missing)) {
    const message: RequestMessage = { jobId: row.id };
    await deps.requests.send(JSON.stringify(message));
    resent.push(row.id);
  }
  return { missing, resent };
}
