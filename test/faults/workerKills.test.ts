/**
 * Fault: worker processes killed with SIGKILL at random moments of a run (real `facefleet start`,
 * real workers, the real model). Every job must reach done exactly once — one JobCompleted per
 * stream, one result blob with the right name — none lost, none stuck, and the supervisor must
 * request a new instance after every kill. Every other kill targets a worker holding a job (when one
 * does); the others hit any live worker, booting, polling or working. Short form 30 jobs / 3 kills;
 * full 300 / 12. The victims and moments come from a seeded PRNG (FACEFLEET_FAULTS_SEED replays a run).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { enrolDemoSubjects, eventually, listInstances, readModelsMatchReplay } from '../support/facefleetProcess.ts';
import {
  allSettled,
  exactlyOnce,
  facefleetPool,
  figure,
  isoMs,
  jobCounts,
  liveWorkers,
  runSeed,
  scale,
  seededRandom,
  stats,
  submitMany,
  withStore,
} from './faultSupport.ts';

const jobs = scale(30, 300);
const kills = scale(3, 12);
const cap = 2;

interface Kill {
  at: number;
  instanceId: string;
  pid: number;
  state: string;
  jobId: string | null;
}

describe(`given a fleet of ${cap} working through ${jobs} jobs`, { timeout: scale(240_000, 1_500_000) }, () => {
  const pool = facefleetPool();
  after(() => pool.cleanupAll());

  it(`when workers are killed with SIGKILL ${kills} times at random moments, then every job is done exactly once and the dead are replaced`, async () => {
    const random = seededRandom(runSeed());
    const ff = await pool.start({ env: { FACEFLEET_CAP: String(cap) } });
    await enrolDemoSubjects(ff.url);
    const started = Date.now();
    const submitted = await submitMany(ff.url, jobs, 'kill');
    assert.equal(submitted.size, jobs);

    // Random moments, spread over the run: after a random share (5–85 %) of the jobs is done,
    // plus up to a second, a random live worker (booting, polling or working) is killed.
    const points = Array.from({ length: kills }, () => 0.05 + random() * 0.8).sort((a, b) => a - b);
    const done: Kill[] = [];
    for (const point of points) {
      await eventually(`${Math.ceil(point * jobs)} jobs done`, async () => (((await jobCounts(ff.url)).done ?? 0) >= point * jobs ? true : undefined), scale(180_000, 1_200_000), 100);
      await new Promise((r) => setTimeout(r, random() * 1000));
      const live = await eventually('a live worker to kill', async () => {
        const workers = liveWorkers(ff.dataDir);
        return workers.length ? workers : undefined;
      }, 60_000, 50);
      // Every other kill picks a worker that holds a job (when one does): those are the kills that cost an attempt.
      const rows = await listInstances(ff.url);
      const holding = done.length % 2 === 1 ? live.filter((w) => rows.some((r) => r.id === w.instanceId && r.state === 'working')) : [];
      const candidates = holding.length ? holding : live;
      const victim = candidates[Math.floor(random() * candidates.length)]!;
      const row = rows.find((r) => r.id === victim.instanceId);
      process.kill(victim.pid, 'SIGKILL');
      done.push({ at: Date.now(), ...victim, state: row?.state ?? 'unknown', jobId: row?.state === 'working' ? row.currentJobId : null });
    }

    const counts = await allSettled(ff.url, scale(180_000, 1_200_000));
    const elapsedMs = Date.now() - started;
    assert.deepEqual({ done: counts.done, failed: counts.failed ?? 0 }, { done: jobs, failed: 0 }, 'every job done, none failed, none stuck');

    const check = await exactlyOnce(ff.dataDir, { jobIds: submitted.keys() });
    assert.deepEqual(check.problems, [], 'exactly one JobCompleted and one result blob per job');

    // Every killed instance is recorded as gone, and a new instance was requested after every kill.
    const facts = await eventually('every killed instance to be recorded as gone', () =>
      withStore(ff.dataDir, async (store) => {
        const rows = await store.rows('instance');
        const killed = await Promise.all(done.map(async (k) => ({ k, types: (await store.read(`instance-${k.instanceId}`)).map((e) => e.type) })));
        if (killed.some(({ types }) => !types.includes('InstanceLost') && !types.includes('InstanceTerminated'))) return undefined;
        const completedAt = await Promise.all(done.map(async (k) => {
          if (!k.jobId) return undefined;
          const completed = (await store.read(`job-${k.jobId}`)).find((e) => e.type === 'JobCompleted');
          return completed ? Date.parse(completed.at) - k.at : undefined;
        }));
        return { rows, killed, completedAt };
      }), 30_000);
    for (const { k, types } of facts.killed) {
      assert.ok(types.includes('InstanceLost'), `${k.instanceId} (killed while ${k.state}) is recorded lost: ${types.join(', ')}`);
      assert.equal(types.at(-1), 'InstanceTerminated', `${k.instanceId} ends terminated`);
    }
    // Every kill in the middle of a job cost that attempt: the job was requeued from the victim (unless
    // the victim had completed it in the instant before the kill) and done by another.
    const uncharged = await withStore(ff.dataDir, async (store) => {
      const missing: string[] = [];
      for (const k of done) {
        if (!k.jobId) continue;
        const events = await store.read(`job-${k.jobId}`);
        const by = (e: { data: unknown }) => (e.data as { instanceId?: string }).instanceId === k.instanceId;
        const completedByVictim = events.some((e) => e.type === 'JobCompleted' && by(e));
        if (!completedByVictim && !events.some((e) => e.type === 'JobRequeued' && by(e))) missing.push(`${k.jobId} (killed ${k.instanceId})`);
      }
      return missing;
    });
    assert.deepEqual(uncharged, [], 'every kill in a job requeued that job from the victim');
    const requested = facts.rows.map((r) => ({ at: isoMs(r.context.requestedAt), booted: isoMs(r.context.bootedAt) }));
    // A kill is replaced when the backlog still needs the capacity: with at least cap (2) jobs not yet
    // done at the kill. A kill near the end, when the survivor alone covers what is left, needs none.
    const finishedAt = await withStore(ff.dataDir, async (store) => (await store.rows('job')).map((r) => isoMs(r.context.finishedAt)));
    const replaced = done.flatMap((k) => {
      const next = requested.filter((r) => r.at > k.at).sort((a, b) => a.at - b.at)[0];
      const left = finishedAt.filter((at) => Number.isNaN(at) || at > k.at).length;
      if (left >= 2) assert.ok(next, `a new instance was requested after the kill of ${k.instanceId} (${left} jobs left)`);
      return next ? [{ requestMs: next.at - k.at, bootedMs: Number.isNaN(next.booted) ? undefined : next.booted - k.at }] : [];
    });

    for (const kind of ['job', 'instance'] as const) {
      assert.deepEqual((await readModelsMatchReplay(ff.dataDir, kind)).mismatches, [], `${kind} read models equal their replay`);
    }

    figure('worker-kills', {
      jobs,
      kills: done.length,
      killedWhile: done.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k.state]: (acc[k.state] ?? 0) + 1 }), {}),
      killsInAJob: done.filter((k) => k.jobId).length,
      jobsRetried: check.retried,
      maxAttempts: Math.max(...check.attempts),
      instancesRequested: facts.rows.length,
      elapsedS: Math.round(elapsedMs / 100) / 10,
      jobsPerS: Math.round((jobs / elapsedMs) * 1000 * 100) / 100,
      replacementRequestedMs: stats(replaced.map((r) => r.requestMs)),
      replacementBootedMs: stats(replaced.flatMap((r) => (r.bootedMs === undefined ? [] : [r.bootedMs]))),
      killedJobDoneAfterMs: stats(facts.completedAt.flatMap((v) => (v === undefined ? [] : [v]))),
    });
  });
});
