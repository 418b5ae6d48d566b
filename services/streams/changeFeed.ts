/**
 * The one change feed of a web process. A single loop reads `store.changes()` every `pollMs` (and at
 * once when a response-queue message says a job finished) and hands each changed read model row to
 * its subscribers: SSE clients (every row) and waiting requests (the rows of one job). However many
 * clients wait, the store sees one query per poll — nobody polls the store per request.
 *
 * The store's feed coalesces: it returns each changed row once, in its latest state, so a job that
 * went queued → processing → done between two polls shows up as `done` only. While anyone listens
 * to every change (SSE clients), the feed fills such a gap from the stream itself (read, fold, and
 * emit the row after each missed event), so every state change is delivered, in order.
 *
 * A second loop drains the response queue with long polls and deletes what it reads: those messages
 * are only wake-ups, the event streams are the truth. Each one pokes the poll loop and wakes the
 * waiters of its job (they re-read their row: a reply never depends on the feed's order).
 */
import type { EventStore, Queue } from '../../adapters/ports.ts';
import { fold, toReadModel, type ReadModelRow } from '../../machines/index.ts';
import { parseMessage, responseMessage } from '../jobs/messages.ts';

export type RowListener = (row: ReadModelRow) => void;

export interface ChangeFeed {
  /** Resolves once the feed holds its starting cursor: every change after this is delivered. Starts the feed. */
  ready(): Promise<void>;
  /** Every changed row, oldest first. Returns the unsubscribe function. */
  subscribe(listener: RowListener): () => void;
  /**
   * The changed rows of one job, and (`onWake`) each response-queue message naming it (the job
   * finished somewhere: re-read it). Returns the unsubscribe function.
   */
  subscribeJob(jobId: string, listener: RowListener, onWake?: () => void): () => void;
  /** Reads the store now instead of at the next tick. */
  poke(): void;
  /** How many listeners are attached (tests check that none is left behind). */
  listenerCount(): number;
  /** Stops both loops and drops every listener. */
  close(): Promise<void>;
}

export interface ChangeFeedOptions {
  store: EventStore;
  /** The response queue to drain; omit to rely on polling alone. */
  responses?: Queue;
  /** Store poll period (default 100 ms). */
  pollMs?: number;
  /** Rows per read (default 500). */
  batch?: number;
  /** Long-poll seconds on the response queue (default 20). */
  waitSeconds?: number;
  /** Told about a failed read (the loop retries). */
  onError?: (error: unknown) => void;
}

