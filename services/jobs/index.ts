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
import { getJob, getJobImage } from './getJob.ts';
import { jobHistory, type HistoryPage } from './jobHistory.ts';
import { countJobs, listJobs, type ListInput } from './listJobs.ts';
import { requeueOrphans, type RequeueOptions } from './requeueOrphans.ts';
import { searchJobs, type JobSearchInput } from './searchJobs.ts';
import { submitJobs, type Detector, type SubmitOptions } from './submitJobs.ts';

export { jobView, type JobDetail, type JobTimings, type JobView } from './getJob.ts';
export type { History } from './jobHistory.ts';
export type { ListInput } from './listJobs.ts';
export type { JobSearchInput, JobSearchPage } from './searchJobs.ts';
export { parseDetector, parseIdempotencyKey, type Detector, type JobSource, type SubmittedJob } from './submitJobs.ts';
export type { ClassicAnswer } from './classic.ts';
export type { RequeueOutcome } from './requeueOrphans.ts';

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
    get: (jobId: string) => getJob(deps, jobId),
    image: (jobId: string) => getJobImage(deps, jobId),
    list: (input: ListInput = {}) => listJobs(deps.store, input),
    /** The list filtered by state, file name, label and time range, with bounded work; see searchJobs. */
    search: (input: JobSearchInput = {}) => searchJobs(deps.store, input),
    history: (jobId: string, page?: HistoryPage) => jobHistory(deps.store, jobId, page),
    counts: () => countJobs(deps.store),
    /** Resolves with the job's row once done or failed. */
    await: (jobId: string, options?: AwaitOptions) => awaitJob(deps, jobId, options),
    /** Re-sends the message of queued jobs that have none; see requeueOrphans. */
    requeueOrphans: (options?: RequeueOptions) => requeueOrphans(deps, options),
  };
}

export type JobService = ReturnType<typeof createJobService>;
