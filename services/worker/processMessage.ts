/**
 * One request message, start to end: judge the job stream, take the next attempt, run the model
 * with the current gallery, store the result, record the outcome, answer on the response queue and
 * delete the message. Outcomes are values (`done | failed | skipped | retryLater | released`);
 * only the holder of the current attempt can complete a job, so two workers never both complete it.
 */
import type { Blobs, EventStore, Queue, QueueMessage } from '../../adapters/ports.ts';
import type { Gallery, RecognitionResult } from '../../model/index.ts';
import { NotFoundError, streamName, type JobEventData, type NewEvent, type StreamState } from '../../machines/index.ts';
import type { JobContext } from '../../machines/index.ts';
import { isoNow, type Clock } from '../clock.ts';
import { noFaults, type FaultHooks } from './faultHooks.ts';
import { blobKeys } from '../blobKeys.ts';
import { parseMessage, requestMessage, type ResponseMessage } from '../jobs/messages.ts';
import { propose } from '../streams/propose.ts';

/** The model as the worker sees it. */
export interface Recognizer {
  /** Milliseconds it took to load. */
  readonly loadTimeMs: number;
  recognize(bytes: Uint8Array, gallery: Gallery, options: { detector: 'ssd' | 'tiny'; threshold?: number }): Promise<RecognitionResult>;
  /** The classic label of a result: the largest face's name, `unknown` or `no-face`. */
  label(result: RecognitionResult): string;
}

export interface JobDeps {
  store: EventStore;
  blobs: Blobs;
  requests: Queue;
  responses: Queue;
  clock: Clock;
  recognizer: Recognizer;
  /** The current gallery (a gallery change must be seen by the next job). */
  gallery(): Promise<Gallery>;
  instanceId: string;
  threshold?: number;
  /** Fault injection for the reliability tests (default: none). */
  faults?: FaultHooks;
}

export type JobOutcome =
  | { kind: 'done'; jobId: string; attempt: number; label: string; durationMs: number }
  | { kind: 'failed'; jobId: string; code: string; reason: string; started: boolean }
  | { kind: 'skipped'; jobId?: string; reason: string }
  | { kind: 'retryLater'; jobId: string; error: string }
  | { kind: 'released'; jobId: string };

/** Hooks the loop uses to keep its instance stream in step with the job. */
export interface JobHooks {
  /** The job was taken (JobStarted appended): record InstanceJobStarted. */
  onStarted(jobId: string, attempt: number): Promise<void>;
}

type JobState = StreamState & { kind: 'job' };
const modelInputCodes = new Set(['invalid-image', 'image-too-large']);

function event<T extends string>(type: T, clock: Clock, data: unknown): NewEvent {
  return { type, at: isoNow(clock), data };
}

