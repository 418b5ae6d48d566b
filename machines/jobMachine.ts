/**
 * The job machine: new → queued → processing → done, with failed (attempts exhausted, an input the
 * model rejects, or dead-lettered) and processing → queued when a lease ends without a result.
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
  maxAttempts: number;
  /** How many times a worker has started the job. */
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
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type JobState = 'new' | 'queued' | 'processing' | 'done' | 'failed';
export const jobStates: readonly JobState[] = ['new', 'queued', 'processing', 'done', 'failed'];
