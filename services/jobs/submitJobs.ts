/**
 * Submitting images as jobs. Every file is checked by content before anything is written, so a
 * refused request leaves no blob, event or message. Then, per file, in the order that keeps a crash
 * harmless: image blob → `JobSubmitted` on a new stream → `{ jobId }` on the request queue.
 *  - a crash before the event leaves at most an unreferenced blob (deleted here when we can);
 *  - a crash after the event but before the message leaves a `queued` job without a message, which
 *    `requeueOrphans` re-sends, so the job is never stuck.
 */
import type { Blobs, EventStore, Queue } from '../../adapters/ports.ts';
import { emptyState, streamName, ValidationError, type NewEvent } from '../../machines/index.ts';
import { isoNow, type Clock } from '../clock.ts';
import { blobKeys } from '../blobKeys.ts';
import type { RequestMessage } from './messages.ts';
import { propose } from '../streams/propose.ts';
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
  /** Told about a message that could not be sent (the job stays queued for `requeueOrphans`). */
  onWarning?: (message: string, error: unknown) => void;
}

export interface SubmitOptions {
  source: JobSource;
  /** Overrides the default detector for these jobs. */
  detector?: Detector;
  /** The multipart field the files came in, for error messages. */
  field?: string;
}

export interface SubmittedJob {
  id: string;
  state: 'queued';
  fileName: string;
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
  for (const image of checked) submitted.push(await submitChecked(deps, image, options));
  return submitted;
}

/** Submits one already checked image: blob → event → message. */
export async function submitChecked(deps: SubmitDeps, image: CheckedImage, options: SubmitOptions): Promise<SubmittedJob> {
  const jobId = deps.clock.newId();
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
    await deps.blobs.delete(imageKey).catch(() => undefined);
    throw error;
  }
  const message: RequestMessage = { jobId };
  try {
    await deps.requests.send(JSON.stringify(message));
  } catch (error) {
    // The job exists and is durable; requeueOrphans will send its message. Accepting it is honest.
    deps.onWarning?.(`job ${jobId} was stored but its queue message could not be sent; requeueOrphans will re-send it`, error);
  }
  return { id: jobId, state: 'queued', fileName: image.fileName };
}
