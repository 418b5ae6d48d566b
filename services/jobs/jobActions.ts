/**
 * A client's actions on one job, each an event the job machine judges (so replay, the inspector and
 * the read models show them like any other step):
 *  - cancel: a queued job is cancelled at once (its message is dropped by whoever receives it); a
 *    processing job gets `JobCancelRequested` and the worker holding it records `JobCancelled` instead
 *    of its result; a finished job (done, failed) is refused with 409;
 *  - retry: a failed or cancelled job is queued again as a new attempt series (`JobRetried`), then its
 *    request message is sent. Event before message, as on submit: a crash in between leaves a queued
 *    job without a message, which `requeueOrphans` re-sends.
 */
import type { EventStore, Queue } from '../../adapters/ports.ts';
import { streamName, toReadModel, type JobEventData, type StreamState } from '../../machines/index.ts';
import { isoNow, type Clock } from '../clock.ts';
import { JobActionRefusedError, NotFoundError } from '../errors.ts';
import { checkId, jobView, type JobView } from './getJob.ts';
import type { RequestMessage } from './messages.ts';
import { propose, type Decision } from '../streams/propose.ts';

export interface ActionDeps {
  store: EventStore;
  requests: Queue;
  clock: Clock;
  /** Attempts of a new series (the configured attempts of a job). */
  maxAttempts: number;
  onWarning?: (message: string, error: unknown) => void;
}

export interface CancelOutcome {
  /** `cancelled`: it will never run; `cancelling`: the worker holding it will stop before recording a result. */
  outcome: 'cancelled' | 'cancelling';
  job: JobView;
}

const DEFAULT_CANCEL_REASON = 'cancelled by a client';

function notFound(jobId: string): NotFoundError {
  return new NotFoundError(`There is no job ${JSON.stringify(jobId)}.`);
}

/** The cancel decision for a job's current state (pure). Throws for an unknown or finished job. */
export function decideCancel(state: StreamState, jobId: string, at: string, reason: string): Decision {
  if (state.kind !== 'job' || state.state === 'new') throw notFound(jobId);
  switch (state.state) {
    case 'queued':
      return [{ type: 'JobCancelled', at, data: { reason } satisfies JobEventData<'JobCancelled'> }];
    case 'processing':
      return [{ type: 'JobCancelRequested', at, data: { reason } satisfies JobEventData<'JobCancelRequested'> }];
    case 'cancelling':
    case 'cancelled':
      return null; // already asked for: cancelling twice is answered, not refused
    case 'done':
    case 'failed':
      throw new JobActionRefusedError(`The job ${jobId} is already ${state.state}; only a queued or processing job can be cancelled.`, 'job-finished', jobId, state.state);
    default: {
      const never: never = state.state;
      throw new Error(`unknown job state ${String(never)}`);
    }
  }
}

/** The retry decision for a job's current state (pure). Throws for an unknown job or one that is not failed or cancelled. */
export function decideRetry(state: StreamState, jobId: string, at: string, maxAttempts: number): Decision {
  if (state.kind !== 'job' || state.state === 'new') throw notFound(jobId);
  if (state.state !== 'failed' && state.state !== 'cancelled') {
    throw new JobActionRefusedError(`The job ${jobId} is ${state.state}; only a failed or cancelled job can be retried.`, 'not-retryable', jobId, state.state);
  }
  return [{ type: 'JobRetried', at, data: { maxAttempts } satisfies JobEventData<'JobRetried'> }];
}

function viewOf(stream: string, state: StreamState): JobView {
  return jobView(toReadModel(stream, state));
}

/** Cancels a job (see the module comment). NotFoundError (404), JobActionRefusedError `job-finished` (409). */
export async function cancelJob(deps: Pick<ActionDeps, 'store' | 'clock'>, jobId: string, reason = DEFAULT_CANCEL_REASON): Promise<CancelOutcome> {
  checkId('job', jobId);
  const stream = streamName('job', jobId);
  const at = isoNow(deps.clock);
  const { state } = await propose(deps.store, stream, (s) => decideCancel(s, jobId, at, reason));
  return { outcome: state.state === 'cancelled' ? 'cancelled' : 'cancelling', job: viewOf(stream, state) };
}

/** Sends a job's request message; a failed send is left to `requeueOrphans` (the job is queued and durable). */
export async function sendRequest(deps: Pick<ActionDeps, 'requests' | 'onWarning'>, jobId: string): Promise<void> {
  const message: RequestMessage = { jobId };
  try {
    await deps.requests.send(JSON.stringify(message));
  } catch (error) {
    deps.onWarning?.(`job ${jobId} was queued again but its message could not be sent; requeueOrphans will re-send it`, error);
  }
}

/** Retries a failed or cancelled job (see the module comment). NotFoundError (404), JobActionRefusedError `not-retryable` (409). */
export async function retryJob(deps: ActionDeps, jobId: string): Promise<JobView> {
  checkId('job', jobId);
  const stream = streamName('job', jobId);
  const at = isoNow(deps.clock);
  const { state } = await propose(deps.store, stream, (s) => decideRetry(s, jobId, at, deps.maxAttempts));
  await sendRequest(deps, jobId);
  return viewOf(stream, state);
}
