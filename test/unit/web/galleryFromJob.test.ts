/**
 * HTTP POST /v1/gallery/subjects/:id/examples/from-job: given a finished job whose result has two
 * faces (the first the larger), when the second is enrolled into a subject, then the subject's new
 * example carries exactly that face's descriptor and box (not the largest face's), with a crop;
 * the same face again adds nothing; bad bodies, unfinished jobs and missing faces are 4xx JSON.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { blobKeys } from '../../../services/blobKeys.ts';
import { form, sampleImage, simulateWorker, startBench, type Bench } from './webHarness.ts';

const descriptor = (v: number) => Array.from({ length: 128 }, (_, i) => (i === 0 ? v : 0.01));
const big = { box: { x: 0, y: 0, width: 20, height: 20 }, descriptor: descriptor(0.9), label: 'unknown', distance: 0.7 };
const small = { box: { x: 20, y: 20, width: 10, height: 10 }, descriptor: descriptor(0.1), label: 'unknown', distance: 0.8 };

describe('given a finished job with two faces and a waiting one', () => {
  let bench: Bench;
  let done: string;
  let waiting: string;
  let subject: string;

  const post = async (subjectId: string, body: unknown) => {
    const response = await fetch(`${bench.url}/v1/gallery/subjects/${subjectId}/examples/from-job`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { example?: { id: string; box: unknown; duplicate: boolean; sourceName: string }; error?: { code: string; message: string } } };
  };

  before(async () => {
    bench = await startBench();
    const png = await sampleImage('png');
    const submitted = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'group.png', bytes: png }, { field: 'file', name: 'later.png', bytes: png }]) });
    const { jobs } = (await submitted.json()) as { jobs: Array<{ id: string }> };
    done = jobs[0]!.id;
    waiting = jobs[1]!.id;
    await simulateWorker(bench, done, { label: 'unknown', faces: 2 });
    await bench.blobs.put(blobKeys.result(done, 1), Buffer.from(JSON.stringify({ width: 32, height: 32, label: 'unknown', faces: [big, small] })), { contentType: 'application/json' });
    const created = await fetch(`${bench.url}/v1/gallery/subjects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada' }) });
    subject = ((await created.json()) as { id: string }).id;
  });
  after(() => bench.close());

  it('when its second face is enrolled, then that face (not the largest) becomes the example, with a thumbnail', async () => {
    const { status, body } = await post(subject, { jobId: done, faceIndex: 1 });
    assert.equal(status, 201);
    assert.deepEqual(body.example?.box, small.box);
    assert.equal(body.example?.sourceName, 'group.png (face 2)');
    const gallery = (await (await fetch(`${bench.url}/v1/gallery`)).json()) as { subjects: Array<{ id: string; examples: Array<{ id: string; descriptor: number[] }> }> };
    const examples = gallery.subjects.find((s) => s.id === subject)?.examples ?? [];
    assert.equal(examples.length, 1);
    assert.deepEqual(examples[0]?.descriptor, small.descriptor);
    const thumb = await fetch(`${bench.url}/v1/gallery/subjects/${subject}/examples/${body.example?.id}/image`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
    await thumb.body?.cancel();
  });

  it('when the same face is enrolled again, then 200 with the existing example and nothing added', async () => {
    const { status, body } = await post(subject, { jobId: done, faceIndex: 1 });
    assert.equal(status, 200);
    assert.equal(body.example?.duplicate, true);
    const gallery = (await (await fetch(`${bench.url}/v1/gallery`)).json()) as { subjects: Array<{ id: string; examples: unknown[] }> };
    assert.equal(gallery.subjects.find((s) => s.id === subject)?.examples.length, 1);
  });

  it('when the request is wrong, then a 4xx JSON error says what', async () => {
    const cases: Array<[string, unknown, number, RegExp]> = [
      [subject, { jobId: done, faceIndex: 2 }, 400, /has 2 faces: faceIndex must be below 2/],
      [subject, { jobId: waiting, faceIndex: 0 }, 400, /is queued: only a finished job/],
      [subject, { jobId: done }, 400, /faceIndex/],
      [subject, { jobId: '../x', faceIndex: 0 }, 400, /jobId must be a job id/],
      [subject, { jobId: 'nosuchjob', faceIndex: 0 }, 404, /There is no job/],
      ['nosuchsubject', { jobId: done, faceIndex: 0 }, 404, /There is no subject/],
    ];
    for (const [subjectId, body, status, message] of cases) {
      const answer = await post(subjectId, body);
      assert.equal(answer.status, status, JSON.stringify(body));
      assert.match(answer.body.error?.message ?? '', message);
    }
  });
});
