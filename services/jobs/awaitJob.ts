/**
 * Waiting for a job to finish without polling the store per request: the waiter subscribes to the
 * process's change feed for its job id, then reads the row once (the job may have finished already);
 * after that only the feed wakes it. One timer per waiter bounds the wait.
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
}

const terminal = (state: string) => finishedJobStates.has(state);

/**
 * Resolves with the job's row once it is `done`, `failed` or `cancelled`. Rejects with NotFoundError for an
 * unknown job, WaitTimeoutError after `timeoutMs`, or the abort reason when `signal` aborts.
 */
export async function awaitJob(deps: { store: EventStore; feed: ChangeFeed }, jobId: string, options: AwaitOptions = {}): Promise<ReadModelRow> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { signal } = options;
  signal?.throwIfAborted();
  await deps.feed.ready();
  return new Promise<ReadModelRow>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onRow = (row: ReadModelRow) => {
      if (terminal(row.state)) finish(() => resolve(row));
    };
    const onAbort = () => finish(() => reject(signal?.reason));
    // Subscribe before reading, so a change between the read and the subscription is not lost.
    const unsubscribe = deps.feed.subscribeJob(jobId, onRow);
    const timer = setTimeout(() => finish(() => reject(new WaitTimeoutError(jobId, timeoutMs))), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    getJobRow(deps.store, jobId).then(onRow, (error: unknown) => finish(() => reject(error)));
  });
}
