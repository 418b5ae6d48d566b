/**
 * A stored stream with an unknown event type and an event the machine refuses (written past the
 * machine, straight into the store): the replay goes on and reports both by seq, from the store
 * and through the CLI on the data directory.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import { NotFoundError } from '../../../machines/index.ts';
import { readHistory, replayHistory } from '../../../services/streams/replayHistory.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

async function facefleetReplay(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const options = { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/facefleet.js', 'replay', ...args], options);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const at = (s: number) => `2025-02-01T08:00:${String(s).padStart(2, '0')}.000Z`;

async function seeded(file: string): Promise<void> {
  const store = openSqliteEventStore({ file });
  await store.append('job-damaged', 0, [
    { type: 'JobSubmitted', at: at(1), data: { jobId: 'damaged', imageKey: 'images/damaged', fileName: 'x.jpg', contentType: 'image/jpeg', bytes: 5, source: 'v1', maxAttempts: 2, detector: 'ssd' } },
    { type: 'JobTeleported', at: at(2), data: { to: 'mars' } },
    { type: 'JobCompleted', at: at(3), data: { instanceId: 'w1', attempt: 1, resultKey: 'results/damaged.json', faces: 0, label: 'no-face', durationMs: 3 } },
    { type: 'JobStarted', at: at(4), data: { instanceId: 'w1', attempt: 1 } },
  ]);
  await store.close();
}

describe('given a stored job stream with an unknown event (seq 2) and a refused one (seq 3)', () => {
  it('when it is replayed, then both are reported with their seq and the rest is folded', async () => {
    const dir = makeTempDir('problems');
    try {
      await seeded(dir.file('facefleet.db'));
      const store = openSqliteEventStore({ file: dir.file('facefleet.db'), readonly: true });
      const result = replayHistory(await readHistory(store, 'job-damaged'));
      await store.close();
      assert.deepEqual(
        result.problems.map((p) => [p.seq, p.type]),
        [[2, 'JobTeleported'], [3, 'JobCompleted']],
      );
      assert.match(result.problems[0]?.reason ?? '', /unknown job event type "JobTeleported"/);
      assert.match(result.problems[1]?.reason ?? '', /JobCompleted is not allowed in state "queued"/);
      assert.deepEqual(result.steps.map((s) => s.problem?.kind ?? 'ok'), ['ok', 'unknown-type', 'refused', 'ok']);
      assert.equal(result.final.state, 'processing');
      assert.equal(result.final.seq, 4);
    } finally {
      await dir.cleanup();
    }
  });

  it('when the CLI replays it from the data directory, then it flags both seqs and exits 3', async () => {
    const dir = makeTempDir('problems-cli');
    try {
      await seeded(dir.file('facefleet.db'));
      const run = await facefleetReplay(['job-damaged', '--data-dir', dir.path]);
      assert.equal(run.code, 3);
      assert.match(run.stdout, /! seq 2 unknown type: unknown job event type "JobTeleported"/);
      assert.match(run.stdout, /! seq 3 refused: JobCompleted is not allowed in state "queued"/);
      assert.match(run.stdout, /problems: 2 \(seq 2 JobTeleported, seq 3 JobCompleted\)/);
      assert.equal(run.stderr.trim().split('\n').length, 2);
      const viaEnv = await facefleetReplay(['job-damaged', '--json'], { FACEFLEET_DATA_DIR: dir.path });
      assert.equal(viaEnv.code, 3);
      assert.deepEqual((JSON.parse(viaEnv.stdout) as { problems: Array<{ seq: number }> }).problems.map((p) => p.seq), [2, 3]);
    } finally {
      await dir.cleanup();
    }
  });

  it('when an unknown stream is asked for, then it is a one-line error with exit 1', async () => {
    const dir = makeTempDir('problems-missing');
    try {
      await seeded(dir.file('facefleet.db'));
      const store = openSqliteEventStore({ file: dir.file('facefleet.db'), readonly: true });
      await assert.rejects(readHistory(store, 'job-nothing'), NotFoundError);
      await store.close();
      const run = await facefleetReplay(['job-nothing', '--data-dir', dir.path]);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, 'facefleet replay: there is no stream job-nothing in the event store\n');
      const noDb = await facefleetReplay(['job-nothing', '--data-dir', dir.file('absent')]);
      assert.equal(noDb.code, 1);
      assert.match(noDb.stderr, /no event store at/);
    } finally {
      await dir.cleanup();
    }
  });
});
