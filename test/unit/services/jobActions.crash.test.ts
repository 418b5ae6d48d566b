/**
 * Retry and redrive write the event first and send the message second: when the send fails (or the
 * process dies in between), the job is queued without a message and `requeueOrphans` — the
 * supervisor's periodic repair — sends it, so the action is never lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../../adapters/embedded/sqliteQueue.ts';
import type { EventStore, Queue } from '../../../adapters/ports.ts';
import { emptyState, streamName, type NewEvent } from '../../../machines/index.ts';
import { newId, type Clock } from '../../../services/clock.ts';
import { redriveDeadLetters } from '../../../services/jobs/deadLetters.ts';
import { retryJob, type ActionDeps } from '../../../services/jobs/jobActions.ts';
import { requeueOrphans } from '../../../services/jobs/requeueOrphans.ts';
import { load, propose } from '../../../services/streams/propose.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const start = Date.parse('2030-01-01T00:00:00Z');
let now = start;
const clock: Clock = { now: () => new Date(now), newId: () => newId(now) };
const at = () => new Date(now).toISOString();

/** The request queue, but every send fails (the broker is down, or the process dies right there). */
function unsendable(queue: Queue): Queue {
  return new Proxy(queue, {
    get(target, key, receiver) {
      if (key === 'send') return async () => Promise.reject(new Error('connection reset'));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

describe('given a failed job and a dead-lettered job, and a request queue that cannot be sent to', () => {
  const dir = makeTempDir('actions-crash');
  let store: EventStore;
  let queues: ReturnType<typeof openSqliteQueues>;
  let requests: Queue;
  const warnings: string[] = [];
  let deps: ActionDeps;
  const failed = 'jfailed';
  const dead = 'jdead';

  async function job(jobId: string, failure: NewEvent[]): Promise<void> {
    const stream = streamName('job', jobId);
    const submitted: NewEvent = {
      type: 'JobSubmitted',
      at: at(),
      data: { jobId, imageKey: `images/${jobId}`, fileName: 'a.jpg', contentType: 'image/jpeg', bytes: 10, source: 'v1', maxAttempts: 1, detector: 'ssd' },
    };
    await propose(store, stream, () => [submitted, ...failure], { known: emptyState(stream) });
  }

  before(async () => {
    store = openSqliteEventStore({ file: dir.file('db.sqlite') });
    queues = openSqliteQueues({ file: dir.file('db.sqlite') });
    requests = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30 });
    deps = { store, requests: unsendable(requests), clock, maxAttempts: 2, onWarning: (message) => warnings.push(message) };
    await job(failed, [
      { type: 'JobStarted', at: at(), data: { instanceId: 'i1', attempt: 1 } },
      { type: 'JobFailed', at: at(), data: { code: 'model-error', reason: 'onnx exploded', instanceId: 'i1', attempt: 1 } },
    ]);
    await job(dead, [{ type: 'JobFailed', at: at(), data: { code: 'dead-letter', reason: 'received 3 times' } }]);
  });
  after(async () => {
    queues.close();
    await store.close();
    await dir.cleanup();
  });

  it('when both are retried or redriven then both are queued with the event recorded, and the lost sends are reported', async () => {
    const job = await retryJob(deps, failed);
    assert.equal(job.state, 'queued');
    const outcome = await redriveDeadLetters(deps, { max: 10 });
    assert.deepEqual(outcome, { redriven: [dead], skipped: [] });
    assert.equal((await load(store, streamName('job', dead))).state, 'queued');
    assert.equal(warnings.length, 2);
    assert.deepEqual(await requests.depth(), { visible: 0, inFlight: 0 });
  });

  it('when the supervisor repairs orphans later then each job gets its message, once', async () => {
    now += 10 * 60_000;
    const repaired = await requeueOrphans({ store, requests, clock }, { olderThanMs: 5 * 60_000 });
    assert.deepEqual(repaired.resent.sort(), [dead, failed].sort());
    const messages = await requests.receive({ maxMessages: 10, waitSeconds: 0 });
    assert.deepEqual(messages.map((m) => (JSON.parse(m.body) as { jobId: string }).jobId).sort(), [dead, failed].sort());
    const again = await requeueOrphans({ store, requests, clock }, { olderThanMs: 5 * 60_000 });
    assert.deepEqual(again.resent, [], 'the messages exist now: nothing more is sent');
  });
});
