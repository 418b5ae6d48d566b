/**
 * Two OS processes append to one stream of one database file at the same expected seq: exactly one
 * wins, the other gets VersionConflictError, and the stream holds the winner's event only.
 * This file is also the child: run with FACEFLEET_TEST_CHILD=append it opens the store, says
 * "ready", waits for "go" on stdin, appends, and prints its outcome as JSON.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { VersionConflictError } from '../../../machines/index.ts';
import { propose } from '../../../services/streams/propose.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const stream = 'job-race1';

async function child(): Promise<void> {
  const store = openSqliteEventStore({ file: process.env.FACEFLEET_TEST_DB as string });
  const worker = process.env.FACEFLEET_TEST_WORKER as string;
  process.stdout.write('ready\n');
  const stdin = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => stdin.once('line', () => resolve()));
  stdin.close();
  try {
    const result = await propose(store, stream, () => [{ type: 'JobStarted', at: new Date().toISOString(), data: { instanceId: worker, attempt: 1 } }], {
      known: { kind: 'job', state: 'queued', seq: 1, context: JSON.parse(process.env.FACEFLEET_TEST_CONTEXT as string) },
      attempts: 1,
    });
    process.stdout.write(`${JSON.stringify({ worker, won: true, seq: result.state.seq })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ worker, won: false, conflict: error instanceof VersionConflictError, message: (error as Error).message })}\n`);
  } finally {
    await store.close();
  }
}

function spawnChild(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...env, FACEFLEET_TEST_CHILD: 'append' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return {
    proc,
    next: async () => ((await lines.next()).value as string | undefined) ?? '',
  };
}

if (process.env.FACEFLEET_TEST_CHILD === 'append') {
  await child();
} else {
  describe('given one queued job in a database file shared by two processes', () => {
    it('when both start attempt 1 at the same expected seq, then exactly one wins and the other gets a version conflict', async () => {
      const dir = makeTempDir('race');
      try {
        const file = dir.file('facefleet.db');
        const store = openSqliteEventStore({ file });
        const submitted = await propose(store, stream, () => [
          { type: 'JobSubmitted', at: '2025-01-01T00:00:00.000Z', data: { jobId: 'race1', imageKey: 'images/race1', fileName: 'a.jpg', contentType: 'image/jpeg', bytes: 1, source: 'v1', maxAttempts: 2 } },
        ]);
        const env = { FACEFLEET_TEST_DB: file, FACEFLEET_TEST_CONTEXT: JSON.stringify(submitted.state.context) };
        const children = [spawnChild({ ...env, FACEFLEET_TEST_WORKER: 'w1' }), spawnChild({ ...env, FACEFLEET_TEST_WORKER: 'w2' })];
        for (const c of children) assert.equal(await c.next(), 'ready');
        for (const c of children) c.proc.stdin.end('go\n');
        const outcomes = (await Promise.all(children.map((c) => c.next()))).map((line) => JSON.parse(line) as { worker: string; won: boolean; conflict?: boolean });
        await Promise.all(children.map((c) => new Promise((resolve) => (c.proc.exitCode === null ? c.proc.once('exit', resolve) : resolve(null)))));
        const winners = outcomes.filter((o) => o.won);
        const losers = outcomes.filter((o) => !o.won);
        assert.equal(winners.length, 1, JSON.stringify(outcomes));
        assert.equal(losers.length, 1);
        assert.equal(losers[0]?.conflict, true, JSON.stringify(losers));
        const events = await store.read(stream);
        assert.deepEqual(events.map((e) => e.type), ['JobSubmitted', 'JobStarted']);
        assert.equal((events[1]?.data as { instanceId: string }).instanceId, winners[0]?.worker);
        const row = await store.get('job', 'race1');
        assert.equal(row?.state, 'processing');
        assert.equal(row?.context.instanceId, winners[0]?.worker);
        await store.close();
      } finally {
        await dir.cleanup();
      }
    });
  });
}
