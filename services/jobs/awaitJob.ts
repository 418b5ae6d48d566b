/**
 * Waiting for a job to finish. The waiter subscribes to the process's change feed for its job id and
 * to the response-queue wake-ups of it, and re-reads its own job row with a consistent read on every
 * wake-up and at least once every `recheckMs` (1 s): a reply never depends on the feed delivering a
 * row (an eventually consistent index may show it late, or a feed may skip it), only on the row
 * being stored. One timer per waiter bounds the wait.
 */
import type { EventStore } from '../../adapters/ports.ts';
import { finishedJobStates, type ReadModelRow } from '../../machines/index.ts';
import type { ChangeFeed } from '../streams/changeFeed.ts';
import { getJobRow } from './getJob.ts';
import { WaitTimeoutError } from '../errors.ts';

export interface AwaitOptions {
  /** Give up waiting (the client went away); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Reject with WaitTimeoutError after this long (default 120 s). */
  timeoutMs?: number;
  /** Re-read the job at least this often even when nothing woke the waiter (default 1000 ms). */
  recheckMs?: number;
}

const terminal = (state: string) => finishedJobStates.has(state);

/**
 * Resolves with the job's row once it is `done`, `failed` or `cancelled`. Rejects with NotFoundError for an
 * unknown job, WaitTimeoutError after `timeoutMs`, or the abort reason when `signal` aborts.
 */
export async function awaitJob(deps: { store: EventStore; feed: ChangeFeed }, jobId: string, options: AwaitOptions = {}): Promise<ReadModelRow> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const recheckMs = Math.max(10, options.recheckMs ?? 1000);
  const { signal } = options;
  signal?.throwIfAborted();
  await deps.feed.ready();
  return new Promise<ReadModelRow>((resolve, reject) => {
    let settled = false;
    let reading = false;
    let readAgain = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      clearInterval(recheck);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onRow = (row: ReadModelRow) => {
      if (terminal(row.state)) finish(() => resolve(row));
    };
    /** A consistent read of the row; one at a time per waiter (a wake-up during a read reads again after it). */
    const reread = (first = false) => {
      if (settled) return;
      if (reading) {
        readAgain = true;
        return;
      }
      reading = true;
      getJobRow(deps.store, jobId).then(onRow, (error: unknown) => {
        // An unknown job is the caller's mistake; a later failed read is retried by the next tick.
        if (first) finish(() => reject(error));
      }).finally(() => {
        reading = false;
        if (readAgain) {
          readAgain = false;
          reread();
        }
      });
    };
    const onAbort = () => finish(() => reject(signal?.reason));
    // Subscribe before reading, so a change between the read and the subscription is not lost.
    const unsubscribe = deps.feed.subscribeJob(
      jobId,
      (row) => (terminal(row.state) ? onRow(row) : reread()),
      () => reread(),
    );
    const timer = setTimeout(() => finish(() => reject(new WaitTimeoutError(jobId, timeoutMs))), timeoutMs);
    const recheck = setInterval(() => reread(), recheckMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    reread(true);
  });
}
