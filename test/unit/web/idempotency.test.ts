/**
 * Retries that do not duplicate: a client that sends `Idempotency-Key` gets the same job(s) back
 * for the same key — sequential or concurrent, `POST /v1/jobs` or the classic `POST /` — and a
 * classic wait that times out names its job in `X-Job-Id`, so the client can look it up instead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { form, leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

/** Stored images (fs blobs keep their metadata beside them under .meta/). */
const images = (blobs: string[]): number => blobs.filter((b) => !b.startsWith('.meta/')).length;

async function submit(bench: Bench, key: string | undefined, files = 1): Promise<{ status: number; ids: string[]; body: unknown }> {
  const bytes = await sampleImage('jpeg');
  const response = await fetch(`${bench.url}/v1/jobs`, {
    method: 'POST',
    headers: key === undefined ? {} : { 'Idempotency-Key': key },
    body: form(Array.from({ length: files }, (_, i) => ({ field: 'file', name: `p${i}.jpg`, bytes }))),
  });
  const body = (await response.json()) as { jobs?: Array<{ id: string }> };
  return { status: response.status, ids: (body.jobs ?? []).map((j) => j.id), body };
}

describe('given a web tier without workers', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { classicTimeoutMs: 300 } })));
  after(() => bench.close());

  it('when POST /v1/jobs is sent twice with one Idempotency-Key, then one job, one message and one image, and both answers name it', async () => {
    const first = await submit(bench, 'order-7f3a');
    const second = await submit(bench, 'order-7f3a');
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.deepEqual(second.ids, first.ids);
    const left = await leftovers(bench);
    assert.deepEqual([left.jobs, left.requests, images(left.blobs)], [1, 1, 1]);
  });

  it('when eight requests with one new key arrive at once, then they all name one job and only one was made', async () => {
    const before = await leftovers(bench);
    const answers = await Promise.all(Array.from({ length: 8 }, () => submit(bench, 'burst-1')));
    assert.ok(answers.every((a) => a.status === 202), JSON.stringify(answers.map((a) => a.body)));
    assert.equal(new Set(answers.map((a) => a.ids[0])).size, 1);
    const after = await leftovers(bench);
    assert.deepEqual([after.jobs - before.jobs, after.requests - before.requests, images(after.blobs) - images(before.blobs)], [1, 1, 1]);
  });

  it('when two files come with one key, then two jobs, and a retry names the same two in order', async () => {
    const first = await submit(bench, 'pair-1', 2);
    const second = await submit(bench, 'pair-1', 2);
    assert.equal(new Set(first.ids).size, 2);
    assert.deepEqual(second.ids, first.ids);
  });

  it('when no key is sent, then each request makes its own job', async () => {
    const [a, b] = [await submit(bench, undefined), await submit(bench, undefined)];
    assert.notDeepEqual(a.ids, b.ids);
  });

  it('when the key is not 1–200 visible ASCII characters, then 400 and nothing is written', async () => {
    const before = await leftovers(bench);
    for (const key of ['has space', 'x'.repeat(201), 'tab\there', 'é']) {
      const answer = await submit(bench, key).catch(() => ({ status: 0, ids: [], body: null }));
      if (key === 'é') continue; // fetch refuses a non-Latin-1 header value itself
      assert.equal(answer.status, 400, key);
      assert.match(JSON.stringify(answer.body), /Idempotency-Key must be 1 to 200 visible ASCII characters/);
    }
    assert.deepEqual(await leftovers(bench), before);
  });

  it('when a classic request times out, then the 504 names its job in X-Job-Id, and a retry with the same key waits for that job', async () => {
    const post = async () => {
      const response = await fetch(`${bench.url}/`, { method: 'POST', headers: { 'Idempotency-Key': 'classic-1' }, body: form([{ field: 'inputFile', name: 'slow.jpg', bytes: await sampleImage('jpeg') }]) });
      await response.arrayBuffer();
      return response;
    };
    const before = await leftovers(bench);
    const first = await post();
    assert.equal(first.status, 504);
    const jobId = first.headers.get('x-job-id');
    assert.ok(jobId, 'X-Job-Id on the 504');
    const job = (await (await fetch(`${bench.url}/v1/jobs/${jobId}`)).json()) as { state: string };
    assert.equal(job.state, 'queued');
    const retry = await post();
    assert.equal(retry.status, 504);
    assert.equal(retry.headers.get('x-job-id'), jobId);
    assert.equal((await leftovers(bench)).jobs - before.jobs, 1);
  });
});
