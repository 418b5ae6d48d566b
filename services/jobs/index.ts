/**
 * The job use cases bound to their dependencies: what the routes (and the supervisor, for
 * `requeueOrphans`) call.
 */
import type { Blobs, EventStore, Queue } from '../../adapters/ports.ts';
import type { ChangeFeed } from '../streams/changeFeed.ts';
import type { Clock } from '../clock.ts';
import type { UploadFile, UploadLimits } from '../uploads/uploads.ts';
import { awaitJob, type AwaitOptions } from './awaitJob.ts';
import { classicAnswer, submitClassic } from './classic.ts';
import { listDeadLetters, parseRedriveRequest, redriveDeadLetters } from './deadLetters.ts';
import { cancelJob, retryJob } from './jobActions.ts';
import { getJob, getJobImage } from './getJob.ts';
import { jobHistory, type HistoryPage } from './jobHistory.ts';
import { countJobs, listJobs, type ListInput } from './listJobs.ts';
import { requeueOrphans, type RequeueOptions } from './requeueOrphans.ts';
import { searchJobs, type JobSearchInput } from './searchJobs.ts';
import { submitJobs, type Detector, type SubmitOptions } from './submitJobs.ts';
import { submitVerify, type VerifyInput } from './submitVerify.ts';
import { WaitTimeoutError } from '../errors.ts';

export { jobView, type JobDetail, type JobTimings, type JobView } from './getJob.ts';
export type { History } from './jobHistory.ts';
export type { ListInput } from './listJobs.ts';
export type { JobSearchInput, JobSearchPage } from './searchJobs.ts';
export { parseDetector, parseIdempotencyKey, type Detector, type JobSource, type SubmittedJob } from './submitJobs.ts';
export type { ClassicAnswer } from './classic.ts';
export type { VerifyInput } from './submitVerify.ts';
export type { RequeueOutcome } from './requeueOrphans.ts';
export type { CancelOutcome } from './jobActions.ts';
export { redriveRequestSchema, type DeadLetterPage, type RedriveOutcome, type RedriveRequest } from './deadLetters.ts';

export interface JobServiceDeps {
  store: EventStore;
  blobs: Blobs;
  requests: Queue;
  clock: Clock;
  feed: ChangeFeed;
  limits: UploadLimits;
  maxAttempts: number;
  detector: Detector;
  onWarning?: (message: string, error: unknown) => void;
}

/** The job use cases over one set of ports. */
export function createJobService(deps: JobServiceDeps) {
  return {
    /** Checks and submits images; see submitJobs. */
    submit: (files: readonly UploadFile[], options: SubmitOptions) => submitJobs(deps, files, options),
    /** The classic `POST /`, step 1: check and submit the one image. */
    submitClassic: (files: readonly UploadFile[], field?: string, idempotencyKey?: string) => submitClassic(deps, files, field, idempotencyKey),
    /** The classic `POST /`, step 2: wait for the job and answer `<name>:<label>`. */
    classicAnswer: (job: { id: string; fileName: string }, options: AwaitOptions) => classicAnswer(deps, job, options),
    /** Checks and submits a 1:1 verification job (photo `a` against photo `b` or a subject). */
    verify: (input: VerifyInput) => submitVerify(deps, input),
    get: (jobId: string) => getJob(deps, jobId),
    /**
     * The job with its result once done or failed, waiting up to `timeoutMs`; after that, the job as
     * it is then (still queued or processing: it goes on). NotFoundError for an unknown job.
     */
    async getWhenFinished(jobId: string, options: AwaitOptions & { timeoutMs: number }) {
      try {
        await awaitJob(deps, jobId, options);
      } catch (error) {
        if (!(error instanceof WaitTimeoutError)) throw error;
      }
      return getJob(deps, jobId);
    },
    image: (jobId: string) => getJobImage(deps, jobId),
    list: (input: ListInput = {}) => listJobs(deps.store, input),
    /** The list filtered by state, file name, label and time range, with bounded work; see searchJobs. */
    search: (input: JobSearchInput = {}) => searchJobs(deps.store, input),
    history: (jobId: string, page?: HistoryPage) => jobHistory(deps.store, jobId, page),
    counts: () => countJobs(deps.store),
    /** Resolves with the job's row once done, failed or cancelled. */
    await: (jobId: string, options?: AwaitOptions) => awaitJob(deps, jobId, options),
    /** Cancels a queued or processing job; see jobActions. */
    cancel: (jobId: string) => cancelJob(deps, jobId),
    /** Queues a failed or cancelled job again as a new attempt series; see jobActions. */
    retry: (jobId: string) => retryJob(deps, jobId),
    /** The dead-lettered jobs, page by page; see deadLetters. */
    deadLetters: (input: { limit?: string; cursor?: string } = {}) => listDeadLetters(deps.store, input),
    /** Sends dead letters back to the request queue (body checked here: `{max?}` or `{jobIds?}`). */
    redrive: (body: unknown) => redriveDeadLetters(deps, parseRedriveRequest(body)),
    /** Re-sends the message of queued jobs that have none; see requeueOrphans. */
    requeueOrphans: (options?: RequeueOptions) => requeueOrphans(deps, options),
  };
}

export type JobService = ReturnType<typeof createJobService>;
