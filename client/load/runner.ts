/**
 * The runner: sends `requests` images (cycling through the folder) when the load shape allows,
 * with at most `concurrency` in flight, checks every answer and returns the run's report. The
 * transport, the clock and the progress listener are passed in.
 */
import { checkLabel } from './checker.ts';
import type { Expectations } from './expectations.ts';
import { createPacer, formatShape, realLoadClock, type LoadClock, type Shape } from './shapes.ts';
import { summarize } from './stats.ts';
import { createTransport, type Transport } from './transports.ts';
import type { ImageFile, LoadMode, LoadReport, RequestRecord } from './types.ts';

/** Everything a run needs, already validated (see loadOptions.ts). */
export interface LoadPlan {
  url: URL;
  mode: LoadMode;
  shape: Shape;
  requests: number;
  concurrency: number;
  images: readonly ImageFile[];
  expectations: Expectations;
  /** Connection-error retries per request. */
  retries: number;
  /** Longest time for one request to get its final answer. */
  timeoutMs: number;
}

/** The counts so far, for a progress display. */
export interface RunProgress {
  total: number;
  started: number;
  finished: number;
  inFlight: number;
  ok: number;
  failed: number;
  wrong: number;
  elapsedMs: number;
}

export interface RunDeps {
  /** Default: the plan's mode over node:http. */
  transport?: Transport;
  /** Default: the real clock. */
  clock?: LoadClock;
  /** Wall-clock time for the report's startedAt (default `new Date()`). */
  wallNow?: () => Date;
  /** Called after each request starts and after each finishes. */
  onProgress?(progress: RunProgress, record?: RequestRecord): void;
  /** First retry backoff (default 200 ms); tests make it short. */
  baseDelayMs?: number;
}

/** At most `limit` holders at once; `acquire` waits in FIFO order. */
function semaphore(limit: number) {
  let held = 0;
  const queue: Array<() => void> = [];
  return {
    async acquire(): Promise<void> {
      if (held < limit) {
        held += 1;
        return;
      }
      await new Promise<void>((resolve) => queue.push(resolve));
    },
    release(): void {
      const next = queue.shift();
      if (next) next();
      else held -= 1;
    },
  };
}

/**
 * Runs the plan. Guarantees: exactly `plan.requests` records, in plan order; request i is not
 * sent before its planned time nor while `concurrency` others are in flight; every record is
 * checked against the expectations. Rejects only when the transport cannot be opened.
 */
export async function runLoad(plan: LoadPlan, deps: RunDeps = {}): Promise<LoadReport> {
  const clock = deps.clock ?? realLoadClock;
  const transport =
    deps.transport ??
    createTransport(plan.mode, { baseUrl: plan.url, concurrency: plan.concurrency, retries: plan.retries, timeoutMs: plan.timeoutMs, clock, baseDelayMs: deps.baseDelayMs });
  const startedAtWall = (deps.wallNow ?? (() => new Date()))();
  await transport.open();
  const start = clock.now();
  const since = () => clock.now() - start;
  const pacer = createPacer(plan.shape, clock, start);
  const slots = semaphore(plan.concurrency);
  const records: RequestRecord[] = new Array(plan.requests);
  const progress: RunProgress = { total: plan.requests, started: 0, finished: 0, inFlight: 0, ok: 0, failed: 0, wrong: 0, elapsedMs: 0 };
  const report = (record?: RequestRecord) => deps.onProgress?.({ ...progress, elapsedMs: since() }, record);
  const tasks: Array<Promise<void>> = [];

  try {
    for (let index = 0; index < plan.requests; index += 1) {
      const plannedAt = await pacer.waitTurn(index);
      await slots.acquire();
      const image = plan.images[index % plan.images.length]!;
      const startedAt = since();
      progress.started += 1;
      progress.inFlight += 1;
      report();
      tasks.push(
        transport.send(image).then(({ answer, attempts }) => {
          const finishedAt = since();
          const verdict = checkLabel(image.stem, answer.ok ? answer.label : undefined, plan.expectations);
          const record: RequestRecord = {
            index,
            image: image.name,
            plannedAt,
            startedAt,
            finishedAt,
            latencyMs: finishedAt - startedAt,
            attempts,
            outcome: answer.ok ? 'ok' : 'failed',
            ...(answer.status !== undefined ? { status: answer.status } : {}),
            ...(answer.ok ? { label: answer.label } : { error: answer.error }),
            ...(answer.jobId !== undefined ? { jobId: answer.jobId } : {}),
            ...verdict,
          };
          records[index] = record;
          progress.inFlight -= 1;
          progress.finished += 1;
          if (answer.ok) progress.ok += 1;
          else progress.failed += 1;
          if (verdict.check === 'wrong') progress.wrong += 1;
          slots.release();
          report(record);
        }),
      );
    }
    await Promise.all(tasks);
  } finally {
    await transport.close();
  }
  const durationMs = since();
  return {
    version: 1,
    url: plan.url.href,
    mode: plan.mode,
    shape: formatShape(plan.shape),
    concurrency: plan.concurrency,
    startedAt: startedAtWall.toISOString(),
    summary: summarize(records, durationMs),
    records,
  };
}

/** The process exit code for a report: 0 when nothing failed and nothing was wrong, else 1. */
export function exitCodeOf(report: LoadReport): number {
  return report.summary.failed === 0 && report.summary.wrong === 0 ? 0 : 1;
}
