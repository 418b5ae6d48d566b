/** The job machine's client actions (cancel, retry, redrive) as given/when/then specs on the fold. */
import { describe, it } from 'node:test';
import type { NewEvent } from '../../../machines/index.ts';
import { machineSpec } from '../../support/machineSpec.ts';

let t = 0;
const e = (type: string, data: unknown): NewEvent => ({ type, at: new Date(Date.UTC(2025, 0, 1, 9, 0, (t += 1))).toISOString(), data });

const submitted = (maxAttempts = 2) =>
  e('JobSubmitted', { jobId: 'j1', imageKey: 'images/j1', fileName: 'cat.jpg', contentType: 'image/jpeg', bytes: 100, source: 'v1', maxAttempts });
const started = (instanceId: string, attempt: number) => e('JobStarted', { instanceId, attempt });
const completed = (instanceId: string, attempt: number) =>
  e('JobCompleted', { instanceId, attempt, resultKey: `results/j1-${attempt}.json`, faces: 1, label: 'ada', durationMs: 50 });
const failed = (instanceId: string, attempt: number) => e('JobFailed', { code: 'model-error', reason: 'onnx exploded', instanceId, attempt });
const deadLettered = () => e('JobFailed', { code: 'dead-letter', reason: 'received 5 times' });
const cancelRequested = () => e('JobCancelRequested', { reason: 'the client cancelled it' });
const cancelled = (by?: { instanceId: string; attempt: number }) => e('JobCancelled', { reason: 'the client cancelled it', ...by });
const retried = (maxAttempts = 2) => e('JobRetried', { maxAttempts });
const redriven = (maxAttempts = 2) => e('JobRedriven', { maxAttempts, previousCode: 'dead-letter', previousReason: 'received 5 times' });

const given = machineSpec('job-j1');

describe('given a queued job', () => {
  it('when it is cancelled, then it is cancelled with the reason and finished', () =>
    given(submitted()).when(cancelled()).then('cancelled', { cancelReason: 'the client cancelled it', attempts: 0 }));
  it('when a worker claims to cancel it, then it is refused (no worker holds a queued job)', () =>
    given(submitted()).when(cancelled({ instanceId: 'i1', attempt: 1 })).thenRefused());
  it('when cancel is requested (the form for a held job), then it is refused', () => given(submitted()).when(cancelRequested()).thenRefused());
  it('when it is retried, then it is refused (only failed or cancelled jobs run again)', () => given(submitted()).when(retried()).thenRefused());
});

describe('given a job processing attempt 1 on i1', () => {
  const history = [submitted(), started('i1', 1)];
  it('when cancel is requested, then it is cancelling, still held by i1', () =>
    given(...history).when(cancelRequested()).then('cancelling', { instanceId: 'i1', cancelReason: 'the client cancelled it' }));
  it('when it is cancelled at once, then it is refused (the holder records it)', () =>
    given(...history).when(cancelled()).thenRefused());
});

describe('given a cancelling job held by i1 (attempt 1)', () => {
  const history = [submitted(), started('i1', 1), cancelRequested()];
  it('when i1 cancels its attempt, then it is cancelled', () =>
    given(...history).when(cancelled({ instanceId: 'i1', attempt: 1 })).then('cancelled', { cancelReason: 'the client cancelled it' }));
  it('when the next receiver of its message cancels it (no worker named), then it is cancelled', () =>
    given(...history).when(cancelled()).then('cancelled'));
  it('when i1 completes it, then it is refused: a cancelled job is never completed', () => given(...history).when(completed('i1', 1)).thenRefused());
  it('when i1 fails it, then it is refused', () => given(...history).when(failed('i1', 1)).thenRefused());
  it('when another worker cancels attempt 1, then it is refused', () => given(...history).when(cancelled({ instanceId: 'i2', attempt: 1 })).thenRefused());
  it('when i1 cancels an attempt it does not hold, then it is refused', () => given(...history).when(cancelled({ instanceId: 'i1', attempt: 2 })).thenRefused());
  it('when its lease expires, then a requeue is refused', () => given(...history).when(e('JobRequeued', { reason: 'lease-expired' })).thenRefused());
  it('when a worker starts it again, then it is refused', () => given(...history).when(started('i2', 2)).thenRefused());
  it('when cancel is requested again, then it is refused (already requested)', () => given(...history).when(cancelRequested()).thenRefused());
});

describe('given a cancelled job', () => {
  const history = [submitted(), cancelled()];
  it('when a worker starts it, then it is refused: it is never processed', () => given(...history).when(started('i1', 1)).thenRefused());
  it('when it is cancelled again, then it is refused', () => given(...history).when(cancelled()).thenRefused());
  it('when it is retried, then it is queued again with the reason cleared', () =>
    given(...history).when(retried()).then('queued', { cancelReason: null, finishedAt: null, retries: 1, maxAttempts: 2 }));
  it('when it is redriven, then it is refused (it was not dead-lettered)', () => given(...history).when(redriven()).thenRefused());
});

describe('given a job that failed on its last attempt (2 of 2)', () => {
  const history = [submitted(), started('i1', 1), e('JobRequeued', { reason: 'retry' }), started('i1', 2), failed('i1', 2)];
  it('when it is retried with 2 attempts, then it is queued, attempts kept, limit raised to 4', () =>
    given(...history).when(retried(2)).then('queued', { attempts: 2, maxAttempts: 4, retries: 1, error: null, instanceId: null }));
  it('when it is redriven, then it is refused (only dead letters are redriven)', () => given(...history).when(redriven()).thenRefused());
  it('when it is retried and then started as attempt 3, then it is processing', () =>
    given(...history, retried(2)).when(started('i2', 3)).then('processing', { attempts: 3, instanceId: 'i2' }));
  it('when it is retried and a stale start of attempt 2 arrives, then it is refused', () =>
    given(...history, retried(2)).when(started('i2', 2)).thenRefused());
  it('when it is retried with 1 attempt and attempt 3 is handed back, then the requeue is refused (the new series has one)', () =>
    given(...history, retried(1), started('i2', 3)).when(e('JobRequeued', { reason: 'retry' })).thenRefused());
});

describe('given a dead-lettered job', () => {
  const history = [submitted(), deadLettered()];
  it('when it is redriven, then it is queued again, the dead-letter failure cleared from the context', () =>
    given(...history).when(redriven(2)).then('queued', { error: null, retries: 1, maxAttempts: 2, attempts: 0 }));
  it('when it is retried, then it is queued too (a retry takes any failure)', () => given(...history).when(retried()).then('queued'));
  it('when it is redriven and completed by the next worker, then it is done', () =>
    given(...history, redriven(2), started('i3', 1)).when(completed('i3', 1)).then('done', { label: 'ada' }));
});

describe('given a done job', () => {
  const history = [submitted(), started('i1', 1), completed('i1', 1)];
  it('when it is cancelled, then it is refused', () => given(...history).when(cancelled()).thenRefused());
  it('when cancel is requested, then it is refused', () => given(...history).when(cancelRequested()).thenRefused());
  it('when it is retried, then it is refused', () => given(...history).when(retried()).thenRefused());
  it('when it is redriven, then it is refused', () => given(...history).when(redriven()).thenRefused());
});
