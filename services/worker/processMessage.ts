/**
 * One request message, start to end: judge the job stream, take the next attempt, run the model
 * with the current gallery, store the result, record the outcome, answer on the response queue and
 * delete the message. Outcomes are values (`done | failed | skipped | retryLater | released`);
 * only the holder of the current attempt can complete a job, so two workers never both complete it.
 * A job a client cancelled while we held it (`cancelling`) is never completed: wherever we would
 * record an outcome we record `JobCancelled` instead (the outcome is then `skipped`, reason
 * `cancelled`); a cancelled queued job's message is dropped like any finished job's.
 */
import type { Blobs, EventStore, Queue, QueueMessage } from '../../adapters/ports.ts';
import type { Gallery, RecognitionResult, VerificationResult } from '../../model/index.ts';
import { hasAttemptLeft, NotFoundError, streamName, type JobEventData, type NewEvent, type StreamState } from '../../machines/index.ts';
import type { JobContext } from '../../machines/index.ts';
import { isoNow, type Clock } from '../clock.ts';
import { noFaults, type FaultHooks } from './faultHooks.ts';
import { blobKeys } from '../blobKeys.ts';
import { parseMessage, requestMessage, type ResponseMessage } from '../jobs/messages.ts';
import { scrubPaths } from '../scrubPaths.ts';
import { load, propose } from '../streams/propose.ts';
import { infrastructureCause } from '../infrastructureError.ts';

/** The model as the worker sees it. */
export interface Recognizer {
  /** Milliseconds it took to load. */
  readonly loadTimeMs: number;
  recognize(bytes: Uint8Array, gallery: Gallery, options: { detector: 'ssd' | 'tiny'; threshold?: number; ambiguityMargin?: number }): Promise<RecognitionResult>;
  /** The classic label of a result: the largest face's name, `unknown`, `no-face` (or `ambiguous` when asked). */
  label(result: RecognitionResult, options?: { ambiguousLabel?: boolean }): string;
  /** Compares the largest face of `a` with the largest of `b`, or with a subject's examples. */
  verify(a: Uint8Array, b: VerifyAgainst, options: { detector: 'ssd' | 'tiny'; threshold: number }): Promise<VerificationResult>;
}

/** The other side of a verification: a second photo, or a gallery subject. */
export type VerifyAgainst = { photo: Uint8Array } | { subject: { id: string; name: string; descriptors: number[][] } };

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
  /** A named face whose runner-up is less than this much farther is `ambiguous` (model default 0.05). */
  ambiguityMargin?: number;
  /** Classic labels say `ambiguous` for an ambiguous largest face instead of its nearest name. */
  ambiguousLabel?: boolean;
  /** Fault injection for the reliability tests (default: none). */
  faults?: FaultHooks;
  /**
   * Whether the instance holding a job's current attempt is alive and working on it (its heartbeat
   * is recent). A delivery of such a job is a duplicate and is handed back, not taken over.
   * Default: never (every redelivery of a processing job takes it over).
   */
  holderAlive?(holderId: string, jobId: string): Promise<boolean>;
  /**
   * How long a handed-back duplicate stays invisible (default 30 s): the heartbeat timeout, so by
   * the time it is back the holder has finished it or is judged lost, and each hand-back costs one
   * receive of the message's `maxReceives`.
   */
  handBackSeconds?: number;
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
  const { attempts, instanceId: holder } = state.context;
  const left = hasAttemptLeft(state.context);
  // One decision, one time: a requeue and the restart it allows are appended together with one `at`.
  const now = fixedClock(clock);
  const start = event('JobStarted', now, { instanceId, attempt: attempts + 1 } satisfies JobEventData<'JobStarted'>);
  const exhausted = event('JobFailed', now, {
    code: 'max-attempts',
    reason: `the job was started ${attempts} times without a result`,
  } satisfies JobEventData<'JobFailed'>);
  switch (state.state) {
    case 'queued':
      return left ? [start] : [exhausted];
    case 'processing': {
      // The previous holder's lease expired (or it died): the message came back to us.
      if (!left) return [exhausted];
      const requeued = event('JobRequeued', now, {
        reason: 'lease-expired',
        ...(holder ? { instanceId: holder } : {}),
      } satisfies JobEventData<'JobRequeued'>);
      return [requeued, start];
    }
    case 'cancelling':
      // Cancelled while its previous holder had it, and the message came back: the holder is gone
      // (or late), so the cancellation is recorded here, by nobody in particular.
      return [event('JobCancelled', now, { reason: state.context.cancelReason ?? 'cancelled by a client' } satisfies JobEventData<'JobCancelled'>)];
    default:
      // new, done, failed, cancelled: nothing to take.
      return null;
  }
}

