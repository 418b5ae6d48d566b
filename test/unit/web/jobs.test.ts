/**
 * HTTP /v1/jobs: given streams, when a request, then status, body and the new events, messages and blobs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { replay, streamName } from '../../../machines/index.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { form, sampleImage, simulateWorker, startBench, type Bench } from './webHarness.ts';

async function submit(bench: Bench, files: Array<{ name: string; bytes: Buffer }>, values: Record<string, string> = {}) {
  const response = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form(files.map((f) => ({ field: 'file', ...f })), values) });
  return { response, body: (await response.json()) as { jobs: Array<{ id: string; state: string; fileName: string }> } };
}

describe('given an empty system', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  it('when one image is posted to /v1/jobs then 202 with the job, a JobSubmitted event, a request message and the image blob', async () => {
    const png = await sampleImage('png');
    const { response, body } = await submit(bench, [{ name: 'holiday photo.png', bytes: png }]);
    assert.equal(response.status, 202);
    assert.equal(body.jobs.length, 1);
    const job = body.jobs[0]!;
    assert.equal(job.state, 'queued');
    assert.equal(job.fileName, 'holiday photo.png');
    assert.equal(response.headers.get('location'), `/v1/jobs/${job.id}`);

    const events = await bench.store.read(streamName('job', job.id));
    assert.deepEqual(events.map((e) => e.type), ['JobSubmitted']);
    const data = events[0]!.data as Record<string, unknown>;
    assert.equal(data.imageKey, blobKeys.image(job.id));
    assert.equal(data.contentType, 'image/png');
    assert.equal(data.fileName, 'holiday photo.png');
    assert.equal(data.source, 'v1');
    assert.equal(data.bytes, png.length);

    const stored = await bench.blobs.getBytes(blobKeys.image(job.id));
    assert.deepEqual(stored, png);
    const [message] = await bench.requests.receive({ maxMessages: 10 });
    assert.deepEqual(JSON.parse(message!.body), { jobId: job.id });
    await bench.requests.delete(message!.receiptHandle);
  });

  it('when three images of three formats are posted with detector=tiny then three jobs with their sniffed types', async () => {
    const files = [
      { name: 'a.jpg', bytes: await sampleImage('jpeg') },
      { name: 'b.webp', bytes: await sampleImage('webp') },
      { name: 'c.png', bytes: await sampleImage('png') },
    ];
    const { response, body } = await submit(bench, files, { detector: 'tiny' });
    assert.equal(response.status, 202);
    assert.deepEqual(body.jobs.map((j) => j.fileName), ['a.jpg', 'b.webp', 'c.png']);
    const types = [];
    for (const job of body.jobs) {
      const [event] = await bench.store.read(streamName('job', job.id));
      const data = event!.data as { contentType: string; detector: string };
      types.push(data.contentType);
      assert.equal(data.detector, 'tiny');
    }
    assert.deepEqual(types, ['image/jpeg', 'image/webp', 'image/png']);
  });

  it('when the file name is a path then only its last segment is kept as metadata and the key is ours', async () => {
    const { body } = await submit(bench, [{ name: '../../etc/passwd.png', bytes: await sampleImage('png') }]);
    const job = body.jobs[0]!;
    assert.equal(job.fileName, 'passwd.png');
    const [event] = await bench.store.read(streamName('job', job.id));
    assert.equal((event!.data as { imageKey: string }).imageKey, `images/${job.id}`);
  });
});

describe('given a submitted job', () => {
  let bench: Bench;
  let jobId: string;
  before(async () => {
    bench = await startBench();
    const { body } = await submit(bench, [{ name: 'face.jpg', bytes: await sampleImage('jpeg') }]);
    jobId = body.jobs[0]!.id;
  });
  after(() => bench.close());

  it('when GET /v1/jobs/:id then it is queued with no attempts', async () => {
    const response = await fetch(`${bench.url}/v1/jobs/${jobId}`);
    assert.equal(response.status, 200);
    const job = (await response.json()) as Record<string, unknown>;
    assert.equal(job.state, 'queued');
    assert.equal(job.attempts, 0);
    assert.equal(job.fileName, 'face.jpg');
    assert.equal(job.label, null);
    assert.equal(job.result, undefined);
  });

  it('when GET /v1/jobs/:id/image then the uploaded bytes with their content type', async () => {
    const response = await fetch(`${bench.url}/v1/jobs/${jobId}/image`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), await sampleImage('jpeg'));
  });

  it('when a worker completes it then GET shows done, the label, timings and the parsed result', async () => {
    await simulateWorker(bench, jobId, { label: 'alice', faces: 1 });
    const job = (await (await fetch(`${bench.url}/v1/jobs/${jobId}`)).json()) as Record<string, unknown> & { timings: Record<string, unknown> };
    assert.equal(job.state, 'done');
    assert.equal(job.label, 'alice');
    assert.equal(job.faces, 1);
    assert.equal(job.attempts, 1);
    assert.equal(job.timings.modelMs, 7);
    assert.equal(typeof job.timings.totalMs, 'number');
    assert.deepEqual(job.result, { width: 32, height: 32, label: 'alice', faces: [] });
  });

  it('when GET /v1/jobs/:id/history then the steps equal the replay of the stored stream', async () => {
    const response = await fetch(`${bench.url}/v1/jobs/${jobId}/history`);
    assert.equal(response.status, 200);
    const history = (await response.json()) as { state: string; steps: Array<{ type: string; stateAfter: string }> };
    const expected = replay(streamName('job', jobId), await bench.store.read(streamName('job', jobId)));
    assert.deepEqual(history.steps, JSON.parse(JSON.stringify(expected.steps)));
    assert.deepEqual(history.steps.map((s) => [s.type, s.stateAfter]), [
      ['JobSubmitted', 'queued'],
      ['JobStarted', 'processing'],
      ['JobCompleted', 'done'],
    ]);
    assert.equal(history.state, 'done');
  });

  it('when GET /v1/jobs?state=done then the job is listed, and ?state=queued does not list it', async () => {
    const done = (await (await fetch(`${bench.url}/v1/jobs?state=done`)).json()) as { items: Array<{ id: string }> };
    assert.deepEqual(done.items.map((j) => j.id), [jobId]);
    const queued = (await (await fetch(`${bench.url}/v1/jobs?state=queued`)).json()) as { items: unknown[] };
    assert.deepEqual(queued.items, []);
  });

  it('when GET /v1/counts then jobs and instances by state', async () => {
    const counts = (await (await fetch(`${bench.url}/v1/counts`)).json()) as { jobs: Record<string, number>; instances: Record<string, number> };
    assert.equal(counts.jobs.done, 1);
    assert.equal(counts.jobs.queued, 0);
    assert.equal(counts.instances.polling, 0);
  });
});

describe('given many jobs', () => {
  let bench: Bench;
  const ids: string[] = [];
  before(async () => {
    bench = await startBench();
    for (let i = 0; i < 5; i++) {
      const { body } = await submit(bench, [{ name: `p${i}.png`, bytes: await sampleImage('png') }]);
      ids.push(body.jobs[0]!.id);
    }
  });
  after(() => bench.close());

  it('when listed two at a time then the pages follow `next` newest first and end without `next`', async () => {
    const seen: string[] = [];
    let url = `${bench.url}/v1/jobs?limit=2`;
    for (let page = 0; page < 5; page++) {
      const body = (await (await fetch(url)).json()) as { items: Array<{ id: string }>; next?: string };
      seen.push(...body.items.map((j) => j.id));
      if (!body.next) break;
      url = `${bench.url}/v1/jobs?limit=2&cursor=${encodeURIComponent(body.next)}`;
    }
    assert.deepEqual(seen, [...ids].reverse());
  });

  it('when the query is wrong then 400 naming what is wrong', async () => {
    for (const query of ['state=sleeping', 'limit=0', 'limit=501', 'limit=abc', 'state=done&state=queued']) {
      const response = await fetch(`${bench.url}/v1/jobs?${query}`);
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'validation', query);
    }
  });

  it('when the ids are unknown then 404 for the job, its history and its image', async () => {
    for (const path of ['/v1/jobs/nope', '/v1/jobs/nope/history', '/v1/jobs/nope/image', '/v1/jobs/..%2F..%2Fetc', '/v1/jobs/a%20b']) {
      const response = await fetch(`${bench.url}${path}`);
      assert.equal(response.status, 404, path);
      const body = (await response.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'not-found', path);
    }
  });
});
