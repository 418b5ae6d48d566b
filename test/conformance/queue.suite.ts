/**
 * The Queue port's conformance suite: one set of given/when/then cases that every Queue adapter
 * (SQLite here; SQS on the fauxqs emulator later) must pass. It tests only what ports.ts promises.
 *
 * Timing assumptions the adapters must meet: visibility timeouts and waits are whole seconds (1–5);
 * a long poll returns within 1 s of a message being sent; an aborted poll resolves with [] within
 * 0.5 s; depth may lag (it is awaited, up to 3 s), but must settle to the exact numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as later } from 'node:timers/promises';
import type { Queue, QueueMessage, ReceiveOptions } from '../../adapters/ports.ts';
import { waitFor } from '../support/waitFor.ts';

/** What the factory must build: `queue` with these settings and `deadLetter` as its dead-letter queue. */
export const queueConformanceSettings = { visibilityTimeoutSeconds: 1, maxReceives: 2 } as const;
export type QueueConformanceSettings = typeof queueConformanceSettings;

export interface QueueFixture {
  /** A fresh, empty queue with the settings above and `deadLetter` as its dead-letter queue. */
  queue: Queue;
  /** A fresh, empty queue. */
  deadLetter: Queue;
  /** Removes both queues (or their storage). */
  cleanup(): Promise<void>;
}

async function receiveOne(queue: Queue, options: ReceiveOptions = {}): Promise<QueueMessage> {
  const messages = await queue.receive({ waitSeconds: 2, ...options });
  assert.equal(messages.length, 1, `expected one message from ${queue.name}`);
  return messages[0] as QueueMessage;
}

/** Receives until `n` messages arrived (a receive may return fewer than asked for, as SQS does). */
async function receiveN(queue: Queue, n: number, options: ReceiveOptions = {}): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  const deadline = Date.now() + 5000;
  while (got.length < n && Date.now() < deadline) {
    got.push(...(await queue.receive({ waitSeconds: 1, maxMessages: Math.min(10, n - got.length), ...options })));
  }
  assert.equal(got.length, n, `expected ${n} messages from ${queue.name}`);
  return got;
}

async function depthSettles(queue: Queue, expected: { visible: number; inFlight: number }): Promise<void> {
  await waitFor(async () => {
    const depth = await queue.depth();
    return depth.visible === expected.visible && depth.inFlight === expected.inFlight;
  }, { timeoutMs: 3000, what: `depth of ${queue.name} to be ${JSON.stringify(expected)}` });
}

