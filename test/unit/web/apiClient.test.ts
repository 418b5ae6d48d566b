/** Our typed HTTP client (client/api.ts) against the real web app: what it sends, what it reads, how it fails. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError, createApiClient, type ApiClient } from '../../../client/api.ts';
import { sampleImage, startBench, type Bench } from './webHarness.ts';

describe('given an empty system', () => {
  let bench: Bench;
  let api: ApiClient;
  before(async () => {
    bench = await startBench();
    api = createApiClient({ url: bench.url });
  });
  after(() => bench.close());

  it('when two images are submitted then two queued jobs come back in order, and each reads back', async () => {
    const jobs = await api.submitJobs([
      { fileName: 'a.jpg', bytes: await sampleImage('jpeg') },
      { fileName: 'b.png', bytes: await sampleImage('png') },
    ]);
    assert.deepEqual(jobs.map((j) => [j.fileName, j.state]), [['a.jpg', 'queued'], ['b.png', 'queued']]);
    const job = await api.getJob(jobs[1]?.id ?? '');
    assert.equal(job.state, 'queued');
    assert.equal(job.fileName, 'b.png');
  });

  it('when a text file is submitted then ApiError with the status, code and the server’s message', async () => {
    const error = await api.submitJobs([{ fileName: 'a.txt', bytes: Buffer.from('hello') }]).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 415);
    assert.equal(error.code, 'unsupported-media-type');
    assert.equal(error.refused, true);
    assert.match(error.reason, /not a JPEG, PNG or WebP/);
    assert.match(error.message, /^POST \/v1\/jobs answered 415: /);
  });

  it('when an unknown job is read then ApiError 404, not a refusal', async () => {
    await assert.rejects(api.getJob('nope'), (e: unknown) => e instanceof ApiError && e.status === 404 && !e.refused);
  });

  it('when subjects are created, listed and deleted then the gallery follows (a second delete is fine)', async () => {
    const id = await api.gallery.createSubject('alice');
    assert.deepEqual((await api.gallery.listSubjects()).map((s) => [s.id, s.name]), [[id, 'alice']]);
    await api.gallery.deleteSubject(id);
    await api.gallery.deleteSubject(id);
    assert.deepEqual(await api.gallery.listSubjects(), []);
  });

  it('when instances are listed then every page is read (none here)', async () => {
    assert.deepEqual(await api.listInstances(), []);
  });

  it('when readiness is asked then 200 ready', async () => {
    const readiness = await api.readiness();
    assert.equal(readiness.status, 200);
    assert.equal(readiness.ready, true);
  });
});

describe('given no server at the address', () => {
  it('when anything is asked then ApiError without a status, naming the request', async () => {
    const api = createApiClient({ url: 'http://127.0.0.1:9', timeoutMs: 2000 });
    await assert.rejects(api.listInstances(), (e: unknown) => e instanceof ApiError && e.status === undefined && /GET http:\/\/127\.0\.0\.1:9\/v1\/instances/.test(e.message));
  });
});