/** `clock` stopped at its current time (ids still new). */
function fixedClock(clock: Clock): Clock {
  const at = clock.now();
  return { ...clock, now: () => at };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The events that take the next attempt of a job (or fail it when the attempts are used up). */
export function decideStart(state: StreamState, instanceId: string, clock: Clock): NewEvent[] | null {
  if (state.kind !== 'job') return null;
  const { attempts, maxAttempts, instanceId: holder } = state.context;
  // One decision, one time: a requeue and the restart it allows are appended together with one `at`.
  const now = fixedClock(clock);
  const start = event('JobStarted', now, { instanceId, attempt: attempts + 1 } satisfies JobEventData<'JobStarted'>);
  const exhausted = event('JobFailed', now, {
    code: 'max-attempts',
    reason: `the job was started ${attempts} times without a result`,
  } satisfies JobEventData<'JobFailed'>);
  switch (state.state) {
    case 'queued':
      return attempts < maxAttempts ? [start] : [exhausted];
    case 'processing': {
      // The previous holder's lease expired (or it died): the message came back to us.
      if (attempts >= maxAttempts) return [exhausted];
      const requeued = event('JobRequeued', now, {
        reason: 'lease-expired',
        ...(holder ? { instanceId: holder } : {}),
      } satisfies JobEventData<'JobRequeued'>);
      return [requeued, start];
    }
    default:
      // new, done, failed: nothing to take.
      return null;
  }
}

/** True while `instanceId` holds `attempt` of the job. */
function holds(state: StreamState, instanceId: string, attempt: number): boolean {
  return state.kind === 'job' && state.state === 'processing' && state.context.instanceId === instanceId && state.context.attempts === attempt;
}

async function respond(deps: JobDeps, message: ResponseMessage): Promise<void> {
  await deps.responses.send(JSON.stringify(message));
}

/**
 * Handles one received message. Never throws for a job's own problems (those are outcomes); throws
 * only when the queue or store itself fails, and then the message is simply left to come back.
 */
export async function processMessage(deps: JobDeps, message: QueueMessage, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
  const parsed = parseMessage(requestMessage, message.body);
  if (!parsed) {
    await deps.requests.delete(message.receiptHandle);
    return { kind: 'skipped', reason: `malformed message ${JSON.stringify(message.body.slice(0, 100))}` };
  }
  const { jobId } = parsed;
  const stream = streamName('job', jobId);
  const { clock, instanceId } = deps;

  const taken = await propose(deps.store, stream, (state) => decideStart(state, instanceId, clock));
  const state = taken.state as JobState;
  if (taken.appended.length === 0) {
    await deps.requests.delete(message.receiptHandle);
    return { kind: 'skipped', jobId, reason: state.state === 'new' ? 'unknown job' : `job already ${state.state}` };
  }
  if (state.state === 'failed') {
    await respond(deps, { jobId, state: 'failed' });
    await deps.requests.delete(message.receiptHandle);
    return { kind: 'failed', jobId, code: 'max-attempts', reason: state.context.error?.reason ?? 'attempts exhausted', started: false };
  }
  const attempt = state.context.attempts;
  await hooks.onStarted(jobId, attempt);
  return runAttempt(deps, message, state, attempt, signal);
}

async function runAttempt(deps: JobDeps, message: QueueMessage, started: JobState, attempt: number, signal: AbortSignal): Promise<JobOutcome> {
  const { clock, instanceId } = deps;
  const context: JobContext = started.context;
  const jobId = context.jobId as string;
  const stream = streamName('job', jobId);
  const begun = performance.now();

  /** Appends a final event if we still hold the attempt; false when another worker took the job over. */
  const finish = async (final: NewEvent): Promise<boolean> => {
    const result = await propose(deps.store, stream, (s) => (holds(s, instanceId, attempt) ? [final] : null), { known: started });
    if (result.appended.length > 0) return true;
    // Our own append whose answer was lost reads back as "taken over": this attempt's result key is ours alone.
    const data = final.data as { resultKey?: unknown };
    return final.type === 'JobCompleted' && result.state.state === 'done' && result.state.context.resultKey === data.resultKey;
  };
  const fail = async (code: JobEventData<'JobFailed'>['code'], reason: string): Promise<JobOutcome> => {
    const ok = await finish(event('JobFailed', clock, { code, reason: reason.slice(0, 2000), instanceId, attempt } satisfies JobEventData<'JobFailed'>));
    if (ok) await respond(deps, { jobId, state: 'failed' });
    await deps.requests.delete(message.receiptHandle);
    return ok ? { kind: 'failed', jobId, code, reason, started: true } : { kind: 'skipped', jobId, reason: 'another worker took the job over' };
  };

  let result: RecognitionResult;
  try {
    const imageKey = context.imageKey ?? blobKeys.image(jobId);
    let bytes: Buffer;
    try {
      bytes = await deps.blobs.getBytes(imageKey);
    } catch (error) {
      if (error instanceof NotFoundError) return await fail('missing-image', `the image ${imageKey} is missing`);
      throw error;
    }
    const gallery = await deps.gallery();
    const options = { detector: context.detector, ...(deps.threshold === undefined ? {} : { threshold: deps.threshold }) };
    // Fault injection (FACEFLEET_FAULTS, tests only; a no-op otherwise): a poison image, a stalled attempt.
    const recognition = (deps.faults ?? noFaults).beforeRecognition(bytes, attempt).then(() => deps.recognizer.recognize(bytes, gallery, options));
    result = await Promise.race([recognition, aborted(signal)]);
  } catch (error) {
    if (signal.aborted) return release(deps, message, started, attempt);
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && modelInputCodes.has(code)) {
      return fail(code as 'invalid-image' | 'image-too-large', error instanceof Error ? error.message : String(error));
    }
    return retryLater(deps, message, started, attempt, error);
  }

  const durationMs = Math.round(performance.now() - begun);
  const label = deps.recognizer.label(result);
  const resultKey = blobKeys.result(jobId, attempt);
  try {
    await deps.blobs.put(resultKey, Buffer.from(JSON.stringify({ jobId, label, ...result })), { contentType: 'application/json' });
  } catch (error) {
    return retryLater(deps, message, started, attempt, error);
  }
  const completed = event('JobCompleted', clock, {
    instanceId,
    attempt,
    resultKey,
    faces: result.faces.length,
    label,
    durationMs,
  } satisfies JobEventData<'JobCompleted'>);
  const ok = await finish(completed);
  if (ok) await respond(deps, { jobId, state: 'done' });
  // Refused: another worker owns the job now; this attempt's result is referenced by nothing.
  else await deps.blobs.delete(resultKey).catch(() => undefined);
  await deps.requests.delete(message.receiptHandle);
  return ok ? { kind: 'done', jobId, attempt, label, durationMs } : { kind: 'skipped', jobId, reason: 'another worker took the job over' };
}

