/**
 * The SQLite queue: the shared conformance suite, then what only the embedded queue promises —
 * several connections and processes on one file, persistence, close.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as later } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openSqliteQueues } from '../../adapters/embedded/sqliteQueue.ts';
import { queueConformance } from './queue.suite.ts';

const adapterPath = resolve(fileURLToPath(import.meta.url), '../../../adapters/embedded/sqliteQueue.ts');

queueConformance('sqlite', async (settings) => {
  const dir = await mkdtemp(join(tmpdir(), 'facefleet-queue-'));
  const queues = openSqliteQueues({ file: join(dir, 'facefleet.db') });
  return {
    queue: queues.queue({ name: 'requests', ...settings, deadLetterQueueName: 'requests-dead' }),
    deadLetter: queues.queue({ name: 'requests-dead', visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds }),
    async cleanup() {
      queues.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

/** Runs `script` (ESM, with tsx) in a child process; resolves with its stdout. */
function runChild(script: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`child exited with ${code}`))));
  });
}

describe('SQLite queue: one file, several connections and processes', () => {
  let dir = '';
  let file = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'facefleet-queue-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  const freshFile = (): string => (file = join(dir, `q${++n}.db`));

  describe('given a long poll on one connection', () => {
    it('when another connection to the file sends, then the poll wakes within 0.5 s (data_version re-check)', async () => {
      freshFile();
      const a = openSqliteQueues({ file });
      const b = openSqliteQueues({ file });
      try {
        const poll = a.queue({ name: 'q', visibilityTimeoutSeconds: 5 }).receive({ waitSeconds: 5 });
        await later(200); // part of the scenario: the poll is under way
        const sentAt = performance.now();
        await b.queue({ name: 'q', visibilityTimeoutSeconds: 5 }).send('from b');
        const messages = await poll;
        assert.deepEqual(messages.map((m) => m.body), ['from b']);
        assert.ok(performance.now() - sentAt < 500, 'woke promptly');
      } finally {
        a.close();
        b.close();
      }
    });

    it('when the connection is closed, then the poll resolves with []', async () => {
      const queues = openSqliteQueues({ file: freshFile() });
      const poll = queues.queue({ name: 'q', visibilityTimeoutSeconds: 5 }).receive({ waitSeconds: 10 });
      queues.close();
      assert.deepEqual(await poll, []);
    });
  });

  describe('given messages sent before the file was closed', () => {
    it('when the file is opened again, then they are still there and other queues in it are untouched', async () => {
      freshFile();
      const first = openSqliteQueues({ file });
      for (const body of ['a', 'b']) await first.queue({ name: 'q', visibilityTimeoutSeconds: 5 }).send(body);
      await first.queue({ name: 'other', visibilityTimeoutSeconds: 5 }).send('c');
      first.close();
      const second = openSqliteQueues({ file });
      try {
        const q = second.queue({ name: 'q', visibilityTimeoutSeconds: 5 });
        assert.deepEqual(await q.depth(), { visible: 2, inFlight: 0 });
        await q.purge();
        assert.deepEqual(await q.depth(), { visible: 0, inFlight: 0 });
        assert.deepEqual(await second.queue({ name: 'other', visibilityTimeoutSeconds: 5 }).depth(), { visible: 1, inFlight: 0 });
      } finally {
        second.close();
      }
    });
  });

  describe('given 3 processes long-polling one queue in the file', () => {
    it('when 60 messages arrive, then they drain the queue and every message is received exactly once', async () => {
      freshFile();
      const queues = openSqliteQueues({ file });
      const queue = queues.queue({ name: 'shared', visibilityTimeoutSeconds: 60 });
      const ready = queues.queue({ name: 'ready', visibilityTimeoutSeconds: 60 });
      const drain = `
        import { openSqliteQueues } from ${JSON.stringify(adapterPath)};
        const queues = openSqliteQueues({ file: ${JSON.stringify(file)} });
        const queue = queues.queue({ name: 'shared', visibilityTimeoutSeconds: 60 });
        await queues.queue({ name: 'ready', visibilityTimeoutSeconds: 60 }).send(String(process.pid));
        const got = [];
        for (let wait = 10; ; wait = 1) {
          const batch = await queue.receive({ maxMessages: 2, waitSeconds: wait });
          if (batch.length === 0) break;
          got.push(...batch.map((m) => m.body));
          await new Promise((r) => setTimeout(r, 25)); // the work: gives the other processes their turn
        }
        queues.close();
        process.stdout.write(JSON.stringify(got));`;
      try {
        const children = [runChild(drain), runChild(drain), runChild(drain)];
        let readyCount = 0;
        while (readyCount < 3) readyCount += (await ready.receive({ maxMessages: 3, waitSeconds: 20 })).length;
        for (let i = 0; i < 60; i += 1) await queue.send(`m${i}`);
        const outputs = (await Promise.all(children)).map((out) => JSON.parse(out) as string[]);
        const received = outputs.flat();
        assert.equal(received.length, 60, 'no message twice');
        assert.equal(new Set(received).size, 60, 'every message once');
        assert.ok(outputs.filter((got) => got.length > 0).length >= 2, `the processes shared the work: ${outputs.map((o) => o.length).join('/')}`);
        assert.deepEqual(await queue.depth(), { visible: 0, inFlight: 60 });
      } finally {
        queues.close();
      }
    });
  });
});