/** Registers the suite under `name`; the factory is called once per case with the settings to use. */
export function queueConformance(name: string, factory: (settings: QueueConformanceSettings) => Promise<QueueFixture>): void {
  const given =
    (body: (fixture: QueueFixture) => Promise<void>) =>
    async (): Promise<void> => {
      const fixture = await factory(queueConformanceSettings);
      try {
        await body(fixture);
      } finally {
        await fixture.cleanup();
      }
    };

  describe(`Queue conformance: ${name}`, () => {
    describe('given an empty queue', () => {
      it('when a message is sent and received, then it carries its id, body, receive count 1 and send time; after delete the queue is empty', given(async ({ queue }) => {
        const before = Date.now();
        const id = await queue.send('{"jobId":"a"}');
        const message = await receiveOne(queue);
        assert.equal(message.id, id);
        assert.equal(message.body, '{"jobId":"a"}');
        assert.equal(message.receiveCount, 1);
        assert.ok(message.receiptHandle.length > 0);
        assert.ok(Math.abs(Date.parse(message.sentAt) - before) < 5000, `sentAt ${message.sentAt} is about now`);
        await queue.delete(message.receiptHandle);
        await depthSettles(queue, { visible: 0, inFlight: 0 });
        assert.deepEqual(await queue.receive({ waitSeconds: 1 }), []);
      }));

      it('when 3 are sent, then 3 distinct ids come back and all 3 bodies are received', given(async ({ queue }) => {
        const ids: string[] = [];
        for (const body of ['one', 'two', 'three']) ids.push(await queue.send(body));
        assert.equal(new Set(ids).size, 3);
        const messages = await receiveN(queue, 3);
        assert.deepEqual(messages.map((m) => m.body).sort(), ['one', 'three', 'two']);
        const byBody = new Map(messages.map((m) => [m.body, m.id]));
        assert.deepEqual([byBody.get('one'), byBody.get('two'), byBody.get('three')], ids);
      }));

      it('when a message is sent 0.3 s into a long poll, then the poll returns it within 1 s of the send', given(async ({ queue }) => {
        const poll = queue.receive({ waitSeconds: 5 });
        await later(300); // part of the scenario: the poll is under way before the send
        const sentAt = performance.now();
        await queue.send('late');
        const messages = await poll;
        const latency = performance.now() - sentAt;
        assert.deepEqual(messages.map((m) => m.body), ['late']);
        assert.ok(latency < 1000, `the poll returned ${Math.round(latency)} ms after the send`);
      }));

      it('when a long poll finds nothing, then it returns [] after about waitSeconds', given(async ({ queue }) => {
        const started = performance.now();
        assert.deepEqual(await queue.receive({ waitSeconds: 1 }), []);
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 900 && elapsed < 3000, `waited ${Math.round(elapsed)} ms for waitSeconds 1`);
      }));

      it('when a long poll is aborted, then it resolves with [] at once', given(async ({ queue }) => {
        const controller = new AbortController();
        const poll = queue.receive({ waitSeconds: 10, signal: controller.signal });
        await later(200); // part of the scenario: abort a poll that is under way
        const abortedAt = performance.now();
        controller.abort();
        assert.deepEqual(await poll, []);
        const latency = performance.now() - abortedAt;
        assert.ok(latency < 500, `the poll ended ${Math.round(latency)} ms after the abort`);
        assert.deepEqual(await queue.receive({ waitSeconds: 10, signal: AbortSignal.abort() }), []);
      }));

      it('when a message is sent with a 1 s delay, then it is received only after the delay', given(async ({ queue }) => {
        const sentAt = performance.now();
        await queue.send('delayed', { delaySeconds: 1 });
        const message = await receiveOne(queue, { waitSeconds: 4 });
        assert.equal(message.body, 'delayed');
        const elapsed = performance.now() - sentAt;
        assert.ok(elapsed >= 900, `received ${Math.round(elapsed)} ms after the send`);
      }));
    });

    describe('given 3 messages', () => {
      it('when received with maxMessages 2, then at most 2 come back', given(async ({ queue }) => {
        for (const body of ['a', 'b', 'c']) await queue.send(body);
        const messages = await queue.receive({ maxMessages: 2, waitSeconds: 2 });
        assert.ok(messages.length >= 1 && messages.length <= 2, `got ${messages.length}`);
      }));

      it('when one is received, then depth is 2 visible and 1 in flight; after its delete, 2 and 0', given(async ({ queue }) => {
        for (const body of ['a', 'b', 'c']) await queue.send(body);
        await depthSettles(queue, { visible: 3, inFlight: 0 });
        const message = await receiveOne(queue, { visibilityTimeoutSeconds: 30 });
        await depthSettles(queue, { visible: 2, inFlight: 1 });
        await queue.delete(message.receiptHandle);
        await depthSettles(queue, { visible: 2, inFlight: 0 });
      }));
    });

    describe('given a received message (in flight)', () => {
      it('when another receive runs, then nothing is returned and depth counts it in flight', given(async ({ queue }) => {
        await queue.send('hidden');
        await receiveOne(queue, { visibilityTimeoutSeconds: 5 });
        assert.deepEqual(await queue.receive({ waitSeconds: 1 }), []);
        await depthSettles(queue, { visible: 0, inFlight: 1 });
      }));

      it("when the queue's 1 s visibility timeout passes, then it is received again with receive count 2 and a new receipt handle", given(async ({ queue }) => {
        await queue.send('again');
        const first = await receiveOne(queue);
        const hiddenAt = performance.now();
        const second = await receiveOne(queue, { waitSeconds: 5 });
        const hiddenFor = performance.now() - hiddenAt;
        assert.ok(hiddenFor >= 800, `it reappeared after ${Math.round(hiddenFor)} ms`);
        assert.equal(second.id, first.id);
        assert.equal(second.receiveCount, 2);
        assert.notEqual(second.receiptHandle, first.receiptHandle);
      }));

      it('when its visibility is extended to 3 s, then it stays hidden past 1 s; when set to 0, then it is received at once', given(async ({ queue }) => {
        await queue.send('extended');
        const first = await receiveOne(queue, { visibilityTimeoutSeconds: 1 });
        await queue.changeVisibility(first.receiptHandle, 3);
        assert.deepEqual(await queue.receive({ waitSeconds: 2 }), []);
        const releasedAt = performance.now();
        await queue.changeVisibility(first.receiptHandle, 0);
        const second = await receiveOne(queue, { waitSeconds: 2 });
        const latency = performance.now() - releasedAt;
        assert.equal(second.id, first.id);
        assert.equal(second.receiveCount, 2);
        assert.ok(latency < 1000, `received ${Math.round(latency)} ms after release`);
      }));

      it('when it was received again, then the old receipt handle is stale: delete and change visibility with it are ignored', given(async ({ queue }) => {
        await queue.send('stale');
        const first = await receiveOne(queue, { visibilityTimeoutSeconds: 30 });
        await queue.changeVisibility(first.receiptHandle, 0);
        const second = await receiveOne(queue, { visibilityTimeoutSeconds: 30 });
        assert.equal(second.id, first.id);
        await queue.delete(first.receiptHandle);
        await queue.changeVisibility(first.receiptHandle, 0);
        assert.deepEqual(await queue.receive({ waitSeconds: 1 }), [], 'still hidden under the current receipt');
        await depthSettles(queue, { visible: 0, inFlight: 1 });
        await queue.delete(second.receiptHandle);
        await depthSettles(queue, { visible: 0, inFlight: 0 });
      }));
    });

    describe(`given a message received maxReceives (${queueConformanceSettings.maxReceives}) times`, () => {
      it('when it is received once more, then it is not returned but moved to the dead-letter queue', given(async ({ queue, deadLetter }) => {
        await queue.send('poison');
        for (let i = 1; i <= queueConformanceSettings.maxReceives; i++) {
          const message = await receiveOne(queue, { visibilityTimeoutSeconds: 30 });
          assert.equal(message.receiveCount, i);
          await queue.changeVisibility(message.receiptHandle, 0);
        }
        assert.deepEqual(await queue.receive({ waitSeconds: 1 }), []);
        const dead = await receiveOne(deadLetter, { waitSeconds: 3 });
        assert.equal(dead.body, 'poison');
        await depthSettles(queue, { visible: 0, inFlight: 0 });
      }));
    });
  });
}
