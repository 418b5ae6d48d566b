import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseParser, openEventStream, type SseEvent } from '../../../client/load/sse.ts';

describe('given an SSE parser', () => {
  it('when a whole stream arrives, then events, data lines, ids and comments follow the spec', () => {
    const p = new SseParser();
    const events = p.feed(': hello\n\nevent: job\ndata: {"a":1}\nid: 7\n\ndata: one\ndata:two\n\nevent: ignored-no-data\n\nretry: 1500\nfoo: bar\ndata\n\n');
    assert.deepEqual(events, [
      { event: 'job', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'one\ntwo', id: '7' },
      { event: 'message', data: '', id: '7' },
    ]);
    assert.equal(p.retryMs, 1500);
  });

  it('when chunks split lines anywhere, then the result is the same as in one piece', () => {
    const text = 'event: job\r\ndata: {"id":"x","state":"done"}\r\n\r\nevent: job\rdata: é\r\rdata: last\n\n';
    const whole = new SseParser().feed(text);
    for (let size = 1; size <= 7; size += 1) {
      const p = new SseParser();
      const got: SseEvent[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.feed(text.slice(i, i + size)));
      assert.deepEqual(got, whole, `chunks of ${size}`);
    }
    assert.equal(whole.length, 3);
    assert.equal(whole[1]!.data, 'é');
  });

  it('when a CR ends one chunk and LF starts the next, then it is one line ending, not two', () => {
    const p = new SseParser();
    assert.deepEqual(p.feed('data: a\r'), []);
    assert.deepEqual(p.feed('\ndata: b\r\n\r\n'), [{ event: 'message', data: 'a\nb' }]);
  });

  it('when an event is not finished, then nothing is dispatched yet', () => {
    const p = new SseParser();
    assert.deepEqual(p.feed('event: job\ndata: 1\n'), []);
    assert.deepEqual(p.feed('\n'), [{ event: 'job', data: '1' }]);
  });
});

describe('given a server that drops the stream once', () => {
  it('when reading, then the reader reconnects with Last-Event-ID and gets the later events', async () => {
    const seen: Array<string | undefined> = [];
    let connections = 0;
    const server = http.createServer((req, res) => {
      connections += 1;
      seen.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connections === 1) res.end('id: 1\nevent: job\ndata: first\n\n');
      else res.write('id: 2\nevent: job\ndata: second\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stream`);
    const data: string[] = [];
    const opens: boolean[] = [];
    let resolveSecond!: () => void;
    const second = new Promise<void>((resolve) => (resolveSecond = resolve));
    const stream = openEventStream(url, {
      onEvent: (e) => {
        data.push(e.data);
        if (e.data === 'second') resolveSecond();
      },
      onOpen: ({ reconnect }) => opens.push(reconnect),
      reconnectDelayMs: 10,
    });
    await stream.ready;
    await second;
    stream.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(data, ['first', 'second']);
    assert.deepEqual(seen, [undefined, '1']);
    assert.deepEqual(opens, [false, true]);
  });
});
