/**
 * The shapes the workload generator passes around: one image to send, one request's record, and
 * the whole run's report (what `facefleet load --json` writes).
 */

/** How answers are obtained: the course's blocking `POST /`, or `POST /v1/jobs` plus the SSE stream. */
export type LoadMode = 'classic' | 'v1';

/** One image read from the `--images` folder. */
export interface ImageFile {
  /** The file name, e.g. `sample1.jpg`. */
  name: string;
  /** The file name without its extension, e.g. `sample1` (the course's "Image" column). */
  stem: string;
  /** MIME type from the extension. */
  type: string;
  bytes: Uint8Array;
}

/** What the server said about one image once it was final. */
export type Answer =
  | { ok: true; status: number; label: string; jobId?: string }
  | { ok: false; status?: number; error: string; jobId?: string };

/** The verdict of the answer checker. */
export type Check = 'correct' | 'wrong' | 'unchecked';

/** One request of the run. Times are milliseconds since the run started. */
export interface RequestRecord {
  /** 0-based position in the plan. */
  index: number;
  image: string;
  /** When the load shape allowed this request to go. */
  plannedAt: number;
  /** When it was sent (first attempt); later than plannedAt when all slots were busy. */
  startedAt: number;
  /** When its final answer (or final failure) was known. */
  finishedAt: number;
  latencyMs: number;
  /** 1 + the connection-error retries. */
  attempts: number;
  outcome: 'ok' | 'failed';
  status?: number;
  label?: string;
  jobId?: string;
  error?: string;
  check: Check;
  expected?: string;
}

/** Latency figures in milliseconds (all 0 when no request succeeded). */
export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One bar of the latency histogram: requests with from ≤ latency < to. */
export interface HistogramBucket {
  from: number;
  to: number;
  count: number;
}

export interface LoadSummary {
  requests: number;
  ok: number;
  failed: number;
  correct: number;
  wrong: number;
  unchecked: number;
  /** Connection-error retries over all requests. */
  retries: number;
  durationMs: number;
  /** Finished requests per second. */
  throughput: number;
  /** Over the successful requests. */
  latency: LatencySummary;
  histogram: HistogramBucket[];
}

/** The full report of one run. */
export interface LoadReport {
  version: 1;
  url: string;
  mode: LoadMode;
  /** The load shape as given (`closed` when none). */
  shape: string;
  concurrency: number;
  /** ISO time the run started. */
  startedAt: string;
  summary: LoadSummary;
  records: RequestRecord[];
}
