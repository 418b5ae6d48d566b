/**
 * The wait inside a long poll: park until something may have made a message receivable, then let
 * the caller try again. Nothing here sleeps on a fixed schedule when an event exists:
 * - a `send` on this connection fires the in-process notifier for the queue at once;
 * - a hidden or delayed message becomes visible at a known time, so a timer is set for it;
 * - another process (or connection) sharing the file cannot notify us, so every `recheckMs` the
 *   connection's `PRAGMA data_version` is compared: it only changes when someone else committed,
 *   which makes an idle re-check one cheap pragma and no query.
 */
import type { EventEmitter } from 'node:events';

export interface WakeSources {
  /** Emits the queue's name whenever a message may have become receivable on this connection. */
  notifier: EventEmitter;
  /** The connection's `PRAGMA data_version`. */
  dataVersion(): number;
  /** Epoch ms at which the earliest hidden or delayed message becomes visible, if any. */
  nextVisibleAt(): number | undefined;
  /** How often to look for commits by other connections. */
  recheckMs: number;
}

export interface WaitOptions {
  queue: string;
  /** The data_version read before the last (empty) attempt: any other change wakes at once. */
  sinceVersion: number;
  /** Epoch ms at which the poll gives up. */
  deadline: number;
  /** Any of these aborting ends the wait (the caller's signal, the connection closing). */
  signals: (AbortSignal | undefined)[];
}

/** Resolves when something may have changed, at the deadline, or when a signal aborts; never rejects. */
export function waitForChange(sources: WakeSources, options: WaitOptions): Promise<void> {
  return new Promise((resolve) => {
    const signals = options.signals.filter((s): s is AbortSignal => s !== undefined);
    if (signals.some((s) => s.aborted)) return resolve();

    const done = (): void => {
      sources.notifier.off(options.queue, done);
      for (const signal of signals) signal.removeEventListener('abort', done);
      clearInterval(recheck);
      clearTimeout(timer);
      resolve();
    };
    const wakeAt = Math.min(options.deadline, sources.nextVisibleAt() ?? Number.POSITIVE_INFINITY);
    // +1 ms: the row is visible when visible_at <= now, so wake just after, not just before.
    const timer = setTimeout(done, Math.max(0, wakeAt - Date.now() + 1));
    const recheck = setInterval(() => {
      if (sources.dataVersion() !== options.sinceVersion) done();
    }, sources.recheckMs);
    sources.notifier.on(options.queue, done);
    for (const signal of signals) signal.addEventListener('abort', done, { once: true });
    return undefined;
  });
}
