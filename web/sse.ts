/**
 * Server-Sent Events on a Koa context: `send(event, data)` writes one event, a comment line every
 * `heartbeatMs` keeps proxies from closing the connection, and `onClose` runs once when the client
 * goes away (or the server closes the stream) so subscriptions are dropped.
 */
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

export interface SseStream {
  send(event: string, data: unknown): void;
  comment(text: string): void;
  /** Ends the stream (the client may reconnect). */
  close(): void;
}

/**
 * Opens the stream. Backpressure: events are written only while the client reads; once more than
 * `maxBufferedBytes` wait unread (a client that stopped reading), the stream is closed rather than
 * buffering every change for it — it reconnects and reads the current state from the API.
 */
export function openSse(ctx: Context, options: { heartbeatMs?: number; retryMs?: number; maxBufferedBytes?: number; onClose: () => void }): SseStream {
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const body = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.req.socket.setKeepAlive(true);
  ctx.status = 200;
  ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
  ctx.set('Cache-Control', 'no-cache, no-transform');
  ctx.set('Connection', 'keep-alive');
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = body;
  body.write(`retry: ${options.retryMs ?? 2000}\n: connected\n\n`);

  let closed = false;
  const unread = (): number => body.writableLength + body.readableLength + ctx.res.writableLength;
  const write = (text: string): void => {
    if (closed) return;
    if (unread() + text.length > maxBuffered) {
      cleanup();
      // Cut the connection: what waits for a client that does not read is dropped now, not kept
      // until it reads (an ended stream still holds its unsent data).
      ctx.res.destroy();
      return;
    }
    body.write(text);
  };
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
  const cleanup = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    ctx.res.off('close', cleanup);
    body.off('close', cleanup);
    options.onClose();
    body.end();
  };
  ctx.res.on('close', cleanup);
  body.on('close', cleanup);

  return {
    send(event, data) {
      // JSON has no raw newlines, so one `data:` line carries the whole payload.
      if (!closed) write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
    },
    close: cleanup,
  };
}