/**
 * An unexpected error (not the input's fault): hand the attempt back while attempts remain and leave
 * the message to reappear after its visibility timeout; on the last attempt, fail the job.
 */
async function retryLater(deps: JobDeps, message: QueueMessage, started: JobState, attempt: number, error: unknown): Promise<JobOutcome> {
  const { clock, instanceId } = deps;
  const jobId = started.context.jobId as string;
  const text = error instanceof Error ? error.message : String(error);
  const stream = streamName('job', jobId);
  const last = attempt >= started.context.maxAttempts;
  const next = last
    ? event('JobFailed', clock, { code: 'model-error', reason: text.slice(0, 2000), instanceId, attempt } satisfies JobEventData<'JobFailed'>)
    : event('JobRequeued', clock, { reason: 'retry', instanceId } satisfies JobEventData<'JobRequeued'>);
  const result = await propose(deps.store, stream, (s) => (holds(s, instanceId, attempt) ? [next] : null), { known: started });
  if (last && result.appended.length) {
    await deps.responses.send(JSON.stringify({ jobId, state: 'failed' } satisfies ResponseMessage));
    // The job is failed for good: a redelivery would only be skipped, then dead-lettered.
    await deps.requests.delete(message.receiptHandle);
    return { kind: 'failed', jobId, code: 'model-error', reason: text, started: true };
  }
  return { kind: 'retryLater', jobId, error: text };
}

/** Shutdown in the middle of a job: make the message visible again and give the attempt back. */
async function release(deps: JobDeps, message: QueueMessage, started: JobState, attempt: number): Promise<JobOutcome> {
  const { clock, instanceId } = deps;
  const jobId = started.context.jobId as string;
  const stream = streamName('job', jobId);
  await propose(
    deps.store,
    stream,
    (s) => (holds(s, instanceId, attempt) && s.kind === 'job' && s.context.attempts < s.context.maxAttempts ? [event('JobRequeued', clock, { reason: 'retry', instanceId })] : null),
    { known: started },
  );
  await deps.requests.changeVisibility(message.receiptHandle, 0);
  return { kind: 'released', jobId };
}
