/**
 * Reading one job: its read model row shaped for clients (state, attempts, label, timings…), the
 * parsed result when done, and the uploaded image.
 */
import type { Readable } from 'node:stream';
import type { Blobs, EventStore } from '../../adapters/ports.ts';
import { isId, NotFoundError, type ReadModelRow } from '../../machines/index.ts';
import { num, str } from '../contextFields.ts';

export interface JobTimings {
  /** Submission to the start of the last attempt. */
  queuedMs: number | null;
  /** Start of the last attempt to the end. */
  processingMs: number | null;
  /** Submission to the end. */
  totalMs: number | null;
  /** The model's own time, as the worker reported it. */
  modelMs: number | null;
}

/** A job as clients see it (lists, the stream and the detail page share this shape). */
export interface JobView {
  id: string;
  state: string;
  seq: number;
  fileName: string | null;
  contentType: string | null;
  bytes: number;
  source: string | null;
  detector: string | null;
  /** `recognize` (faces named against the gallery) or `verify` (POST /v1/verify). */
  kind: 'recognize' | 'verify';
  attempts: number;
  maxAttempts: number;
  instanceId: string | null;
  label: string | null;
  faces: number | null;
  error: { code: string; reason: string } | null;
  /** Why the job was cancelled or cancel was requested (states `cancelling`, `cancelled`). */
  cancelReason: string | null;
  /** How many times a client retried or redrove the job. */
  retries: number;
  submittedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  timings: JobTimings;
}

/** A job's detail: its view plus the recognition result once done. */
export interface JobDetail extends JobView {
  result?: unknown;
}


function between(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : null;
}

/** The client shape of a job read model row. Pure. */
export function jobView(row: ReadModelRow): JobView {
  const c = row.context;
  const submittedAt = str(c.submittedAt);
  const startedAt = str(c.startedAt);
  const finishedAt = str(c.finishedAt);
  const error = c.error as { code: string; reason: string } | null | undefined;
  return {
    id: row.id,
    state: row.state,
    seq: row.seq,
    fileName: str(c.fileName),
    contentType: str(c.contentType),
    bytes: num(c.bytes) ?? 0,
    source: str(c.source),
    detector: str(c.detector),
    kind: c.kind === 'verify' ? 'verify' : 'recognize',
    attempts: num(c.attempts) ?? 0,
    maxAttempts: num(c.maxAttempts) ?? 1,
    instanceId: str(c.instanceId),
    label: str(c.label),
    faces: num(c.faces),
    error: error ?? null,
    cancelReason: str(c.cancelReason),
    retries: num(c.retries) ?? 0,
    submittedAt,
    startedAt,
    finishedAt,
    updatedAt: row.updatedAt,
    timings: {
      queuedMs: between(submittedAt, startedAt),
      processingMs: between(startedAt, finishedAt),
      totalMs: between(submittedAt, finishedAt),
      modelMs: num(c.durationMs),
    },
  };
}

/** Throws NotFoundError for an id no stream can have (so odd input never reaches the store). */
export function checkId(kind: 'job' | 'instance', id: string): void {
  if (!isId(id)) throw new NotFoundError(`There is no ${kind} ${JSON.stringify(id.slice(0, 200))}.`);
}

/** The job's read model row; NotFoundError when there is no such job. */
export async function getJobRow(store: EventStore, jobId: string): Promise<ReadModelRow> {
  checkId('job', jobId);
  const row = await store.get('job', jobId);
  if (!row) throw new NotFoundError(`There is no job ${JSON.stringify(jobId)}.`);
  return row;
}

/** One job with, when done, its parsed result JSON. NotFoundError for an unknown id. */
export async function getJob(deps: { store: EventStore; blobs: Blobs }, jobId: string): Promise<JobDetail> {
  const row = await getJobRow(deps.store, jobId);
  const view: JobDetail = jobView(row);
  const resultKey = str(row.context.resultKey);
  if (row.state === 'done' && resultKey) {
    try {
      view.result = JSON.parse((await deps.blobs.getBytes(resultKey)).toString('utf8'));
    } catch (error) {
      if (!(error instanceof NotFoundError) && !(error instanceof SyntaxError)) throw error;
      view.result = null; // the stream says done; a missing or damaged result is shown as absent
    }
  }
  return view;
}

/** The uploaded image of a job, with its content type. NotFoundError for an unknown job or a missing blob. */
export async function getJobImage(deps: { store: EventStore; blobs: Blobs }, jobId: string): Promise<{ contentType: string; body: Readable }> {
  const row = await getJobRow(deps.store, jobId);
  const imageKey = str(row.context.imageKey);
  if (!imageKey) throw new NotFoundError(`The job ${JSON.stringify(jobId)} has no image.`);
  let body: Readable;
  try {
    body = await deps.blobs.get(imageKey);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`The image of job ${JSON.stringify(jobId)} is no longer stored.`);
    throw error;
  }
  return { contentType: str(row.context.contentType) ?? 'application/octet-stream', body };
}
