/**
 * Submitting images as jobs. Every file is checked by content before anything is written, so a
 * refused request leaves no blob, event or message. Then, per file, in the order that keeps a crash
 * harmless: image blob → `JobSubmitted` on a new stream → `{ jobId }` on the request queue.
 *  - a crash before the event leaves at most an unreferenced blob (deleted here when we can);
 *  - a failed send is tried again in the background within seconds (sendWithRetry.ts);
 *  - a crash after the event but before the message leaves a `queued` job without a message, which
 *    `requeueOrphans` re-sends, so the job is never stuck.
 */
import type { Blobs, EventStore, Queue } from '../../adapters/ports.ts';
import { createHash } from 'node:crypto';
import { emptyState, streamName, ValidationError, VersionConflictError, type NewEvent } from '../../machines/index.ts';
import { isoNow, type Clock } from '../clock.ts';
import { blobKeys } from '../blobKeys.ts';
import type { RequestMessage } from './messages.ts';
import { sendWithRetry } from './sendWithRetry.ts';
import { load, propose } from '../streams/propose.ts';
import { checkFileCount, checkImage, uploadBody, type CheckedImage, type UploadFile, type UploadLimits } from '../uploads/uploads.ts';

export type Detector = 'ssd' | 'tiny';
export type JobSource = 'classic' | 'v1' | 'load';

/** A detector name from a client; undefined when not given. ValidationError for anything else. */
export function parseDetector(value: unknown): Detector | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'ssd' || value === 'tiny') return value;
  throw new ValidationError(`detector must be "ssd" or "tiny" (got ${JSON.stringify(String(value)).slice(0, 40)}).`);
}

export interface SubmitDeps {
  store: EventStore;
  blobs: Blobs;
  requests: Queue;
  clock: Clock;
  limits: UploadLimits;
  maxAttempts: number;
  detector: Detector;
  /** Told about a message that could not be sent (it is retried, then left to `requeueOrphans`). */
  onWarning?: (message: string, error: unknown) => void;
  /** Told when a job's message is finally sent (true) or given up to requeueOrphans (false); tests. */
  onMessageSettled?: (jobId: string, sent: Promise<boolean>) => void;
  /** The pauses before each new try of a failed send (default 0.5 s, 2 s, 8 s). */
  resendDelaysMs?: readonly number[];
}

export interface SubmitOptions {
  source: JobSource;
  /**
   * The client's `Idempotency-Key`: the same key submits the same job(s) once — a retry answers the
   * jobs the first request made (whatever their state) and writes nothing.
   */
  idempotencyKey?: string;
  /** Overrides the default detector for these jobs. */
  detector?: Detector;
  /** The multipart field the files came in, for error messages. */
  field?: string;
}

export interface SubmittedJob {
  id: string;
  /** `queued` for a new job; a retried idempotency key answers the job's state now. */
  state: string;
  fileName: string;
}

/** An Idempotency-Key as a client may send it: 1–200 visible ASCII characters. ValidationError otherwise. */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(value)) throw new ValidationError('Idempotency-Key must be 1 to 200 visible ASCII characters (a UUID is a good choice).');
  return value;
}

/**
 * The job id of the `index`-th file of a request with this idempotency key: derived, so a retry of
 * the request names the same stream and the event store's version check makes it once.
 */
export function idempotentJobId(key: string, index: number): string {
  return `k${createHash('sha256').update(`${key}\u0000${index}`).digest('base64url').slice(0, 32)}`;
}

/**
 * Checks every file (count, type by content, size, pixels) and then submits each as a job.
 * Throws the first check's error (400/413/415) before writing anything. A storage failure on a later
 * file leaves the earlier files' jobs in place (they are valid jobs) and throws.
 */
export async function submitJobs(deps: SubmitDeps, files: readonly UploadFile[], options: SubmitOptions): Promise<SubmittedJob[]> {
  checkFileCount(files.length, deps.limits, options.field ?? 'file');
  const checked: CheckedImage[] = [];
  for (const file of files) checked.push(await checkImage(file, deps.limits));
  const submitted: SubmittedJob[] = [];
  for (const [index, image] of checked.entries()) {
    const key = options.idempotencyKey;
    submitted.push(key === undefined ? await submitChecked(deps, image, options) : await submitOnce(deps, image, options, idempotentJobId(key, index)));
  }
  return submitted;
}

/**
 * Submits the image as job `jobId` unless that job exists: then it is answered as it is now and
 * nothing is written. Two requests with one key at once: both may store the (same) image, one
 * appends, the other finds the stream taken and answers the winner's job.
 */
async function submitOnce(deps: SubmitDeps, image: CheckedImage, options: SubmitOptions, jobId: string): Promise<SubmittedJob> {
  const existing = async (): Promise<SubmittedJob | undefined> => {
    const state = await load(deps.store, streamName('job', jobId));
    return state.seq > 0 ? { id: jobId, state: state.state, fileName: image.fileName } : undefined;
  };
  const found = await existing();
  if (found) return found;
  try {
    return await submitChecked(deps, image, options, jobId);
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const winner = await existing();
    if (!winner) throw error;
    return winner;
  }
}

/** Submits one already checked image: blob → event → message. */
export async function submitChecked(deps: SubmitDeps, image: CheckedImage, options: SubmitOptions, jobId = deps.clock.newId()): Promise<SubmittedJob> {
  const fresh = options.idempotencyKey === undefined;
  const imageKey = blobKeys.image(jobId);
  const stream = streamName('job', jobId);
  const event: NewEvent = {
    type: 'JobSubmitted',
    at: isoNow(deps.clock),
    data: {
      jobId,
      imageKey,
      fileName: image.fileName,
      contentType: image.contentType,
      bytes: image.size,
      source: options.source,
      maxAttempts: deps.maxAttempts,
      detector: options.detector ?? deps.detector,
    },
  };
  try {
    await deps.blobs.put(imageKey, uploadBody(image), { contentType: image.contentType, metadata: { jobId } });
    // A fresh id: the stream must be new (expected seq 0); one attempt, a conflict is a real error.
    await propose(deps.store, stream, () => [event], { known: emptyState(stream), attempts: 1 });
  } catch (error) {
    // An append that committed but answered with an error (a timeout, a retried put misread as a
    // conflict) must not lose its image: keep the blob whenever the stream exists or we cannot tell.
    const stored = await deps.store.read(stream).then((events) => events.length > 0, () => true);
    // A fresh id is ours alone: a stream under it is our own write.
    if (fresh && stored && error instanceof VersionConflictError) return sendRequest(deps, jobId, image.fileName);
    // A derived id's image may be the winner's of a concurrent retry: leave it.
    if (!stored && (fresh || !(error instanceof VersionConflictError))) await deps.blobs.delete(imageKey).catch(() => undefined);
    throw error;
  }
  return sendRequest(deps, jobId, image.fileName);
}

/** Queues a stored job's request; the job is accepted even when the send fails (requeueOrphans re-sends). */
async function sendRequest(deps: SubmitDeps, jobId: string, fileName: string): Promise<SubmittedJob> {
  const message: RequestMessage = { jobId };
  // The job exists and is durable, so it is accepted whether or not the send works at once.
  const sent = await sendWithRetry(deps.requests, JSON.stringify(message), (attempt, error, last) => {
    const next = last ? 'requeueOrphans will re-send it' : 'it is tried again shortly';
    deps.onWarning?.(`job ${jobId} was stored but its queue message could not be sent (try ${attempt}); ${next}`, error);
  }, deps.resendDelaysMs);
  deps.onMessageSettled?.(jobId, sent.settled);
  return { id: jobId, state: 'queued', fileName };
}
