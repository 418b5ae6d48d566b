/**
 * A stored job whose request message could not be sent is not left for requeueOrphans' minutes: the
 * send is tried again within seconds in the background, and the upload is answered at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Queue } from '../../../adapters/ports.ts';
import { sendWithRetry } from '../../../services/jobs/sendWithRetry.ts';

/** A queue whose first `failures` sends throw, then accept; records what it accepted. */
function flakyQueue(failures: number): Queue & { sent: string[]; tries: number } {
  const q = {
    sent: [] as string[],
    tries: 0,
    async send(body: string) {
      q.tries += 1;
      if (q.tries <= failures) throw new Error('queue unavailable');
      q.sent.push(body);
    },
  };
  return q as unknown as Queue & { sent: string[]; tries: number };
}

describe('given a queue that refuses the first two sends', () => {
  it('when a message is sent with retries, then it returns at once, and the message is sent once on the third try', async () => {
    const queue = flakyQueue(2);
    const failures: Array<{ attempt: number; last: boolean }> = [];
    const { settled } = await sendWithRetry(queue, '{"jobId":"j1"}', (attempt, _error, last) => failures.push({ attempt, last }), [10, 10, 10]);
    assert.equal(queue.sent.length, 0, 'answered before the retries');
    assert.equal(await settled, true);
    assert.deepEqual(queue.sent, ['{"jobId":"j1"}']);
    assert.deepEqual(failures, [{ attempt: 1, last: false }, { attempt: 2, last: false }]);
  });
});

describe('given a queue that is down for good', () => {
  it('when every retry fails, then it settles false and the last failure says so (requeueOrphans takes over)', async () => {
    const queue = flakyQueue(100);
    const failures: Array<{ attempt: number; last: boolean }> = [];
    const { settled } = await sendWithRetry(queue, '{"jobId":"j2"}', (attempt, _error, last) => failures.push({ attempt, last }), [5, 5]);
    assert.equal(await settled, false);
    assert.deepEqual(failures.map((f) => f.last), [false, false, true]);
    assert.equal(queue.tries, 3);
  });
});

describe('given a healthy queue', () => {
  it('when a message is sent, then once, and no failure is reported', async () => {
    const queue = flakyQueue(0);
    let told = 0;
    const { settled } = await sendWithRetry(queue, 'm', () => (told += 1));
    assert.equal(await settled, true);
    assert.deepEqual(queue.sent, ['m']);
    assert.equal(told, 0);
  });
});
