/**
 * The worker and the supervisor with a job a client cancelled while some worker held it, when that
 * holder is gone: the next receiver of the message records the cancellation (and never runs the
 * model); a message dead-lettered meanwhile makes the supervisor record it. Exactly one JobCancelled
 * either way.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { streamName, type NewEvent } from '../../../machines/index.ts';
import { cancelJob } from '../../../services/jobs/jobActions.ts';
import { propose } from '../../../services/streams/propose.ts';
import { execute, type ExecuteDeps } from '../../../services/supervisor/execute.ts';
import { fakeRecognizer, openBench, type Bench } from './harness.ts';

let bench: Bench;
beforeEach(() => {
  bench = openBench();
});
afterEach(async () => {
  await bench.close();
});

/** A job started by a worker that then vanished, and cancelled by a client: `cancelling`, held by the ghost. */
async function cancelledWhileHeldByGhost(send: boolean): Promise<string> {
  const jobId = await bench.submit('label:alice', { send });
  const start: NewEvent = { type: 'JobStarted', at: new Date().toISOString(), data: { instanceId: 'ghost', attempt: 1 } };
  await propose(bench.store, streamName('job', jobId), () => [start]);
  const { outcome } = await cancelJob(bench, jobId, 'not needed any more');
  assert.equal(outcome, 'cancelling');
  return jobId;
}

describe('given a job cancelled while a worker that is now gone held it', () => {
  it('when its message comes back to another worker then that worker records the cancellation without running the model', async () => {
    const jobId = await cancelledWhileHeldByGhost(true);
    const recognizer = fakeRecognizer();
    const worker = bench.worker({ recognizer, settings: { emptyPollsToTerminate: 1000 } });
    const skipped = worker.next('jobSkipped');
    await worker.start();
    assert.deepEqual(await skipped, { jobId, reason: 'cancelled' });
    assert.equal(recognizer.calls, 0);
    const events = await bench.events(streamName('job', jobId));
    assert.deepEqual(events.map((e) => e.type), ['JobSubmitted', 'JobStarted', 'JobCancelRequested', 'JobCancelled']);
    assert.deepEqual(events.at(-1)!.data, { reason: 'not needed any more' });
    assert.deepEqual(await bench.requests.depth(), { visible: 0, inFlight: 0 });
    const [response] = await bench.responses.receive({ waitSeconds: 0 });
    assert.deepEqual(JSON.parse(response!.body), { jobId, state: 'cancelled' });
  });

  it('when its message is dead-lettered instead then the supervisor records the cancellation, not a failure', async () => {
    const jobId = await cancelledWhileHeldByGhost(false);
    const deadLetters = bench.requests; // any queue serves to hand the supervisor a receipt handle
    await deadLetters.send(JSON.stringify({ jobId }));
    const [message] = await deadLetters.receive({ waitSeconds: 0 });
    const deps = { store: bench.store, responses: bench.responses, deadLetters, clock: bench.clock, log: () => undefined } as unknown as ExecuteDeps;
    await execute(deps, { type: 'FailDeadLettered', jobId, receiptHandle: message!.receiptHandle });
    assert.deepEqual(await bench.types(streamName('job', jobId)), ['JobSubmitted', 'JobStarted', 'JobCancelRequested', 'JobCancelled']);
    assert.deepEqual(await deadLetters.depth(), { visible: 0, inFlight: 0 }, 'the dead letter is deleted');
  });
});
