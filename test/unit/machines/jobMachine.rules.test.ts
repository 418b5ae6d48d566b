/** The job machine's important rules as given/when/then specs on the fold (`fold`, `evolve`, `allows`). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptHistoryError, fold, type NewEvent, type StoredEvent } from '../../../machines/index.ts';
import { machineSpec } from '../../support/machineSpec.ts';

const stream = 'job-j1';
let t = 0;
const e = (type: string, data: unknown): NewEvent => ({ type, at: new Date(Date.UTC(2025, 0, 1, 9, 0, (t += 1))).toISOString(), data });

const submitted = (maxAttempts = 2) =>
  e('JobSubmitted', { jobId: 'j1', imageKey: 'images/j1', fileName: 'cat.jpg', contentType: 'image/jpeg', bytes: 100, source: 'v1', maxAttempts });
const started = (instanceId: string, attempt: number) => e('JobStarted', { instanceId, attempt });
const requeued = (reason = 'worker-lost') => e('JobRequeued', { reason });
const completed = (instanceId: string, attempt: number) =>
  e('JobCompleted', { instanceId, attempt, resultKey: 'results/j1.json', faces: 1, label: 'ada', durationMs: 50 });

const given = machineSpec(stream);

describe('given a new job', () => {
  it('when it is submitted, then it is queued with its data', () =>
    given().when(submitted(3)).then('queued', { jobId: 'j1', maxAttempts: 3, attempts: 0, detector: 'ssd' }));
  it('when it is started before being submitted, then it is refused', () => given().when(started('i1', 1)).thenRefused());
});

describe('given a queued job (2 attempts)', () => {
  it('when a worker starts attempt 1, then it is processing and held by that worker', () =>
    given(submitted()).when(started('i1', 1)).then('processing', { attempts: 1, instanceId: 'i1' }));
  it('when a worker claims attempt 2 first, then it is refused', () => given(submitted()).when(started('i1', 2)).thenRefused());
  it('when it is dead-lettered, then it fails with the reason', () =>
    given(submitted()).when(e('JobFailed', { code: 'dead-letter', reason: 'received 5 times' })).then('failed', {
      error: { code: 'dead-letter', reason: 'received 5 times' },
    }));
  it('when a worker reports a failure of an attempt it does not hold, then it is refused', () =>
    given(submitted()).when(e('JobFailed', { code: 'model-error', reason: 'x', instanceId: 'i1', attempt: 1 })).thenRefused());
  it('when it is completed without being started, then it is refused', () => given(submitted()).when(completed('i1', 1)).thenRefused());
});

describe('given a job processing attempt 1 on i1', () => {
  const history = [submitted(), started('i1', 1)];
  it('when i1 completes attempt 1, then it is done with the result', () =>
    given(...history).when(completed('i1', 1)).then('done', { resultKey: 'results/j1.json', label: 'ada' }));
  it('when another worker completes it, then it is refused', () => given(...history).when(completed('i2', 1)).thenRefused());
  it('when i1 completes an attempt it does not hold, then it is refused', () => given(...history).when(completed('i1', 2)).thenRefused());
  it('when its worker is lost, then it is queued again and held by nobody', () =>
    given(...history).when(requeued()).then('queued', { instanceId: null, attempts: 1 }));
  it('when i1 reports the model rejected the input, then it fails', () =>
    given(...history).when(e('JobFailed', { code: 'invalid-image', reason: 'not an image', instanceId: 'i1', attempt: 1 })).then('failed'));
});

describe('given a job requeued after a lost worker and started again by i2', () => {
  const history = [submitted(), started('i1', 1), requeued(), started('i2', 2)];
  it('when the lost worker i1 completes its old attempt, then it is refused', () => given(...history).when(completed('i1', 1)).thenRefused());
  it('when i2 completes attempt 2, then it is done', () => given(...history).when(completed('i2', 2)).then('done', { attempts: 2, instanceId: 'i2' }));
  it('when its lease expires on the last attempt, then a retry is refused (attempts exhausted)', () =>
    given(...history).when(requeued('lease-expired')).thenRefused());
  it('when the system reports attempts exhausted, then it fails', () =>
    given(...history).when(e('JobFailed', { code: 'max-attempts', reason: 'attempts exhausted' })).then('failed'));
});

describe('given a job with one attempt, processing', () => {
  it('when its worker is lost, then a requeue is refused: retry only below max attempts', () =>
    given(submitted(1), started('i1', 1)).when(requeued()).thenRefused());
});

describe('given a job with one attempt, processing on i1', () => {
  const history = [submitted(1), started('i1', 1)];
  it('when i1 releases it at shutdown, then it is queued and the attempt given back', () =>
    given(...history).when(requeued('released')).then('queued', { attempts: 1, returnedAttempts: 1, instanceId: null }));
  it('when i1 hands it back after a storage error, then it is queued and the attempt given back', () =>
    given(...history).when(requeued('infrastructure')).then('queued', { attempts: 1, returnedAttempts: 1 }));
  it('when it was released and i2 starts attempt 2, then it is processing: the released attempt did not count', () =>
    given(...history, requeued('released')).when(started('i2', 2)).then('processing', { attempts: 2, instanceId: 'i2' }));
  it('when it was released and i2 lost attempt 2 too, then a retry is refused: only the released attempt was given back', () =>
    given(...history, requeued('released'), started('i2', 2)).when(requeued('lease-expired')).thenRefused());
});

describe('given a done job', () => {
  const history = [submitted(), started('i1', 1), completed('i1', 1)];
  it('when it is started again, then it is refused', () => given(...history).when(started('i2', 2)).thenRefused());
  it('when it is dead-lettered late, then it is refused', () =>
    given(...history).when(e('JobFailed', { code: 'dead-letter', reason: 'late' })).thenRefused());
});

describe('given any job', () => {
  it('when an event has invalid data, then it is refused as corrupt', () =>
    given(submitted()).when(e('JobStarted', { instanceId: '', attempt: 1 })).thenRefused(CorruptHistoryError));
  it('when an event type is unknown, then it is refused as corrupt', () =>
    given(submitted()).when(e('JobTeleported', {})).thenRefused(CorruptHistoryError));
  it('when a stored history skips a seq, then the fold names the seq', () => {
    const events: StoredEvent[] = [{ ...submitted(), stream, seq: 1 }, { ...started('i1', 1), stream, seq: 3 }];
    assert.throws(() => fold(stream, events), (error: unknown) => error instanceof CorruptHistoryError && error.seq === 3);
  });
});
