/**
 * The job stream's event types and the zod schema of each one's data. These are the machine's
 * event types and the stored event types at once.
 */
import { z } from 'zod';

const id = z.string().min(1).max(200);

export const jobEventSchemas = {
  /** The web tier accepted an upload: the image is in the blob store under `imageKey`. */
  JobSubmitted: z.object({
    jobId: id,
    imageKey: z.string().min(1),
    /** The user's file name: metadata only, never a path. */
    fileName: z.string().max(255),
    contentType: z.string().min(1),
    bytes: z.number().int().nonnegative(),
    source: z.enum(['classic', 'v1', 'load']),
    maxAttempts: z.number().int().min(1).max(100),
    detector: z.enum(['ssd', 'tiny']).default('ssd'),
    /** What the worker computes: faces named against the gallery, or a 1:1 verification. Older events: recognize. */
    kind: z.enum(['recognize', 'verify']).default('recognize'),
    /** A verification's second photo (blob key); absent when it compares with a gallery subject. */
    secondImageKey: z.string().min(1).optional(),
    /** A verification against this gallery subject's examples. */
    subjectId: id.optional(),
  }),
  /** A worker took the job: `attempt` is the previous attempt count + 1. */
  JobStarted: z.object({ instanceId: id, attempt: z.number().int().min(1) }),
  /**
   * The job's lease ended without a result: it waits in the queue again. `lease-expired`,
   * `worker-lost` and `retry` (an unexpected error) use up the attempt; `released` (the worker shut
   * down mid-job) and `infrastructure` (storage or service unavailable: the job's input is not at
   * fault) give it back, so they are allowed on the last attempt too.
   */
  JobRequeued: z.object({
    reason: z.enum(['lease-expired', 'worker-lost', 'retry', 'released', 'infrastructure']),
    instanceId: id.optional(),
  }),
  /** The worker holding the current attempt stored the result under `resultKey`. */
  JobCompleted: z.object({
    instanceId: id,
    attempt: z.number().int().min(1),
    resultKey: z.string().min(1),
    faces: z.number().int().nonnegative(),
    /** The classic label: the name of the largest face, `unknown`, or `no-face`; a verification: `same`, `different` or `no-face`. */
    label: z.string(),
    durationMs: z.number().nonnegative(),
  }),
  /** The job cannot succeed: the model rejected the input, the attempts ran out, or it was dead-lettered. */
  JobFailed: z.object({
    code: z.enum(['invalid-image', 'image-too-large', 'model-error', 'max-attempts', 'dead-letter', 'missing-image', 'unknown-subject']),
    reason: z.string().max(2000),
    instanceId: id.optional(),
    attempt: z.number().int().min(1).optional(),
  }),
  /** A client asked to cancel a job a worker holds: the worker records the cancellation instead of its result. */
  JobCancelRequested: z.object({ reason: z.string().max(500) }),
  /**
   * The job was cancelled and will never be processed: at once when it was queued, or by the worker
   * holding the attempt (`instanceId`, `attempt`) or the next receiver of its message once cancel was requested.
   */
  JobCancelled: z.object({
    reason: z.string().max(500),
    instanceId: id.optional(),
    attempt: z.number().int().min(1).optional(),
  }),
  /**
   * A client retried a failed (or cancelled) job: it is queued again as a new attempt series of
   * `maxAttempts` attempts counted from here; the earlier attempts stay in the history.
   */
  JobRetried: z.object({ maxAttempts: z.number().int().min(1).max(100) }),
  /**
   * A dead-lettered job was sent back to the request queue: queued again as a new attempt series;
   * the failure it leaves behind is recorded here.
   */
  JobRedriven: z.object({
    maxAttempts: z.number().int().min(1).max(100),
    previousCode: z.string().max(100),
    previousReason: z.string().max(2000),
  }),
} as const;

export type JobEventType = keyof typeof jobEventSchemas;
export type JobEventData<T extends JobEventType> = z.output<(typeof jobEventSchemas)[T]>;

/** A job event as the machine receives it (a stored event carries `stream` and `seq` as well). */
export type JobEvent = {
  [T in JobEventType]: { type: T; at: string; data: JobEventData<T>; seq?: number; stream?: string };
}[JobEventType];

export const jobEventTypes = Object.keys(jobEventSchemas) as JobEventType[];
