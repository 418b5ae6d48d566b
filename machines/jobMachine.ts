/**
 * The job machine: new → queued → processing → done, with failed (attempts exhausted, an input the
 * model rejects, or dead-lettered) and processing → queued when a lease ends without a result.
 * Client actions: cancel (queued → cancelled at once; processing → cancelling → cancelled, recorded
 * by the worker instead of its result), retry (failed|cancelled → queued) and redrive (a
 * dead-lettered failed → queued); a retry or redrive starts a new attempt series and keeps the history.
 * Pure: actions only assign context from the event; time, ids and attempt numbers arrive on events.
 */
import { assign, setup } from 'xstate';
import type { JobEvent } from './jobEvents.ts';

export interface JobContext {
  jobId: string | null;
  imageKey: string | null;
  fileName: string | null;
  contentType: string | null;
  bytes: number;
  source: 'classic' | 'v1' | 'load' | null;
  detector: 'ssd' | 'tiny';
  /** `recognize` (name every face) or `verify` (are two faces one person). */
  kind: 'recognize' | 'verify';
  /** A verification's second photo, or the subject it compares with. */
  secondImageKey: string | null;
  subjectId: string | null;
  /**
   * The attempt number the job may reach: the submitted attempts, then after each retry or redrive
   * the attempts used so far plus that series' attempts.
   */
  maxAttempts: number;
  /** How many times a worker has started the job (over every series). */
  attempts: number;
  /** Attempts given back (released at shutdown, infrastructure errors): started, but not charged. */
  returnedAttempts: number;
  /** The instance holding the current attempt (null while queued). */
  instanceId: string | null;
  resultKey: string | null;
  label: string | null;
  faces: number | null;
  durationMs: number | null;
  error: { code: string; reason: string } | null;
  /** Why the job was cancelled (or cancel was requested); null otherwise. */
  cancelReason: string | null;
  /** How many times a client retried or redrove the job. */
  retries: number;
  submittedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string | null;
}

export const initialJobContext: JobContext = {
  jobId: null,
  imageKey: null,
  fileName: null,
  contentType: null,
  bytes: 0,
  source: null,
  detector: 'ssd',
  kind: 'recognize',
  secondImageKey: null,
  subjectId: null,
  maxAttempts: 1,
  attempts: 0,
  returnedAttempts: 0,
  instanceId: null,
  resultKey: null,
  label: null,
  faces: null,
  durationMs: null,
  error: null,
  cancelReason: null,
  retries: 0,
  submittedAt: null,
  startedAt: null,
  finishedAt: null,
  updatedAt: null,
};

type Ev<T extends JobEvent['type']> = Extract<JobEvent, { type: T }>;

/** The requeue reasons that give the attempt back rather than use it up. */
const attemptReturningReasons: ReadonlySet<string> = new Set(['released', 'infrastructure']);

/** Attempts that count against `maxAttempts`: started ones minus those given back. */
export function chargedAttempts(context: Pick<JobContext, 'attempts' | 'returnedAttempts'>): number {
  return context.attempts - context.returnedAttempts;
}

/** True while the job may be started again. */
export function hasAttemptLeft(context: Pick<JobContext, 'attempts' | 'returnedAttempts' | 'maxAttempts'>): boolean {
  return chargedAttempts(context) < context.maxAttempts;
}

