/**
 * The gallery document: empty when never saved, refused when damaged, and never losing a write when
 * many changes run at once (they are serialised within the process).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFsBlobs } from '../../../adapters/embedded/fsBlobs.ts';
import type { Blobs } from '../../../adapters/ports.ts';
import { systemClock } from '../../../services/clock.ts';
import { createGalleryService, loadGallery, type FaceModelLike } from '../../../services/gallery/index.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { DEFAULT_UPLOAD_LIMITS } from '../../../services/uploads/uploads.ts';
import { sampleImage } from '../web/webHarness.ts';
import { makeTempDir } from '../../support/tempDir.ts';

/** A model that "finds" one face in the middle of any image, with a descriptor derived from its size. */
const fakeModel: FaceModelLike = {
  async enrolFace(bytes) {
    await new Promise((r) => setTimeout(r, Math.random() * 20));
    return { descriptor: Array.from({ length: 128 }, (_, i) => ((bytes.length + i) % 7) / 10), box: { x: 4, y: 4, width: 16, height: 16 }, faceCount: 1 };
  },
};

describe('given an empty blob store', () => {
  const dir = makeTempDir('gallery');
  let blobs: Blobs;
  let gallery: ReturnType<typeof createGalleryService>;
  before(() => {
    blobs = createFsBlobs({ dir: dir.file('blobs') });
    gallery = createGalleryService({ blobs, clock: systemClock, limits: DEFAULT_UPLOAD_LIMITS, detector: 'ssd', threshold: 0.5, loadModel: async () => fakeModel });
  });
  after(() => dir.cleanup());

  it('when the gallery is loaded then it is empty (with the configured threshold)', async () => {
    assert.deepEqual(await loadGallery(blobs, { threshold: 0.5 }), { version: 1, threshold: 0.5, subjects: [] });
    assert.deepEqual(await gallery.listSubjects(), { threshold: 0.5, subjects: [] });
  });

  it('when 10 subjects are created at once then all 10 are kept', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => gallery.createSubject(`person ${i}`)));
    const { subjects } = await gallery.listSubjects();
    assert.deepEqual(subjects.map((s) => s.name).sort(), Array.from({ length: 10 }, (_, i) => `person ${i}`).sort());
  });

  it('when 10 examples are enrolled at once for one subject then all 10 are kept, each with its crop', async () => {
    const { subjects } = await gallery.listSubjects();
    const subject = subjects[0]!;
    const images = await Promise.all(Array.from({ length: 10 }, (_, i) => sampleImage('jpeg', 64 + i)));
    const added = await Promise.all(images.map((image, i) => gallery.addExamples(subject.id, [{ fileName: `e${i}.jpg`, size: image.length, bytes: image }])));
    const stored = (await loadGallery(blobs)).subjects.find((s) => s.id === subject.id)!;
    assert.equal(stored.examples.length, 10);
    for (const [example] of added) assert.ok(await blobs.head(blobKeys.galleryExample(example!.id)));
  });

  it('when one photo is enrolled for one subject by 5 requests at once and then again, then it is kept once and the others answer the same example as a duplicate', async () => {
    const subject = (await gallery.listSubjects()).subjects[1]!;
    const image = await sampleImage('jpeg', 90);
    const file = { fileName: 'same.jpg', size: image.length, bytes: image };
    const answers = (await Promise.all(Array.from({ length: 5 }, () => gallery.addExamples(subject.id, [file])))).map(([a]) => a!);
    const again = (await gallery.addExamples(subject.id, [file, file]));
    const stored = (await loadGallery(blobs)).subjects.find((s) => s.id === subject.id)!;
    assert.equal(stored.examples.length, 1);
    const kept = stored.examples[0]!;
    assert.equal(answers.filter((a) => !a.duplicate).length, 1);
    for (const a of [...answers, ...again]) assert.equal(a.id, kept.id);
    assert.deepEqual(again.map((a) => a.duplicate), [true, true]);
    const crops = await Promise.all(answers.map((a) => blobs.head(blobKeys.galleryExample(a.id))));
    assert.ok(crops.every(Boolean), 'the kept example has its crop');
  });

  it('when a name arrives decomposed (e + combining accent), then it is stored composed (NFC) and its composed twin is a duplicate', async () => {
    const created = await gallery.createSubject('Rene\u0301e');
    assert.equal(created.name, 'Ren\u00e9e');
    await assert.rejects(gallery.createSubject('Ren\u00e9e'), /already exists/);
  });

  it('when the subject is deleted then its example crops are deleted too', async () => {
    const stored = (await loadGallery(blobs)).subjects.find((s) => s.examples.length > 0)!;
    await gallery.deleteSubject(stored.id);
    for (const example of stored.examples) assert.equal(await blobs.head(blobKeys.galleryExample(example.id)), undefined);
  });

  it('when the stored document is damaged then loading says so instead of starting empty', async () => {
    await blobs.put(blobKeys.gallery(), Buffer.from('{"version":2}'));
    await assert.rejects(loadGallery(blobs), /version must be 1/);
  });
});
