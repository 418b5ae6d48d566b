/**
 * Server-Sent Events over node:http: an incremental parser of the `text/event-stream` format (as the
 * HTML spec defines it: `event:`, `data:`, `id:`, `retry:`, comments, any line ending), and one
 * EventSource-like reader that reconnects with `Last-Event-ID` when the stream drops.
 */
import http from 'node:http';
import https from 'node:https';

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream, if any. */
  id?: string;
}

/**
 * Feeds text chunks as they arrive (split anywhere, even between `\r` and `\n`) and returns the
 * events completed by each chunk. Events without any `data:` line are not dispatched (spec rule).
 */
export class SseParser {
  private buffer = '';
  private pendingCr = false;
  private event = '';
  private data: string[] = [];
  private hasData = false;
  /** The last event id (persists across events, as in EventSource). */
  lastEventId: string | undefined;
  /** The server's `retry:` advice in ms, if it gave one. */
  retryMs: number | undefined;

  feed(chunk: string): SseEvent[] {
    let text = chunk;
    // A CR ending the previous chunk already ended its line; a LF right after it belongs to it.
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i += 1;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) out.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event: SseEvent | undefined = this.hasData
      ? { event: this.event || 'message', data: this.data.join('\n'), ...(this.lastEventId !== undefined ? { id: this.lastEventId } : {}) }
      : undefined;
    this.event = '';
    this.data = [];
    this.hasData = false;
    return event;
  }
}

export interface EventStreamOptions {
  /** Called for every event, in order. */
  onEvent(event: SseEvent): void;
  /** Called each time a connection is established (the first one and every reconnection). */
  onOpen?(info: { reconnect: boolean }): void;
  /** Called when a connection fails or drops (before the reconnection delay). */
  onError?(error: Error): void;
  /** Delay before reconnecting, unless the server sent `retry:` (default 500 ms). */
  reconnectDelayMs?: number;
}

/** A running reader; `ready` resolves on the first successful connection. */
export interface EventStream {
  ready: Promise<void>;
  /** Stops reading and reconnecting. */
  close(): void;
}

/**
 * Opens `url` as an event stream and keeps it open: on a drop or a connection error it reconnects
 * after the delay, sending `Last-Event-ID` when an id was seen. A non-200 answer or another content
 * type than text/event-stream is an error too (and is retried the same way).
 */
export function openEventStream(url: URL, options: EventStreamOptions): EventStream {
  const parser = new SseParser();
  let closed = false;
  let current: http.ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  let opened = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));

  const retry = (error: Error) => {
    if (closed) return;
    options.onError?.(error);
    timer = setTimeout(connect, parser.retryMs ?? options.reconnectDelayMs ?? 500);
  };

  function connect(): void {
    if (closed) return;
    const get = url.protocol === 'https:' ? https.get : http.get;
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (parser.lastEventId !== undefined) headers['last-event-id'] = parser.lastEventId;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      retry(error);
    };
    current = get(url, { headers, agent: false }, (res) => {
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        res.resume();
        fail(new Error(`GET ${url.pathname} answered ${res.statusCode} ${type || 'without a content type'}, not an event stream`));
        return;
      }
      options.onOpen?.({ reconnect: opened });
      opened = true;
      resolveReady();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const event of parser.feed(chunk)) {
          if (closed) return;
          options.onEvent(event);
        }
      });
      res.on('end', () => fail(new Error('the event stream ended')));
      res.on('error', (error) => fail(error));
    });
    current.on('error', (error) => fail(error));
  }

  connect();
  return {
    ready,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      current?.destroy();
    },
  };
}
