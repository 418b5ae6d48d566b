/**
 * Progress while a run goes: on a TTY one bar redrawn in place; otherwise a plain line at most every
 * `intervalMs` (and at the end), so logs stay readable. Rendering is a pure function of the counts.
 */
import type { RunProgress } from './runner.ts';
import { formatMs } from './stats.ts';

/** The counts as one line; with `barWidth` > 0, led by a `[####----]` bar. */
export function renderProgressLine(p: RunProgress, barWidth = 0): string {
  const rate = p.elapsedMs > 0 ? p.finished / (p.elapsedMs / 1000) : 0;
  const counts = `${p.finished}/${p.total} done, ${p.ok} ok, ${p.failed} failed, ${p.wrong} wrong, ${p.inFlight} in flight, ${rate.toFixed(1)} req/s, ${formatMs(p.elapsedMs)}`;
  if (barWidth <= 0) return counts;
  const filled = p.total === 0 ? barWidth : Math.round((p.finished / p.total) * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${counts}`;
}

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressDisplay {
  update(p: RunProgress): void;
  /** Draws the last state and ends the line. */
  done(): void;
}

/**
 * A progress display on `sink` (default stderr). `now` gives milliseconds (for the plain lines'
 * interval). Quiet mode shows nothing.
 */
export function createProgress(sink: ProgressSink, options: { now: () => number; intervalMs?: number; quiet?: boolean }): ProgressDisplay {
  let last: RunProgress | undefined;
  let lastDrawn = -Infinity;
  const interval = options.intervalMs ?? (sink.isTTY ? 100 : 2000);
  const draw = () => {
    if (!last || options.quiet) return;
    if (sink.isTTY) {
      const width = Math.max(10, Math.min(30, (sink.columns ?? 80) - 90));
      sink.write(`\r\x1b[2K${renderProgressLine(last, width)}`);
    } else sink.write(`${renderProgressLine(last)}\n`);
  };
  return {
    update(p) {
      last = p;
      const now = options.now();
      if (now - lastDrawn >= interval) {
        lastDrawn = now;
        draw();
      }
    },
    done() {
      draw();
      if (sink.isTTY && last && !options.quiet) sink.write('\n');
    },
  };
}
