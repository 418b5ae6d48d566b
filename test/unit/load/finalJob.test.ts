/** `facefleet load` reads a job row as final when done or failed, and a cancelled job as a failed answer (not a wait). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finalJobOf } from '../../../client/load/transports.ts';

describe('given job rows as the stream and GET /v1/jobs/:id send them', () => {
  it('when a row is done then it is final with its label', () =>
    assert.deepEqual(finalJobOf({ kind: 'job', id: 'j1', state: 'done', context: { label: 'ada' } }), { id: 'j1', state: 'done', label: 'ada' }));
  it('when a row is cancelled then it is final, as a failure naming the cancellation', () =>
    assert.deepEqual(finalJobOf({ id: 'j2', state: 'cancelled', cancelReason: 'not needed' }), { id: 'j2', state: 'failed', reason: 'cancelled: not needed' }));
  it('when a job view carries its job kind (recognize or verify), then it is still a job and final when done', () => {
    for (const kind of ['recognize', 'verify']) assert.deepEqual(finalJobOf({ kind, id: 'j4', state: 'done', label: 'ada' }), { id: 'j4', state: 'done', label: 'ada' });
  });
  it('when the row is an instance, then it is no job', () => assert.equal(finalJobOf({ kind: 'instance', id: 'i1', state: 'done' }), undefined));
  it('when a row is queued, processing or cancelling then it is not final', () => {
    for (const state of ['queued', 'processing', 'cancelling']) assert.equal(finalJobOf({ id: 'j3', state }), undefined);
  });
});