/** True while `instanceId` holds `attempt` of the job. */
function holds(state: StreamState, instanceId: string, attempt: number): boolean {
  return state.kind === 'job' && state.state === 'processing' && state.context.instanceId === instanceId && state.context.attempts === attempt;
}

/** True when a client cancelled the job while `instanceId` held `attempt`: only the cancellation may be recorded now. */
function cancelledWhileHeld(state: StreamState, instanceId: string, attempt: number): boolean {
  return state.kind === 'job' && state.state === 'cancelling' && state.context.instanceId === instanceId && state.context.attempts === attempt;
}

/**
 * What to append instead of `outcome` for an attempt we hold: the outcome itself while processing,
 * the cancellation once a client cancelled the job, nothing when another worker took it over.
 */
function settle(state: StreamState, instanceId: string, attempt: number, outcome: NewEvent, clock: Clock): NewEvent[] | null {
  if (holds(state, instanceId, attempt)) return [outcome];
  if (cancelledWhileHeld(state, instanceId, attempt) && state.kind === 'job') {
    const data: JobEventData<'JobCancelled'> = { reason: state.context.cancelReason ?? 'cancelled by a client', instanceId, attempt };
    return [event('JobCancelled', clock, data)];
  }
  return null;
}

/** The outcome of an attempt that ended in its cancellation. */
async function cancelledOutcome(deps: JobDeps, message: QueueMessage, jobId: string): Promise<JobOutcome> {
  await respond(deps, { jobId, state: 'cancelled' });
  await deps.requests.delete(message.receiptHandle);
  return { kind: 'skipped', jobId, reason: 'cancelled' };
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

  const current = await load(deps.store, stream);
  const holder = current.kind === 'job' && current.state === 'processing' ? current.context.instanceId : null;
  if (holder && holder !== instanceId && deps.holderAlive && (await deps.holderAlive(holder, jobId))) {
    // A duplicate delivery (SQS is at-least-once; a lease extension can be late): the holder is
    // alive and on it, so the message goes back and the attempt stays the holder's.
    await deps.requests.changeVisibility(message.receiptHandle, deps.handBackSeconds ?? 30);
    return { kind: 'skipped', jobId, reason: `held by ${holder}, which is alive: delivery handed back` };
  }
  const taken = await propose(deps.store, stream, (state) => decideStart(state, instanceId, clock), { known: current });
  const state = taken.state as JobState;
  if (taken.appended.length === 0) {
    await deps.requests.delete(message.receiptHandle);
    return { kind: 'skipped', jobId, reason: state.state === 'new' ? 'unknown job' : `job already ${state.state}` };
  }
  if (state.state === 'cancelled') return cancelledOutcome(deps, message, jobId);
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

  /**
   * Appends a final event if we still hold the attempt: 'written'; 'cancelled' when a client
   * cancelled the job meanwhile (the cancellation was appended instead); 'lost' when another worker
   * took the job over. Our own append whose answer was lost reads back as "taken over": a
   * completion whose result key (this attempt's alone) is the stored one is 'written'.
   */
  const finish = async (final: NewEvent): Promise<'written' | 'cancelled' | 'lost'> => {
    const result = await propose(deps.store, stream, (s) => settle(s, instanceId, attempt, final, clock), { known: started });
    const [appended] = result.appended;
    if (!appended) {
      const data = final.data as { resultKey?: unknown };
      const ours = final.type === 'JobCompleted' && result.state.state === 'done' && result.state.context.resultKey === data.resultKey;
      return ours ? 'written' : 'lost';
    }
    return appended.type === 'JobCancelled' ? 'cancelled' : 'written';
  };
  const fail = async (code: JobEventData<'JobFailed'>['code'], rawReason: string): Promise<JobOutcome> => {
    const reason = scrubPaths(rawReason, 'none');
    const settled = await finish(event('JobFailed', clock, { code, reason: reason.slice(0, 2000), instanceId, attempt } satisfies JobEventData<'JobFailed'>));
    if (settled === 'cancelled') return cancelledOutcome(deps, message, jobId);
    const ok = settled === 'written';
    if (ok) await respond(deps, { jobId, state: 'failed' });
    await deps.requests.delete(message.receiptHandle);
    return ok ? { kind: 'failed', jobId, code, reason, started: true } : { kind: 'skipped', jobId, reason: 'another worker took the job over' };
  };

  let computed: Computed;
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
    let work: () => Promise<Computed>;
    if (context.kind === 'verify') {
      const against = await verifyTarget(deps, context, gallery);
      if ('missing' in against) return await fail(against.missing.code, against.missing.reason);
      const threshold = deps.threshold ?? gallery.threshold ?? DEFAULT_VERIFY_THRESHOLD;
      work = async () => {
        const verification = await deps.recognizer.verify(bytes, against, { detector: context.detector, threshold });
        return { body: verification, label: verification.label, faces: 2 - verification.noFace.length };
      };
    } else {
      const options = {
        detector: context.detector,
        ...(deps.threshold === undefined ? {} : { threshold: deps.threshold }),
        ...(deps.ambiguityMargin === undefined ? {} : { ambiguityMargin: deps.ambiguityMargin }),
      };
      work = async () => {
        const result = await deps.recognizer.recognize(bytes, gallery, options);
        return { body: result, label: deps.recognizer.label(result, { ambiguousLabel: deps.ambiguousLabel ?? false }), faces: result.faces.length };
      };
    }
    // Fault injection (FACEFLEET_FAULTS, tests only; a no-op otherwise): a poison image, a stalled attempt.
    const running = (deps.faults ?? noFaults).beforeRecognition(bytes, attempt).then(work);
    computed = await Promise.race([running, aborted(signal)]);
  } catch (error) {
    if (signal.aborted) return release(deps, message, started, attempt);
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && modelInputCodes.has(code)) {
      return fail(code as 'invalid-image' | 'image-too-large', error instanceof Error ? error.message : String(error));
    }
    return retryLater(deps, message, started, attempt, error);
  }

  const durationMs = Math.round(performance.now() - begun);
  const { label } = computed;
  const resultKey = blobKeys.result(jobId, attempt);
  try {
    await deps.blobs.put(resultKey, Buffer.from(JSON.stringify({ jobId, label, ...computed.body })), { contentType: 'application/json' });
  } catch (error) {
    if (signal.aborted) return release(deps, message, started, attempt);
    return retryLater(deps, message, started, attempt, error);
  }
  const completed = event('JobCompleted', clock, {
    instanceId,
    attempt,
    resultKey,
    faces: computed.faces,
    label,
    durationMs,
  } satisfies JobEventData<'JobCompleted'>);
  const settled = await finish(completed);
  const ok = settled === 'written';
  if (ok) await respond(deps, { jobId, state: 'done' });
  // Refused (cancelled, or another worker owns the job now): this attempt's result is referenced by nothing.
  else await deps.blobs.delete(resultKey).catch(() => undefined);
  if (settled === 'cancelled') return cancelledOutcome(deps, message, jobId);
  await deps.requests.delete(message.receiptHandle);
  return ok ? { kind: 'done', jobId, attempt, label, durationMs } : { kind: 'skipped', jobId, reason: 'another worker took the job over' };
}

