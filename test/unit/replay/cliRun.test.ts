/**
 * The replay CLI as a real process: each recorded history's timeline equals its golden file, and
 * a tampered copy of a history is rejected with the seq of the damage (exit 3).
 * Set UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate format change.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir } from '../../support/tempDir.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const histories = join(root, 'test/fixtures/histories');
const golden = join(root, 'test/fixtures/golden');
const fixtures = ['job-requeued-after-lost-worker', 'instance-idle-self-termination', 'job-dead-lettered', 'job-cancelled-redriven-retried'];

/** Runs `node bin/facefleet.js replay …` and resolves to its exit code and output. */
async function facefleetReplay(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/facefleet.js', 'replay', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const lf = (text: string) => text.replace(/\r\n/g, '\n');

for (const name of fixtures) {
  describe(`given the recorded history ${name}.v1.json`, () => {
    it('when the CLI replays it, then the timeline equals the golden file and the exit code is 0', async () => {
      const run = await facefleetReplay(['--file', `test/fixtures/histories/${name}.v1.json`]);
      assert.equal(run.stderr, '');
      assert.equal(run.code, 0);
      const goldenFile = join(golden, `${name}.timeline.txt`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenFile, run.stdout);
      assert.equal(lf(run.stdout), lf(readFileSync(goldenFile, 'utf8')));
    });
  });
}

describe('given a tampered copy of a recorded history', () => {
  const original = JSON.parse(readFileSync(join(histories, 'job-requeued-after-lost-worker.v1.json'), 'utf8')) as Array<Record<string, unknown>>;

  async function replayTampered(edit: (events: Array<Record<string, unknown>>) => void, extra: string[] = []) {
    const dir = makeTempDir('tampered');
    try {
      const events = structuredClone(original);
      edit(events);
      writeFileSync(dir.file('history.json'), JSON.stringify(events));
      return await facefleetReplay(['--file', dir.file('history.json'), ...extra]);
    } finally {
      await dir.cleanup();
    }
  }

  it('when the completing worker was edited, then the replay refuses seq 5 and exits 3', async () => {
    const run = await replayTampered((events) => {
      (events[4]?.data as Record<string, unknown>).instanceId = 'someone-else';
    });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /seq 5 \(JobCompleted\): JobCompleted is not allowed in state "processing"/);
    assert.match(run.stdout, /! seq 5 refused/);
    assert.match(run.stdout, /final: processing at seq 5/);
  });

  it('when an event was deleted, then the gap is reported at the seq after it (and what the gap broke after that)', async () => {
    const run = await replayTampered((events) => void events.splice(2, 1), ['--json']);
    assert.equal(run.code, 3);
    const json = JSON.parse(run.stdout) as { problems: Array<{ seq: number; reason: string }> };
    assert.deepEqual(json.problems.map((p) => p.seq), [4, 5]);
    assert.match(json.problems[0]?.reason ?? '', /expected seq 3, found 4/);
  });

  it('when data was made invalid, then the replay names the seq and the field', async () => {
    const run = await replayTampered((events) => {
      (events[1]?.data as Record<string, unknown>).attempt = -4;
    });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /seq 2 \(JobStarted\): JobStarted data is invalid \(attempt:/);
  });

  it('when an entry is not a stored event any more, then the replay names its seq and exits 3', async () => {
    const run = await replayTampered((events) => {
      delete events[3]?.type;
    });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /seq 4: entry 4 is not a stored event \(type:/);
  });

  it('when an entry was moved from another stream, then the replay names its seq and exits 3', async () => {
    const run = await replayTampered((events) => {
      if (events[2]) events[2].stream = 'job-other';
    });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /seq 3: entry 3 belongs to job-other/);
  });
});

describe('given the replay CLI used wrongly', () => {
  it('when --at is not a number or beyond the last seq, then it is a usage error (exit 2)', async () => {
    const file = 'test/fixtures/histories/job-dead-lettered.v1.json';
    const notNumber = await facefleetReplay(['--file', file, '--at', 'three']);
    assert.equal(notNumber.code, 2);
    assert.match(notNumber.stderr, /--at needs a seq number/);
    const beyond = await facefleetReplay(['--file', file, '--at', '7']);
    assert.equal(beyond.code, 2);
    assert.match(beyond.stderr, /outside job-\S+ \(seq 1\.\.6\)/);
  });

  it('when --at names a seq, then it prints the state and context right after it', async () => {
    const run = await facefleetReplay(['--file', 'test/fixtures/histories/job-dead-lettered.v1.json', '--at', '4', '--json']);
    assert.equal(run.code, 0);
    const at = JSON.parse(run.stdout) as { seq: number; state: string; context: { attempts: number } };
    assert.equal(at.seq, 4);
    assert.equal(at.state, 'processing');
    assert.equal(at.context.attempts, 2);
  });

  it('when the history file does not exist, then it is an I/O error (exit 1) in one line', async () => {
    const run = await facefleetReplay(['--file', 'test/fixtures/histories/nope.v1.json']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /cannot read .*nope\.v1\.json: ENOENT/);
  });
});
