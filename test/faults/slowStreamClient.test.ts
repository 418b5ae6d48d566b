/**
 * Fault: a client opens the event stream (`GET /v1/stream`) and never reads, while a burst of uploads
 * makes a change for every job. The server must not buffer every change for it: once
 * `maxStreamBufferedBytes` wait unread the connection is cut, the server's memory stays bounded, and a
 * client that does read receives every change. Real `facefleet start` process, cap 0 (jobs stay
 * queued: the web tier is what is measured).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { facefleetPool, figure, scale } from './faultSupport.ts';

/** `n` uploads of a small JPEG, 20 per request; resolves to the job ids (each answered 202). */
async function submitSmall(url: string, n: number): Promise<string[]> {
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).jpeg().toBuffer();
  const ids: string[] = [];
  for (let start = 0; start < n; start += 20) {
    const form = new FormData();
    for (let i = start; i < Math.min(n, start + 20); i++) form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), `small-${i}.jpg`);
    const answer = await fetch(`${url}/v1/jobs`, { method: 'POST', body: form });
    assert.equal(answer.status, 202);
    ids.push(...((await answer.json()) as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id));
  }
  return ids;
}

const uploads = scale(1500, 4000);
const limitBytes = 64 * 1024;

// A client whose kernel receive buffer is small (SO_RCVBUF 4 KB), as a slow reader on a real network
// has: on loopback a Node socket's buffers grow to megabytes and would absorb the whole stream. Node
// cannot set SO_RCVBUF, so the client is a few lines of Python.
const silentClientScript = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(('127.0.0.1', int(sys.argv[1])))
s.sendall(b'GET /v1/stream HTTP/1.1\\r\\nHost: 127.0.0.1:' + sys.argv[1].encode() + b'\\r\\n\\r\\n')
print('connected', flush=True)
sys.stdin.readline()
s.settimeout(10)
total = 0
ended = False
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            ended = True
            break
        total += len(chunk)
except socket.timeout:
    pass
except ConnectionResetError:
    ended = True
print(total, 'ended' if ended else 'open', flush=True)
`;
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

// The server's side has the same problem: Linux grows a socket's send buffer up to tcp_wmem's
// maximum (4 MB by default), so the kernel would hold megabytes for the silent client before any
// byte waited in the server's memory. For the test the maximum is lowered (root only; restored after).
const wmemFile = '/proc/sys/net/ipv4/tcp_wmem';
const wmemBefore = (() => {
  try {
    return readFileSync(wmemFile, 'utf8').trim();
  } catch {
    return undefined;
  }
})();
function setWmem(value: string): boolean {
  try {
    writeFileSync(wmemFile, value);
    return true;
  } catch {
    return false;
  }
}

function silentClient(port: number) {
  const child = spawn('python3', ['-c', silentClientScript, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => String((await lines.next()).value ?? '');
  return {
    connected: next().then((line) => assert.equal(line, 'connected')),
    async readAll(): Promise<{ bytes: number; ended: boolean }> {
      child.stdin!.end('read\n');
      const [bytes, state] = (await next()).split(' ');
      await once(child, 'exit');
      return { bytes: Number(bytes), ended: state === 'ended' };
    },
  };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) / 1024;
}

/** A stream client that counts the distinct job ids it is told about. */
async function readingClient(url: string): Promise<{ jobs: Set<string>; stop(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/stream`, { signal: controller.signal });
  assert.equal(response.status, 200);
  const jobs = new Set<string>();
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let carry = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        carry += value;
        const blocks = carry.split('\n\n');
        carry = blocks.pop() ?? '';
        for (const block of blocks) {
          if (!block.includes('event: job')) continue;
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) jobs.add((JSON.parse(data.slice(6)) as { id: string }).id);
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  return { jobs, stop: () => controller.abort() };
}

const ready = hasPython && wmemBefore !== undefined && setWmem('4096 16384 65536');
const skip = ready ? false : 'needs python3 (a client with a small receive buffer) and root (to lower tcp_wmem)';

describe('given a fleet with an event-stream client that never reads', { skip, timeout: scale(180_000, 600_000) }, () => {
  const pool = facefleetPool();
  after(async () => {
    await pool.cleanupAll();
    if (ready && wmemBefore) setWmem(wmemBefore);
  });

  it(`when ${uploads} uploads each make a change, then the silent client is cut off, memory stays bounded and a reading client gets every change`, async () => {
    const ff = await pool.start({
      env: { FACEFLEET_CAP: '0', FACEFLEET_MAX_STREAM_BUFFERED_BYTES: String(limitBytes), FACEFLEET_SUBMISSIONS_PER_CLIENT_PER_MINUTE: '0' },
    });
    const { port } = new URL(ff.url);
    // The silent client: sends its request and reads nothing until told to.
    const silent = silentClient(Number(port));
    await silent.connected;
    const reading = await readingClient(ff.url);
    const rssBefore = rssMb(ff.child.pid!);

    const submitted = await submitSmall(ff.url, uploads);
    const deadline = Date.now() + 60_000;
    while (submitted.some((id) => !reading.jobs.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const rssAfter = rssMb(ff.child.pid!);
    reading.stop();

    // Now read what the silent client was sent: the server ended its connection part-way.
    const { bytes: silentBytes, ended } = await silent.readAll();
    const how = ended ? 'closed by the server' : 'still open';

    figure('slow-stream-client', { uploads, limitBytes, silentClientReceivedBytes: silentBytes, silentClientEnded: how, rssBeforeMb: Math.round(rssBefore), rssAfterMb: Math.round(rssAfter) });
    assert.deepEqual(submitted.filter((id) => !reading.jobs.has(id)), [], 'the reading client got every job');
    assert.notEqual(how, 'still open', 'the silent client was disconnected');
    assert.ok(rssAfter - rssBefore < 150, `server RSS grew ${Math.round(rssAfter - rssBefore)} MB`);
  });
});