/** What an attempt stores and reports: the result document, its classic label and its face count. */
interface Computed {
  body: RecognitionResult | VerificationResult;
  label: string;
  /** Faces found; for a verification, how many of its two sides have a face (0–2). */
  faces: number;
}

/** The gallery's default when neither config nor gallery sets a threshold (model/gallery.ts DEFAULT_THRESHOLD). */
const DEFAULT_VERIFY_THRESHOLD = 0.6;

/**
 * The other side of a verification job: its second photo, or its subject's example descriptors.
 * A second photo gone from the blobs or a subject removed since submission fails the job (input that
 * cannot come back), never a retry.
 */
async function verifyTarget(
  deps: JobDeps,
  context: JobContext,
  gallery: Gallery,
): Promise<VerifyAgainst | { missing: { code: 'missing-image' | 'unknown-subject'; reason: string } }> {
  if (context.secondImageKey) {
    try {
      return { photo: await deps.blobs.getBytes(context.secondImageKey) };
    } catch (error) {
      if (error instanceof NotFoundError) return { missing: { code: 'missing-image', reason: `the image ${context.secondImageKey} is missing` } };
      throw error;
    }
  }
  const subject = gallery.subjects.find((s) => s.id === context.subjectId);
  if (!subject || subject.examples.length === 0) {
    return { missing: { code: 'unknown-subject', reason: `the gallery has no subject ${JSON.stringify(context.subjectId)} with examples` } };
  }
  return { subject: { id: subject.id, name: subject.name, descriptors: subject.examples.map((e) => e.descriptor) } };
}

