/**
 * The classic `POST /`: the request is held until a (simulated) worker finishes the job, then
 * answered `<name>:<label>` in plain text — for one client and for 100 at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { form, runSimulatedWorkers, sampleImage, startBench, type Bench } from './webHarness.ts';

function classic(bench: Bench, field: string, name: string, bytes: Buffer) {
  return fetch(`${bench.url}/`, { method: 'POST', body: form([{ field, name, bytes }]) });
}

describe('given a fleet that labels every face "alice"', () => {
  let bench: Bench;
  let fleet: ReturnType<typeof runSimulatedWorkers>;
  before(async () => {
    bench = await startBench();
    fleet = runSimulatedWorkers(bench, () => ({ label: 'alice' }));
  });
  after(async () => {
    await fleet.stop();
    await bench.close();
  });

  it('when a classic client posts inputFile then it waits and gets text/plain "<name>:<label>"', async () => {
    const response = await classic(bench, 'inputFile', 'portrait.v2.jpg', await sampleImage('jpeg'));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await response.text(), 'portrait.v2:alice');
    const jobId = response.headers.get('x-job-id');
    assert.ok(jobId);
    const job = (await (await fetch(`${bench.url}/v1/jobs/${jobId}`)).json()) as { source: string; state: string };
    assert.equal(job.source, 'classic');
    assert.equal(job.state, 'done');
  });

  it('when an older client posts myfile then it is answered the same way', async () => {
    const response = await classic(bench, 'myfile', 'old.png', await sampleImage('png'));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'old:alice');
  });

  it('when 100 classic clients post at once then every one gets its own answer and the waiters are released', async () => {
    const png = await sampleImage('png');
    const started = performance.now();
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => classic(bench, 'inputFile', `img${i}.png`, png)));
    const texts = await Promise.all(responses.map((r) => r.text()));
    assert.deepEqual(
      responses.map((r) => r.status),
      Array.from({ length: 100 }, () => 200),
    );
    assert.deepEqual(texts, Array.from({ length: 100 }, (_, i) => `img${i}:alice`));
    assert.ok(performance.now() - started < 30_000);
    assert.equal(bench.services.feed.listenerCount(), 0, 'every waiter unsubscribed');
    assert.deepEqual(bench.logged, []);
  });
});

describe('given a fleet whose model rejects every image', () => {
  let bench: Bench;
  let fleet: ReturnType<typeof runSimulatedWorkers>;
  before(async () => {
    bench = await startBench();
    fleet = runSimulatedWorkers(bench, () => ({ fail: { code: 'invalid-image', reason: 'The JPEG image could not be read.' } }));
  });
  after(async () => {
    await fleet.stop();
    await bench.close();
  });

  it('when a classic client posts then 422 JSON with the reason', async () => {
    const response = await classic(bench, 'inputFile', 'broken.jpg', await sampleImage('jpeg'));
    assert.equal(response.status, 422);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'job-failed');
    assert.match(body.error.message, /The JPEG image could not be read/);
  });
});

describe('given no workers at all', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { classicTimeoutMs: 300 } })));
  after(() => bench.close());

  it('when a classic client waits past the timeout then 504 JSON, and the job stays queued', async () => {
    const response = await classic(bench, 'inputFile', 'slow.png', await sampleImage('png'));
    assert.equal(response.status, 504);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'timeout');
    assert.match(body.error.message, /did not finish within/);
    const counts = await bench.store.counts('job');
    assert.equal(counts.queued, 1);
    assert.equal(bench.services.feed.listenerCount(), 0);
  });

  it('when the client gives up while waiting then its waiter is dropped', async () => {
    const abort = new AbortController();
    const pending = fetch(`${bench.url}/`, { method: 'POST', body: form([{ field: 'inputFile', name: 'x.png', bytes: await sampleImage('png') }]), signal: abort.signal });
    for (let i = 0; i < 50 && bench.services.feed.listenerCount() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bench.services.feed.listenerCount(), 1);
    abort.abort();
    await assert.rejects(pending);
    for (let i = 0; i < 50 && bench.services.feed.listenerCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bench.services.feed.listenerCount(), 0);
  });
});
