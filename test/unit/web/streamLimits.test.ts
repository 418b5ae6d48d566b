/**
 * Event streams are bounded: at most `maxStreamClients` at once (503 with Retry-After beyond), and
 * a client that stops reading is disconnected once `maxStreamBufferedBytes` wait for it, instead of
 * the server buffering every change for it.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Context } from 'koa';
import { openSse } from '../../../web/sse.ts';
import { startBench, type Bench } from './webHarness.ts';

describe('given a web tier that keeps at most 2 event streams', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { maxStreamClients: 2 } })));
  after(() => bench.close());

  it('when a third client connects, then 503 with Retry-After; once one leaves, a new one is served', async () => {
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(controllers.map((c) => fetch(`${bench.url}/v1/stream`, { signal: c.signal })));
    assert.deepEqual(open.map((r) => r.status), [200, 200]);
    const third = await fetch(`${bench.url}/v1/stream`);
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('retry-after'), '5');
    assert.equal(((await third.json()) as { error: { code: string } }).error.code, 'unavailable');
    controllers[0]!.abort();
    let again: Response | undefined;
    for (let i = 0; i < 100; i++) {
      again = await fetch(`${bench.url}/v1/stream`, { signal: AbortSignal.timeout(5000) });
      if (again.status === 200) break;
      await again.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(again?.status, 200);
    await again?.body?.cancel();
    controllers[1]!.abort();
  });
});

/** Just enough of a Koa context for openSse; nothing reads the body unless `read` is true. */
function fakeContext(): { ctx: Context; body: () => PassThrough } {
  const socket = { setTimeout: () => undefined, setNoDelay: () => undefined, setKeepAlive: () => undefined };
  const res = Object.assign(new EventEmitter(), { writableLength: 0, destroyed: false, destroy: () => void (res.destroyed = true) });
  const state: { body?: PassThrough } = {};
  const ctx = {
    req: { socket },
    res,
    status: 0,
    set: () => undefined,
    set body(value: PassThrough) {
      state.body = value;
    },
  } as unknown as Context;
  return { ctx, body: () => state.body as PassThrough };
}

describe('given an open event stream', () => {
  const event = { row: 'x'.repeat(1000) };

  it('when its client never reads, then the connection is cut once 64 KB wait (the unsent data dropped), and onClose runs once', () => {
    const { ctx } = fakeContext();
    let closes = 0;
    const sse = openSse(ctx, { heartbeatMs: 60_000, maxBufferedBytes: 64 * 1024, onClose: () => (closes += 1) });
    for (let i = 0; i < 200; i++) sse.send('job', event);
    assert.equal(closes, 1);
    assert.equal((ctx.res as unknown as { destroyed: boolean }).destroyed, true);
    sse.close();
    assert.equal(closes, 1);
  });

  it('when its client reads as events come, then it stays open however many are sent', async () => {
    const { ctx, body } = fakeContext();
    let closes = 0;
    const sse = openSse(ctx, { heartbeatMs: 60_000, maxBufferedBytes: 64 * 1024, onClose: () => (closes += 1) });
    let received = 0;
    body().on('data', (chunk: Buffer) => (received += chunk.length));
    for (let i = 0; i < 500; i++) {
      sse.send('job', event);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(closes, 0);
    assert.ok(received > 500 * 1000);
    sse.close();
  });
});
