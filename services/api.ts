/**
 * Everything the web tier calls, built once from the ports: jobs, gallery, instances, queue depth,
 * counts and the process's change feed. The web imports only this module (and its types), so it
 * never reaches adapters, machines or the model directly.
 */
import type { Blobs, EventStore, Queue } from '../adapters/ports.ts';
import type { ReadModelRow } from '../machines/index.ts';
import { createChangeFeed, type ChangeFeed } from './streams/changeFeed.ts';
import type { Clock } from './clock.ts';
import { checkHealth, checkReadiness, type Health, type Readiness } from './health/health.ts';
import { createGalleryService, type FaceModelLike, type GalleryService } from './gallery/index.ts';
import { enrolFaceFromJob, type EnrolledFromJob } from './gallery/enrolFromJob.ts';
import { createInstanceService, instanceView, type InstanceService } from './instances/instances.ts';
import { createJobService, jobView, type Detector, type JobService } from './jobs/index.ts';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './uploads/uploads.ts';

// What the web needs besides the services: the closed error set (to map it) and the upload helpers.
export * from './errors.ts';
export type { ReadModelRow } from '../machines/index.ts';
export { parseDetector, parseIdempotencyKey } from './jobs/index.ts';
export type { CancelOutcome, ClassicAnswer, DeadLetterPage, History, JobDetail, JobView, ListInput, RedriveOutcome, SubmittedJob } from './jobs/index.ts';
export { redriveRequestSchema } from './jobs/index.ts';
export type { FaceModelLike, SubjectView, ExampleView } from './gallery/index.ts';
export type { InstanceView } from './instances/instances.ts';
export type { Health, Readiness } from './health/health.ts';
export { checkFileCount, DEFAULT_UPLOAD_LIMITS, safeFileName } from './uploads/uploads.ts';
export type { UploadFile, UploadLimits } from './uploads/uploads.ts';

export interface ApiDeps {
  store: EventStore;
  blobs: Blobs;
  requests: Queue;
  responses: Queue;
  deadLetters: Queue;
  clock: Clock;
  limits?: Partial<UploadLimits>;
  /** Attempts a job gets before it fails (recorded on JobSubmitted). */
  maxAttempts: number;
  /** The default face detector for new jobs and enrolment. */
  detector: Detector;
  /** The gallery's match threshold for a gallery created from scratch. */
  threshold: number;
  /** Loads the face model for enrolment; default: imports model/ on first use. */
  loadModel?: () => Promise<FaceModelLike>;
  /** Change feed poll period, ms (default 100). */
  feedPollMs?: number;
  /** Told about background problems (feed read failures, an unsent message); default: console.warn. */
  onWarning?: (message: string, error: unknown) => void;
}

export interface QueueDepths {
  requests: { visible: number; inFlight: number };
  responses: { visible: number; inFlight: number };
  deadLetters: { visible: number; inFlight: number };
}

/** A changed read model row as the SSE stream sends it. */
export type ChangeEvent = { kind: 'job'; row: ReturnType<typeof jobView> } | { kind: 'instance'; row: ReturnType<typeof instanceView> };

export interface ApiServices {
  jobs: JobService;
  gallery: GalleryService;
  /** Enrols one chosen face of a finished job into a subject (no model run); see enrolFromJob.ts. */
  enrolFaceFromJob(subjectId: string, body: unknown): Promise<EnrolledFromJob>;
  instances: InstanceService;
  queues: { depths(): Promise<QueueDepths> };
  /** Jobs and instances by state. */
  counts(): Promise<{ jobs: Record<string, number>; instances: Record<string, number> }>;
  feed: ChangeFeed;
  /** Whether the store, the request queue and the blobs answer (one cheap call each). */
  health(): Promise<Health>;
  /** Whether a load balancer should send traffic here: healthy and not stopping. */
  readiness(): Promise<Readiness>;
  /** Marks the process as stopping: readiness answers not ready from now on. Idempotent. */
  beginStopping(): void;
  /** Subscribes to every job and instance change in client shape; returns the unsubscribe function. */
  onChange(listener: (change: ChangeEvent) => void): () => void;
  limits: UploadLimits;
  /** Stops the change feed and marks the process as stopping (does not close the ports: the caller owns them). */
  close(): Promise<void>;
}

function toChange(row: ReadModelRow): ChangeEvent {
  return row.kind === 'job' ? { kind: 'job', row: jobView(row) } : { kind: 'instance', row: instanceView(row) };
}

/** Builds the services the web routes use. Nothing starts until first used (the feed starts lazily). */
export function createApiServices(deps: ApiDeps): ApiServices {
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...deps.limits };
  const onWarning = deps.onWarning ?? ((message: string, error: unknown) => console.warn(`facefleet web: ${message}:`, error instanceof Error ? error.message : error));
  const feed = createChangeFeed({
    store: deps.store,
    responses: deps.responses,
    pollMs: deps.feedPollMs ?? 100,
    onError: (error) => onWarning('change feed read failed (retrying)', error),
  });
  const jobs = createJobService({ ...deps, feed, limits, onWarning });
  const gallery = createGalleryService({
    blobs: deps.blobs,
    clock: deps.clock,
    limits,
    detector: deps.detector,
    threshold: deps.threshold,
    ...(deps.loadModel ? { loadModel: deps.loadModel } : {}),
  });
  const instances = createInstanceService({ store: deps.store, now: () => deps.clock.now() });
  const probes = { store: deps.store, requests: deps.requests, blobs: deps.blobs, onWarning };
  let stopping = false;

  return {
    jobs,
    gallery,
    enrolFaceFromJob: (subjectId: string, body: unknown) =>
      enrolFaceFromJob({ store: deps.store, blobs: deps.blobs, clock: deps.clock, ...(deps.threshold === undefined ? {} : { threshold: deps.threshold }) }, subjectId, body),
    instances,
    queues: {
      async depths() {
        const [requests, responses, deadLetters] = await Promise.all([deps.requests.depth(), deps.responses.depth(), deps.deadLetters.depth()]);
        return { requests, responses, deadLetters };
      },
    },
    async counts() {
      const [jobCounts, instanceCounts] = await Promise.all([jobs.counts(), instances.counts()]);
      return { jobs: jobCounts, instances: instanceCounts };
    },
    feed,
    health: () => checkHealth(probes),
    readiness: () => checkReadiness({ ...probes, stopping: () => stopping }),
    beginStopping() {
      stopping = true;
    },
    onChange(listener) {
      return feed.subscribe((row) => listener(toChange(row)));
    },
    limits,
    close() {
      stopping = true;
      return feed.close();
    },
  };
}