export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
  },
  guards: {
    /** A start must be the next attempt, and there must be attempts left. */
    isNextAttempt: ({ context, event }) => {
      const e = event as Ev<'JobStarted'>;
      return e.data.attempt === context.attempts + 1 && hasAttemptLeft(context);
    },
    /** Only the worker holding the current attempt may complete or fail it. */
    holdsCurrentAttempt: ({ context, event }) => {
      const e = event as Ev<'JobCompleted'> | Ev<'JobFailed'>;
      return e.data.instanceId === context.instanceId && e.data.attempt === context.attempts;
    },
    /** A failure reported by the system (dead letter, attempts exhausted) rather than by a worker. */
    isSystemFailure: ({ event }) => {
      const e = event as Ev<'JobFailed'>;
      return e.data.instanceId === undefined && (e.data.code === 'dead-letter' || e.data.code === 'max-attempts' || e.data.code === 'missing-image');
    },
    /** A requeue is a retry: only while attempts remain, unless it gives the attempt back. */
    mayRequeue: ({ context, event }) => attemptReturningReasons.has((event as Ev<'JobRequeued'>).data.reason) || hasAttemptLeft(context),
    /** A cancellation of a job a worker holds: by that worker for its attempt, or by the system (no worker named). */
    cancelsCurrentAttempt: ({ context, event }) => {
      const e = event as Ev<'JobCancelled'>;
      if (e.data.instanceId === undefined) return e.data.attempt === undefined;
      return e.data.instanceId === context.instanceId && e.data.attempt === context.attempts;
    },
    /** A cancellation of a queued job: no worker holds it, so none may be named. */
    namesNoWorker: ({ event }) => (event as Ev<'JobCancelled'>).data.instanceId === undefined,
    /** Only a dead-lettered failure can be redriven; other failures are retried. */
    isDeadLettered: ({ context }) => context.error?.code === 'dead-letter',
  },
  actions: {
    touch: assign({ updatedAt: ({ event }) => event.at }),
    recordSubmission: assign(({ event }) => {
      const d = (event as Ev<'JobSubmitted'>).data;
      return {
        jobId: d.jobId,
        imageKey: d.imageKey,
        fileName: d.fileName,
        contentType: d.contentType,
        bytes: d.bytes,
        source: d.source,
        detector: d.detector,
        kind: d.kind,
        secondImageKey: d.secondImageKey ?? null,
        subjectId: d.subjectId ?? null,
        maxAttempts: d.maxAttempts,
        submittedAt: event.at,
      };
    }),
    recordStart: assign(({ event }) => {
      const d = (event as Ev<'JobStarted'>).data;
      return { attempts: d.attempt, instanceId: d.instanceId, startedAt: event.at };
    }),
    recordRequeue: assign(({ context, event }) => ({
      instanceId: null,
      returnedAttempts: context.returnedAttempts + (attemptReturningReasons.has((event as Ev<'JobRequeued'>).data.reason) ? 1 : 0),
    })),
    recordCompletion: assign(({ event }) => {
      const d = (event as Ev<'JobCompleted'>).data;
      return { resultKey: d.resultKey, label: d.label, faces: d.faces, durationMs: d.durationMs, finishedAt: event.at };
    }),
    recordFailure: assign(({ event }) => {
      const d = (event as Ev<'JobFailed'>).data;
      return { error: { code: d.code, reason: d.reason }, finishedAt: event.at };
    }),
    recordCancelRequest: assign(({ event }) => ({ cancelReason: (event as Ev<'JobCancelRequested'>).data.reason })),
    recordCancellation: assign(({ event }) => ({ cancelReason: (event as Ev<'JobCancelled'>).data.reason, finishedAt: event.at })),
    /** A new attempt series: the attempt count goes on (history kept), the limit moves up by the series' attempts. */
    recordNewSeries: assign(({ context, event }) => {
      const d = (event as Ev<'JobRetried'> | Ev<'JobRedriven'>).data;
      return {
        // The limit counts charged attempts (hasAttemptLeft): those given back do not use up the new series.
        maxAttempts: chargedAttempts(context) + d.maxAttempts,
        retries: context.retries + 1,
        instanceId: null,
        resultKey: null,
        label: null,
        faces: null,
        durationMs: null,
        error: null,
        cancelReason: null,
        finishedAt: null,
      };
    }),
  },
}).createMachine({
  id: 'job',
  initial: 'new',
  context: initialJobContext,
  states: {
    new: {
      on: { JobSubmitted: { target: 'queued', actions: ['recordSubmission', 'touch'] } },
    },
    queued: {
      on: {
        JobStarted: { guard: 'isNextAttempt', target: 'processing', actions: ['recordStart', 'touch'] },
        JobFailed: { guard: 'isSystemFailure', target: 'failed', actions: ['recordFailure', 'touch'] },
        JobCancelled: { guard: 'namesNoWorker', target: 'cancelled', actions: ['recordCancellation', 'touch'] },
      },
    },
    processing: {
      on: {
        JobCompleted: { guard: 'holdsCurrentAttempt', target: 'done', actions: ['recordCompletion', 'touch'] },
        JobFailed: [
          { guard: 'holdsCurrentAttempt', target: 'failed', actions: ['recordFailure', 'touch'] },
          { guard: 'isSystemFailure', target: 'failed', actions: ['recordFailure', 'touch'] },
        ],
        JobRequeued: { guard: 'mayRequeue', target: 'queued', actions: ['recordRequeue', 'touch'] },
        JobCancelRequested: { target: 'cancelling', actions: ['recordCancelRequest', 'touch'] },
      },
    },
    // A worker holds the job but a client cancelled it: no result may be recorded any more, only the
    // cancellation (by the holder before it would write its result, or by whoever receives the
    // message next when the holder is gone).
    cancelling: {
      on: {
        JobCancelled: { guard: 'cancelsCurrentAttempt', target: 'cancelled', actions: ['recordCancellation', 'touch'] },
      },
    },
    done: { type: 'final' },
    // Not final: a client may retry the job, or redrive it when it was dead-lettered.
    failed: {
      on: {
        JobRetried: { target: 'queued', actions: ['recordNewSeries', 'touch'] },
        JobRedriven: { guard: 'isDeadLettered', target: 'queued', actions: ['recordNewSeries', 'touch'] },
      },
    },
    cancelled: {
      on: { JobRetried: { target: 'queued', actions: ['recordNewSeries', 'touch'] } },
    },
  },
});

export type JobState = 'new' | 'queued' | 'processing' | 'cancelling' | 'done' | 'failed' | 'cancelled';
export const jobStates: readonly JobState[] = ['new', 'queued', 'processing', 'cancelling', 'done', 'failed', 'cancelled'];
/** The states a job stays in unless a client acts (retry, redrive): what waiting requests wait for. */
export const finishedJobStates: ReadonlySet<string> = new Set<JobState>(['done', 'failed', 'cancelled']);
