/**
 * Slow clients (slowloris) against a real `facefleet start` child process with its real timeouts
 * (web/security.ts `serverTimeouts`: headers within 10 s, the whole request within 2 min, checked
 * every second): connections that send their headers a byte at a time, or nothing at all, get a
 * 408 JSON and are closed once the header timeout passes; connections that dribble an upload body
 * hold nothing but a socket. Meanwhile everyone else is served quickly, and an abandoned slow
 * upload leaves no temp file and writes nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFacefleet, type FacefleetProcess } from '../../support/facefleetProcess.ts';
import { serverTimeouts } from '../../../web/security.ts';
import { filesUnder } from './webHarness.ts';

const root = mkdtempSync(join(tmpdir(), 'facefleet-slow-'));
const dataDir = join(root, 'data');
const childTmp = join(root, 'tmp');
/** The temp upload files of the child's web tier (its own facefleet-uploads-* folder under its TMPDIR). */
const uploads = (): string[] => filesUnder(childTmp).filter((f) => f.startsWith('facefleet-uploads-'));
let server: FacefleetProcess;

interface Slow {
  reply: () => string;
  /** Resolves with how long after connecting the server closed it, ms. */
  closedAt: Promise<number>;
  stop(): void;
}

/** A connection that writes `first` at once, then `next()` every `everyMs` (nothing when undefined), never finishing. */
async function slowClient(first: string, next: () => string | Buffer | undefined, everyMs: number): Promise<Slow> {
  const socket: Socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  let reply = '';
  socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
  socket.on('error', () => undefined);
  const started = Date.now();
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  if (first !== '') socket.write(first);
  const timer = setInterval(() => {
    const chunk = next();
    if (socket.destroyed) clearInterval(timer);
    else if (chunk !== undefined) socket.write(chunk);
  }, everyMs);
  return { reply: () => reply, closedAt, stop: () => (clearInterval(timer), socket.destroy()) };
}

/** Writes `text` one character per call. */
const byteByByte = (text: string) => {
  let i = 0;
  return () => text[i++];
};

/** Asks /healthz every `everyMs` for `forMs`; resolves to the slowest answer, ms. */
async function probeHealth(forMs: number, everyMs = 250): Promise<{ count: number; slowestMs: number }> {
  const until = Date.now() + forMs;
  let count = 0;
  let slowestMs = 0;
  while (Date.now() < until) {
    const t = performance.now();
    const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) });
    assert.equal(response.status, 200);
    await response.text();
    slowestMs = Math.max(slowestMs, performance.now() - t);
    count += 1;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return { count, slowestMs };
}

describe('given a facefleet server with its real timeouts', () => {
  before(async () => {
    mkdirSync(childTmp, { recursive: true });
    server = await startFacefleet({ dataDir, env: { FACEFLEET_CAP: '0', TMPDIR: childTmp } });
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('when 6 clients send headers a byte at a time and 2 send nothing, then others are served meanwhile and the slow ones get a 408 JSON after the header timeout', async (t) => {
    const head = `GET /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${'slow'.repeat(200)}\r\n\r\n`;
    const slow = await Promise.all([...Array.from({ length: 6 }, () => slowClient('', byteByByte(head), 200)), slowClient('', () => undefined, 1000), slowClient('', () => undefined, 1000)]);
    try {
      const health = await probeHealth(serverTimeouts.headersTimeoutMs - 2000);
      assert.ok(health.slowestMs < 1000, `slowest /healthz took ${health.slowestMs.toFixed(0)} ms`);
      const closed = await Promise.race([Promise.all(slow.map((s) => s.closedAt)), new Promise<'late'>((r) => setTimeout(() => r('late'), 8000))]);
      assert.notEqual(closed, 'late', 'the slow connections were not closed within the header timeout plus 8 s');
      for (const ms of closed as number[]) assert.ok(ms >= serverTimeouts.headersTimeoutMs - 500, `closed after ${ms} ms`);
      const times = closed as number[];
      t.diagnostic(`slow headers: ${slow.length} connections closed after ${Math.min(...times)}–${Math.max(...times)} ms; ${health.count} /healthz meanwhile, slowest ${health.slowestMs.toFixed(0)} ms`);
      for (const s of slow) {
        const [status, body = ''] = s.reply().split('\r\n\r\n');
        assert.match(status ?? '', /^HTTP\/1\.1 408 /);
        assert.deepEqual(JSON.parse(body), { error: { code: 'request-timeout', message: 'The request took too long to arrive.' } });
      }
    } finally {
      for (const s of slow) s.stop();
    }
  });

  it('when 3 clients dribble an upload body, then others are served meanwhile, and once they give up nothing is left behind', async (t) => {
    const boundary = 'slowbody';
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    const head = `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n${part}\u00ff\u00d8\u00ff`;
    const slow = await Promise.all(Array.from({ length: 3 }, () => slowClient(head, () => Buffer.alloc(1024, 7), 200)));
    try {
      const health = await probeHealth(4000);
      assert.ok(health.slowestMs < 1000, `slowest /healthz took ${health.slowestMs.toFixed(0)} ms`);
      t.diagnostic(`slow bodies: ${health.count} /healthz meanwhile, slowest ${health.slowestMs.toFixed(0)} ms`);
      const refused = await fetch(`${server.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      assert.equal(refused.status, 415);
      assert.ok(uploads().length >= 1, 'the slow uploads were being written to temp files');
    } finally {
      for (const s of slow) s.stop();
    }
    for (let i = 0; i < 100 && uploads().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(uploads(), []);
    assert.deepEqual(filesUnder(join(dataDir, 'blobs')), []);
    const counts = (await (await fetch(`${server.url}/v1/counts`)).json()) as { jobs: Record<string, number> };
    assert.equal(Object.values(counts.jobs).reduce((a, b) => a + b, 0), 0);
  });
});
