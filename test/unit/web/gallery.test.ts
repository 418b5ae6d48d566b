/**
 * `/v1/gallery/subjects` with the real face model: create a subject, enrol a photo (the largest
 * face's descriptor is kept, with a JPEG crop), list, fetch the thumbnail, delete.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadGallery } from '../../../services/gallery/galleryStore.ts';
import { form, leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const modelPresent = existsSync(`${root}model/index.ts`);
const samplePath = `${root}node_modules/@vladmandic/face-api/demo/sample1.jpg`;
const skip = !modelPresent ? 'model/index.ts does not exist yet' : !existsSync(samplePath) ? 'the face-api sample photo is not installed' : false;

interface Subject {
  id: string;
  name: string;
  exampleCount: number;
  examples: Array<{ id: string; box: { x: number; y: number; width: number; height: number } | null; sourceName: string | null }>;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('given an empty gallery and the real face model', { skip, timeout: 300_000 }, () => {
  let bench: Bench;
  let subject: Subject;
  let exampleId: string;
  before(async () => (bench = await startBench()));
  after(() => bench?.close());

  it('when a subject is created then 201 with its id, and it is listed with no examples', async () => {
    const response = await fetch(`${bench.url}/v1/gallery/subjects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '  Ada Lovelace ' }) });
    assert.equal(response.status, 201);
    subject = await json<Subject>(response);
    assert.equal(subject.name, 'Ada Lovelace');
    assert.equal(subject.exampleCount, 0);
    const list = await json<{ subjects: Subject[] }>(await fetch(`${bench.url}/v1/gallery/subjects`));
    assert.deepEqual(list.subjects.map((s) => [s.id, s.name]), [[subject.id, 'Ada Lovelace']]);
  });

  it('when the same name is created again then 400', async () => {
    const response = await fetch(`${bench.url}/v1/gallery/subjects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ada lovelace' }) });
    assert.equal(response.status, 400);
    assert.match((await json<{ error: { message: string } }>(response)).error.message, /already exists/);
  });

  it('when a photo with faces is enrolled then one example with the largest face, stored with a 128-d descriptor', async () => {
    const photo = readFileSync(samplePath);
    const response = await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}/examples`, { method: 'POST', body: form([{ field: 'file', name: 'sample1.jpg', bytes: photo }]) });
    const body = await json<{ examples: Array<{ id: string; faceCount: number; box: { width: number; height: number } }> }>(response);
    assert.equal(response.status, 201, JSON.stringify(body));
    assert.equal(body.examples.length, 1);
    const example = body.examples[0]!;
    exampleId = example.id;
    assert.ok(example.faceCount >= 1);
    assert.ok(example.box.width > 10 && example.box.height > 10);

    const gallery = await loadGallery(bench.blobs);
    const stored = gallery.subjects.find((s) => s.id === subject.id)!.examples;
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.descriptor.length, 128);
    assert.equal(stored[0]!.sourceName, 'sample1.jpg');
    assert.deepEqual((await leftovers(bench)).uploads, []);
  });

  it('when the example thumbnail is fetched then a JPEG face crop', async () => {
    const response = await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}/examples/${exampleId}/image`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.ok((meta.width ?? 0) > 0 && (meta.width ?? 0) <= 160);
  });

  it('when a photo without a face is enrolled then 422 and nothing is added', async () => {
    const blank = await sampleImage('jpeg', 200);
    const response = await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}/examples`, { method: 'POST', body: form([{ field: 'file', name: 'wall.jpg', bytes: blank }]) });
    assert.equal(response.status, 422);
    const body = await json<{ error: { code: string; message: string } }>(response);
    assert.equal(body.error.code, 'no-face');
    assert.match(body.error.message, /"wall.jpg"/);
    const list = await json<{ subjects: Subject[] }>(await fetch(`${bench.url}/v1/gallery/subjects`));
    assert.equal(list.subjects[0]!.exampleCount, 1);
  });

  it('when examples are posted to an unknown subject then 404', async () => {
    const response = await fetch(`${bench.url}/v1/gallery/subjects/nobody/examples`, { method: 'POST', body: form([{ field: 'file', name: 'a.jpg', bytes: await sampleImage('jpeg') }]) });
    assert.equal(response.status, 404);
  });

  it('when the example is deleted then 204, its crop is gone and a second delete is 404', async () => {
    const response = await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}/examples/${exampleId}`, { method: 'DELETE' });
    assert.equal(response.status, 204);
    assert.equal((await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}/examples/${exampleId}/image`)).status, 404);
    assert.equal((await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}/examples/${exampleId}`, { method: 'DELETE' })).status, 404);
    assert.equal(await bench.blobs.head(`gallery/examples/${exampleId}`), undefined);
  });

  it('when the subject is deleted then 204 and it is no longer listed', async () => {
    assert.equal((await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}`, { method: 'DELETE' })).status, 204);
    const list = await json<{ subjects: Subject[] }>(await fetch(`${bench.url}/v1/gallery/subjects`));
    assert.deepEqual(list.subjects, []);
    assert.equal((await fetch(`${bench.url}/v1/gallery/subjects/${subject.id}`, { method: 'DELETE' })).status, 404);
  });
});