/**
 * An error that is not the input's fault: hand the attempt back and leave the message to reappear
 * after its visibility timeout. An infrastructure error (disk full, permission, I/O, an unavailable
 * storage service) gives the attempt back without using it up; any other error uses it, and on the
 * last attempt fails the job (`model-error`). What is recorded never holds a path.
 */
async function retryLater(deps: JobDeps, message: QueueMessage, started: JobState, attempt: number, error: unknown): Promise<JobOutcome> {
  const { clock, instanceId } = deps;
  const jobId = started.context.jobId as string;
  const infrastructure = infrastructureCause(error);
  const text = infrastructure ?? scrubPaths(error instanceof Error ? error.message : String(error), 'none');
  const stream = streamName('job', jobId);
  const last = !infrastructure && !hasAttemptLeft(started.context);
  const next = last
    ? event('JobFailed', clock, { code: 'model-error', reason: text.slice(0, 2000), instanceId, attempt } satisfies JobEventData<'JobFailed'>)
    : event('JobRequeued', clock, { reason: infrastructure ? 'infrastructure' : 'retry', instanceId } satisfies JobEventData<'JobRequeued'>);
  const result = await propose(deps.store, stream, (s) => settle(s, instanceId, attempt, next, clock), { known: started });
  if (result.appended[0]?.type === 'JobCancelled') return cancelledOutcome(deps, message, jobId);
  if (last && result.appended.length) {
    await deps.responses.send(JSON.stringify({ jobId, state: 'failed' } satisfies ResponseMessage));
    // The job is failed for good: a redelivery would only be skipped, then dead-lettered.
    await deps.requests.delete(message.receiptHandle);
    return { kind: 'failed', jobId, code: 'model-error', reason: text, started: true };
  }
  return { kind: 'retryLater', jobId, error: text };
}

/**
 * Shutdown in the middle of a job: make the message visible again and give the attempt back
 * (`released` does not use it up, so a release on the last attempt does not fail the job).
 */
async function release(deps: JobDeps, message: QueueMessage, started: JobState, attempt: number): Promise<JobOutcome> {
  const { clock, instanceId } = deps;
  const jobId = started.context.jobId as string;
  const stream = streamName('job', jobId);
  const result = await propose(
    deps.store,
    stream,
    (s) => settle(s, instanceId, attempt, event('JobRequeued', clock, { reason: 'released', instanceId } satisfies JobEventData<'JobRequeued'>), clock),
    { known: started },
  );
  if (result.appended[0]?.type === 'JobCancelled') return cancelledOutcome(deps, message, jobId);
  await deps.requests.changeVisibility(message.receiptHandle, 0);
  return { kind: 'released', jobId };
}
