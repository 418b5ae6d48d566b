/**
 * Fault: the main process (web tier + supervisor) killed with SIGKILL mid-run and started again on
 * the same data dir, while v1 jobs are queued and classic clients wait on `POST /`. Every accepted
 * job must complete exactly once (the workers outlive the main process and are re-adopted); a
 * client waiting at the moment of the kill gets a connection error, never a wrong answer.
 * Short form 1 kill; full 3 kills in a row.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { demoPhoto, enrolDemoSubjects, eventually, readModelsMatchReplay, type FacefleetProcess } from '../support/facefleetProcess.ts';
import { allSettled, exactlyOnce, facefleetPool, figure, jobCounts, photoName, scale, stats, submitMany, withStore } from './faultSupport.ts';

const mainKills = scale(1, 3);
const v1PerSegment = scale(16, 30);
const classicPerSegment = scale(4, 6);
const env = { FACEFLEET_CAP: '2' };

interface ClassicCall {
  name: string;
  photo: number;
  settledAt?: number;
  status?: number;
  text?: string;
  jobId?: string | null;
  error?: string;
}

/** A classic `POST /` whose outcome (answer or connection error) is recorded with its time. */
function classicCall(url: string, photo: number, tag: string): { call: ClassicCall; settled: Promise<void> } {
  const name = photoName(photo, tag).replace(/\.jpg$/, '');
  const call: ClassicCall = { name, photo };
  const form = new FormData();
  form.append('inputFile', new Blob([readFileSync(demoPhoto(photo))], { type: 'image/jpeg' }), `${name}.jpg`);
  const settled = fetch(`${url}/`, { method: 'POST', body: form }).then(
    async (response) => {
      call.status = response.status;
      call.jobId = response.headers.get('x-job-id');
      try {
        call.text = await response.text();
      } catch (error) {
        call.error = `body: ${String((error as Error).cause ?? error)}`;
      }
      call.settledAt = Date.now();
    },
    (error: unknown) => {
      call.error = String((error as Error).cause ?? error);
      call.settledAt = Date.now();
    },
  );
  return { call, settled };
}

