/**
 * Fault: a poison photo that makes the model throw (not an input error) on every attempt
 * (`FACEFLEET_FAULTS=poison:<sha256>`). The worker retries it, keeps serving the other jobs
 * meanwhile, and the job ends failed with the reason — which failure depends on the settings:
 * - maxReceives = maxAttempts (3 = 3, the defaults): the worker's last attempt fails the job
 *   (JobFailed model-error) and deletes the message;
 * - maxReceives < maxAttempts: the message is dead-lettered first and the supervisor fails the job
 *   (JobFailed dead-letter, "delivered the maximum number of times without a result").
 * Either way the request queue and the dead-letter queue end empty: the poison does not circulate.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { eventually, readModelsMatchReplay } from '../support/facefleetProcess.ts';
import { allSettled, exactlyOnce, facefleetPool, figure, isoMs, photoName, photoSha256, queueDepths, submitBatch, withStore } from './faultSupport.ts';

const poisonPhoto = 1;
const good = [2, 3, 4, 5, 6, 2, 3, 4];

const cases = [
  { title: 'maxReceives 3 = maxAttempts 3 (the defaults)', maxReceives: 3, code: 'model-error', by: 'worker', reason: /poison image/ },
  { title: 'maxReceives 2 < maxAttempts 3', maxReceives: 2, code: 'dead-letter', by: 'supervisor', reason: /maximum number of times/ },
] as const;

for (const c of cases) {
  describe(`given one worker, ${c.title}, and a poison photo among good ones`, { timeout: 180_000 }, () => {
    const pool = facefleetPool();
    after(() => pool.cleanupAll());

    it(`when the model throws on the poison every time, then its job fails (${c.code}) after ${Math.min(c.maxReceives, 3)} attempts while the good jobs complete`, async () => {
      const ff = await pool.start({
        env: {
          FACEFLEET_CAP: '1',
          FACEFLEET_MAX_ATTEMPTS: '3',
          FACEFLEET_MAX_RECEIVES: String(c.maxReceives),
          FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: '2',
          FACEFLEET_IDLE_SECONDS: '20',
          FACEFLEET_FAULTS: `poison:${photoSha256(poisonPhoto)}`,
        },
      });
      const started = Date.now();
      const [poison, ...goodIds] = await submitBatch(ff.url, [
        { photo: poisonPhoto, name: 'poison.jpg' },
        ...good.map((photo, i) => ({ photo, name: photoName(photo, `good${i}`) })),
      ]);
      assert.ok(poison);
      const counts = await allSettled(ff.url, 120_000);
      assert.deepEqual({ done: counts.done, failed: counts.failed }, { done: good.length, failed: 1 });

      // The poison message left the request queue (deleted, or through the dead-letter queue, which is emptied).
      const depths = await eventually('the queues to drain', async () => {
        const d = await queueDepths(ff.url);
        return d.requests.visible + d.requests.inFlight + d.deadLetters.visible + d.deadLetters.inFlight === 0 ? d : undefined;
      }, 30_000);
      assert.ok(depths);

      const facts = await withStore(ff.dataDir, async (store) => {
        const events = await store.read(`job-${poison}`);
        const goods = await Promise.all(goodIds.map(async (id) => (await store.read(`job-${id}`)).find((e) => e.type === 'JobCompleted')!));
        return { events, goods };
      });
      const types = facts.events.map((e) => e.type);
      const failed = facts.events.at(-1)!;
      assert.equal(failed.type, 'JobFailed', types.join(', '));
      const data = failed.data as { code: string; reason: string; instanceId?: string; attempt?: number };
      assert.equal(data.code, c.code, `JobFailed ${JSON.stringify(data)}`);
      assert.match(data.reason, c.reason);
      const attempts = Math.min(c.maxReceives, 3);
      assert.equal(types.filter((t) => t === 'JobStarted').length, attempts, types.join(', '));
      assert.deepEqual(facts.events.filter((e) => e.type === 'JobRequeued').map((e) => (e.data as { reason: string }).reason), Array(c.code === 'model-error' ? attempts - 1 : attempts).fill('retry'));
      if (c.by === 'worker') assert.equal(data.attempt, 3);
      else assert.equal(data.instanceId, undefined, 'failed by the supervisor, not a worker');
      assert.equal(types.filter((t) => t === 'JobFailed').length, 1);

      // The worker kept serving: good jobs completed between the poison's first attempt and its failure.
      const firstStart = isoMs(facts.events.find((e) => e.type === 'JobStarted')!.at);
      const failedAt = isoMs(failed.at);
      const meanwhile = facts.goods.filter((e) => isoMs(e.at) > firstStart && isoMs(e.at) < failedAt).length;
      assert.ok(meanwhile > 0, `good jobs completed while the poison was retried (${meanwhile})`);
      const check = await exactlyOnce(ff.dataDir, { jobIds: goodIds, labels: false });
      assert.deepEqual(check.problems, []);
      for (const kind of ['job', 'instance'] as const) assert.deepEqual((await readModelsMatchReplay(ff.dataDir, kind)).mismatches, []);

      figure(`poison-${c.code}`, {
        maxReceives: c.maxReceives,
        maxAttempts: 3,
        attempts,
        failedWith: c.code,
        poisonFailedAfterMs: failedAt - firstStart,
        goodJobsDoneMeanwhile: meanwhile,
        goodJobs: good.length,
        elapsedS: Math.round((Date.now() - started) / 100) / 10,
      });
    });
  });
}