/** Creates the feed; it starts on the first `ready()` or subscription. */
export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { store, responses } = options;
  const pollMs = options.pollMs ?? 100;
  const batch = options.batch ?? 500;
  const waitSeconds = options.waitSeconds ?? 20;
  const onError = options.onError ?? (() => undefined);
  const all = new Set<RowListener>();
  const byJob = new Map<string, Set<RowListener>>();
  const wakers = new Map<string, Set<() => void>>();
  const abort = new AbortController();
  let closed = false;
  let started: Promise<void> | undefined;
  let loops: Promise<unknown> = Promise.resolve();
  let wake: (() => void) | undefined;
  let poked = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (poked || closed) {
        poked = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        poked = false;
        resolve();
      }
      wake = done;
    });

  // The last seq delivered per stream (insertion-ordered, so the oldest is evicted first).
  const delivered = new Map<string, number>();
  const MAX_REMEMBERED = 20_000;
  let startedAtMs = Number.POSITIVE_INFINITY;

  function remember(stream: string, seq: number) {
    delivered.delete(stream);
    delivered.set(stream, seq);
    if (delivered.size > MAX_REMEMBERED) delivered.delete(delivered.keys().next().value as string);
  }

  /** The rows for every event of `row`'s stream not yet delivered, ending with `row` itself. */
  async function withMissed(row: ReadModelRow): Promise<ReadModelRow[]> {
    const seen = delivered.get(row.stream);
    // A stream first seen now: if it was created after the feed started, all of it is new.
    const known = seen ?? (Date.parse(row.createdAt) >= startedAtMs ? 0 : row.seq - 1);
    if (row.seq <= known) return [];
    remember(row.stream, row.seq);
    if (row.seq === known + 1) return [row];
    try {
      const rows: ReadModelRow[] = [];
      const missed = (await store.read(row.stream)).filter((event) => event.seq < row.seq);
      fold(row.stream, missed, undefined, (state) => {
        if (state.seq > known) rows.push(toReadModel(row.stream, state));
      });
      rows.push(row);
      return rows;
    } catch (error) {
      onError(error);
      return [row];
    }
  }

  async function dispatch(rows: readonly ReadModelRow[]) {
    for (const row of rows) {
      if (all.size > 0) {
        for (const each of await withMissed(row)) for (const listener of [...all]) safely(listener, each);
      }
      if (row.kind !== 'job') continue;
      const listeners = byJob.get(row.id);
      if (listeners) for (const listener of [...listeners]) safely(listener, row);
    }
  }

  function safely<T>(listener: (value: T) => void, row: T) {
    try {
      listener(row);
    } catch (error) {
      onError(error);
    }
  }

  async function firstCursor(): Promise<string> {
    // A second early, so a stream created by a clock slightly behind ours still counts as new.
    startedAtMs = Date.now() - 1000;
    for (;;) {
      try {
        return (await store.changes()).cursor;
      } catch (error) {
        if (closed) throw error;
        onError(error);
        await sleep(Math.max(pollMs, 500));
      }
    }
  }

  async function pollLoop(cursor: string) {
    while (!closed) {
      try {
        for (;;) {
          const page = await store.changes(cursor, batch);
          cursor = page.cursor;
          if (!closed) await dispatch(page.rows);
          if (page.rows.length < batch || closed) break;
        }
      } catch (error) {
        if (!closed) onError(error);
      }
      await sleep(pollMs);
    }
  }

  async function drainLoop(queue: Queue) {
    while (!closed) {
      try {
        const messages = await queue.receive({ maxMessages: 10, waitSeconds, signal: abort.signal });
        if (messages.length === 0) continue;
        poke();
        for (const message of messages) {
          const jobId = parseMessage(responseMessage, message.body)?.jobId;
          const listeners = jobId === undefined ? undefined : wakers.get(jobId);
          if (listeners) for (const listener of [...listeners]) safely(() => listener(), undefined);
        }
        await Promise.all(messages.map((m) => queue.delete(m.receiptHandle)));
      } catch (error) {
        if (closed) break;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  function poke() {
    poked = true;
    wake?.();
  }

  function start(): Promise<void> {
    if (!started) {
      started = firstCursor().then((cursor) => {
        loops = Promise.all([pollLoop(cursor), responses ? drainLoop(responses) : undefined]);
      });
      started.catch(() => undefined);
    }
    return started;
  }

  return {
    ready: start,
    subscribe(listener) {
      all.add(listener);
      void start();
      return () => all.delete(listener);
    },
    subscribeJob(jobId, listener, onWake) {
      let set = byJob.get(jobId);
      if (!set) byJob.set(jobId, (set = new Set()));
      set.add(listener);
      let wakeSet: Set<() => void> | undefined;
      if (onWake) {
        wakeSet = wakers.get(jobId);
        if (!wakeSet) wakers.set(jobId, (wakeSet = new Set()));
        wakeSet.add(onWake);
      }
      void start();
      return () => {
        set.delete(listener);
        if (set.size === 0 && byJob.get(jobId) === set) byJob.delete(jobId);
        if (wakeSet && onWake) {
          wakeSet.delete(onWake);
          if (wakeSet.size === 0 && wakers.get(jobId) === wakeSet) wakers.delete(jobId);
        }
      };
    },
    poke,
    listenerCount() {
      let n = all.size;
      for (const set of byJob.values()) n += set.size;
      return n;
    },
    async close() {
      if (closed) return;
      closed = true;
      abort.abort();
      poke();
      all.clear();
      byJob.clear();
      wakers.clear();
      await started?.catch(() => undefined);
      await loops;
    },
  };
}