describe('given a running fleet with v1 jobs queued and classic clients waiting', { timeout: scale(240_000, 900_000) }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());

  it(`when the main process is killed with SIGKILL ${mainKills} time(s) and restarted on the same data dir, then every accepted job completes once and no client gets a wrong answer`, async () => {
    let ff: FacefleetProcess = await pool.start({ env });
    const dataDir = ff.dataDir;
    await enrolDemoSubjects(ff.url);
    const started = Date.now();
    const accepted = new Map<string, number>();
    const calls: Array<{ call: ClassicCall; settled: Promise<void>; killAt?: number }> = [];
    const kills: Array<{ at: number; waiting: number; restartMs: number }> = [];

    for (let segment = 0; segment <= mainKills; segment += 1) {
      const doneBefore = (await jobCounts(ff.url)).done ?? 0;
      for (const [id, photo] of await submitMany(ff.url, v1PerSegment, `main${segment}-`)) accepted.set(id, photo);
      // Behind the v1 jobs in the queue: these clients are still waiting when the kill comes.
      const segmentCalls = Array.from({ length: classicPerSegment }, (_, i) => classicCall(ff.url, (i % 6) + 1, `classic${segment}-${i}`));
      calls.push(...segmentCalls);
      if (segment === mainKills) break;

      await eventually('a third of the new jobs to be done', async () => (((await jobCounts(ff.url)).done ?? 0) >= doneBefore + v1PerSegment / 3 ? true : undefined), 180_000, 100);
      const killAt = Date.now();
      ff.child.kill('SIGKILL');
      await ff.exited;
      await Promise.all(segmentCalls.map((c) => c.settled));
      for (const c of segmentCalls) Object.assign(c, { killAt });
      const waiting = segmentCalls.filter((c) => c.call.settledAt !== undefined && c.call.settledAt >= killAt).length;
      const restarting = Date.now();
      ff = await pool.start({ dataDir, env });
      kills.push({ at: killAt, waiting, restartMs: Date.now() - restarting });
    }

    const counts = await allSettled(ff.url, 240_000);
    await Promise.all(calls.map((c) => c.settled));
    const elapsedMs = Date.now() - started;

    // Clients: a right answer before the kill, or a connection error at the kill. Nothing else.
    const answered: ClassicCall[] = [];
    const cut: ClassicCall[] = [];
    for (const { call, killAt } of calls) {
      if (call.status !== undefined && call.error === undefined) {
        assert.equal(call.status, 200, `${call.name}: HTTP ${call.status} ${call.text}`);
        assert.equal(call.text, `${call.name}:person${call.photo}`, `${call.name} got the right answer`);
        if (killAt !== undefined) assert.ok(call.settledAt! < killAt, `${call.name} was answered before the kill`);
        answered.push(call);
      } else {
        assert.ok(killAt !== undefined && call.settledAt! >= killAt, `${call.name} failed without a kill: ${call.error}`);
        assert.match(call.error ?? '', /ECONNRESET|socket|closed|terminated|ECONNREFUSED|UND_ERR/i, `${call.name}: a connection error`);
        cut.push(call);
      }
    }
    for (const k of kills) assert.ok(k.waiting > 0, 'some classic clients were waiting at the kill (the test means something)');

    // Every accepted job — v1 and the classic ones, answered or cut off — is done exactly once.
    assert.equal(counts.failed ?? 0, 0, 'no job failed');
    const check = await exactlyOnce(dataDir);
    assert.deepEqual(check.problems, []);
    const stored = await withStore(dataDir, async (store) => (await store.rows('job')).map((r) => r.id));
    for (const id of accepted.keys()) assert.ok(stored.includes(id), `accepted job ${id} is stored`);
    assert.ok(check.jobs >= accepted.size + answered.length, 'the classic jobs are in the store too');

    // The workers outlived the main process: instances requested before a kill finished jobs after
    // it (while the main process was down or restarting), and the restarted supervisor adopted
    // them — they ended terminated by themselves, not lost or forced.
    const findAdopted = () =>
      withStore(dataDir, async (store) => {
        const found: Array<{ id: string; state: string; reason: unknown }> = [];
        for (const row of await store.rows('instance')) {
          const requestedAt = Date.parse(String(row.context.requestedAt));
          const finished = (await store.read(`instance-${row.id}`)).filter((e) => e.type === 'InstanceJobFinished').map((e) => Date.parse(e.at));
          if (kills.some((k) => requestedAt < k.at && finished.some((at) => at > k.at))) found.push({ id: row.id, state: row.state, reason: row.context.terminationReason });
        }
        return found;
      });
    // Once the work is done they idle out (about a second); wait for that, then look at how they ended.
    const adopted = await eventually('the adopted workers to leave', async () => {
      const found = await findAdopted();
      return found.every((a) => a.state === 'terminated') ? found : undefined;
    }, 60_000, 200);
    assert.ok(adopted.length > 0, 'some workers outlived a kill and finished jobs after it');
    for (const a of adopted) assert.equal(a.reason, 'idle', `${a.id} left by itself after idling (not lost or forced)`);
    const survivors = adopted.length;
    for (const kind of ['job', 'instance'] as const) {
      assert.deepEqual((await readModelsMatchReplay(dataDir, kind)).mismatches, [], `${kind} read models equal their replay`);
    }

    figure('main-kill', {
      mainKills: kills.length,
      jobsAccepted: check.jobs,
      classicAnswered: answered.length,
      classicCutOff: cut.length,
      cutOffErrors: [...new Set(cut.map((c) => (c.error ?? '').replace(/^Error: /, '').slice(0, 60)))],
      jobsRetried: check.retried,
      instancesAdopted: survivors,
      restartMs: stats(kills.map((k) => k.restartMs)),
      elapsedS: Math.round(elapsedMs / 100) / 10,
    });
  });
});
