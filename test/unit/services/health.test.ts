/** /healthz's checks and /readyz's readiness as given/when/then: each port is asked one cheap question, a silent one is named. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Blobs, EventStore, Queue } from '../../../adapters/ports.ts';
import { checkHealth, checkReadiness } from '../../../services/health/health.ts';

const store = (get: () => Promise<undefined>) => ({ get }) as unknown as EventStore;
const queue = (depth: () => Promise<{ visible: number; inFlight: number }>) => ({ depth }) as unknown as Queue;
const blobs = (head: () => Promise<undefined>) => ({ head }) as unknown as Blobs;
const answers = async () => undefined;
const depth = async () => ({ visible: 0, inFlight: 0 });

describe('given a store, a queue and blobs', () => {
  it('when all answer, then health is ok with every check ok', async () => {
    const health = await checkHealth({ store: store(answers), requests: queue(depth), blobs: blobs(answers) });
    assert.equal(health.ok, true);
    assert.deepEqual(Object.keys(health.checks).sort(), ['blobs', 'queue', 'store']);
    for (const check of Object.values(health.checks)) assert.equal(check.ok, true);
  });

  it('when the store fails, then health is not ok and only the store check says so (its reason is logged, not shown)', async () => {
    const warnings: string[] = [];
    const health = await checkHealth({
      store: store(async () => Promise.reject(new Error('SQLITE_BUSY at /secret/path'))),
      requests: queue(depth),
      blobs: blobs(answers),
      onWarning: (message) => warnings.push(message),
    });
    assert.equal(health.ok, false);
    assert.equal(health.checks.store.ok, false);
    assert.equal(health.checks.queue.ok, true);
    assert.equal(health.checks.blobs.ok, true);
    assert.doesNotMatch(JSON.stringify(health), /secret/);
    assert.deepEqual(warnings, ['health check store failed']);
  });

  it('when the queue does not answer within the timeout, then its check fails in about that time', async () => {
    const started = Date.now();
    const health = await checkHealth({ store: store(answers), requests: queue(() => new Promise(() => undefined)), blobs: blobs(answers), timeoutMs: 100 });
    assert.equal(health.ok, false);
    assert.equal(health.checks.queue.ok, false);
    assert.ok(Date.now() - started < 1000);
  });
});

describe('given a process whose ports answer', () => {
  const deps = { store: store(answers), requests: queue(depth), blobs: blobs(answers) };

  it('when it is not stopping, then it is ready and says which checks ran', async () => {
    const readiness = await checkReadiness({ ...deps, stopping: () => false });
    assert.equal(readiness.ready, true);
    assert.equal(readiness.stopping, false);
    assert.deepEqual(Object.keys(readiness.checks ?? {}).sort(), ['blobs', 'queue', 'store']);
  });

  it('when it is stopping, then it is not ready and the ports are not asked', async () => {
    let asked = 0;
    const counting = store(async () => {
      asked += 1;
      return undefined;
    });
    const readiness = await checkReadiness({ ...deps, store: counting, stopping: () => true });
    assert.deepEqual(readiness, { ready: false, stopping: true });
    assert.equal(asked, 0);
  });

  it('when stopping begins while the checks run, then it is not ready', async () => {
    let stopping = false;
    const slow = store(async () => {
      stopping = true;
      return undefined;
    });
    const readiness = await checkReadiness({ ...deps, store: slow, stopping: () => stopping });
    assert.equal(readiness.ready, false);
    assert.equal(readiness.stopping, true);
  });
});

describe('given a process whose queue does not answer', () => {
  it('when it is not stopping, then it is not ready, naming the queue', async () => {
    const readiness = await checkReadiness({ store: store(answers), requests: queue(() => Promise.reject(new Error('down'))), blobs: blobs(answers), stopping: () => false });
    assert.equal(readiness.ready, false);
    assert.equal(readiness.stopping, false);
    assert.equal(readiness.checks?.queue.ok, false);
  });
});
