/**
 * Recognition end to end: every face of the six demo photos enrolled as its own subject, then the
 * same photos degraded (half size, JPEG quality 50, 15% brighter, 15% darker) must name each face
 * as itself; faces of photos never enrolled must come back `unknown`.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { addExample, addSubject, classicLabel, emptyGallery, loadModel, NoFaceFound, type FaceModel, type Gallery, type Box } from '../../../model/index.ts';
import { iou } from '../../../model/nms.ts';

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => `sample${i}`);

interface Enrolled { subject: string; sample: string; box: Box }

let model: FaceModel;
const originals = new Map<string, Buffer>();
let gallery: Gallery = emptyGallery();
const enrolled: Enrolled[] = [];

before(async () => {
  model = await loadModel();
  for (const sample of SAMPLES) {
    const bytes = await readFile(join(demoDir, `${sample}.jpg`));
    originals.set(sample, bytes);
    const { faces } = await model.analyse(bytes);
    faces.forEach((face, i) => {
      const subject = `${sample}-face${i}`;
      gallery = addExample(addSubject(gallery, { id: subject, name: subject }), subject, { descriptor: face.descriptor, box: face.box, sourceName: `${sample}.jpg` });
      enrolled.push({ subject, sample, box: face.box });
    });
  }
});

const variants: Record<string, (bytes: Buffer) => Promise<{ bytes: Buffer; scale: number }>> = {
  'half size': async (bytes) => {
    const { width = 0 } = await sharp(bytes).metadata();
    return { bytes: await sharp(bytes).resize({ width: Math.round(width / 2) }).jpeg({ quality: 90 }).toBuffer(), scale: Math.round(width / 2) / width };
  },
  'JPEG quality 50': async (bytes) => ({ bytes: await sharp(bytes).jpeg({ quality: 50 }).toBuffer(), scale: 1 }),
  '15% brighter': async (bytes) => ({ bytes: await sharp(bytes).modulate({ brightness: 1.15 }).jpeg({ quality: 95 }).toBuffer(), scale: 1 }),
  '15% darker': async (bytes) => ({ bytes: await sharp(bytes).modulate({ brightness: 0.85 }).jpeg({ quality: 95 }).toBuffer(), scale: 1 }),
};

describe('given a gallery with every face of the six photos enrolled as its own subject', () => {
  for (const [variant, make] of Object.entries(variants)) {
    it(`when the photos are ${variant}, then each enrolled face is recognised as itself`, async (t) => {
      let worst = 0;
      for (const sample of SAMPLES) {
        const { bytes, scale } = await make(originals.get(sample) as Buffer);
        const result = await model.recognize(bytes, gallery);
        for (const expected of enrolled.filter((e) => e.sample === sample)) {
          const box = { x: expected.box.x * scale, y: expected.box.y * scale, width: expected.box.width * scale, height: expected.box.height * scale };
          const found = result.faces.find((f) => iou(f.box, box) > 0.5);
          assert.ok(found, `${variant}: ${expected.subject} detected`);
          assert.equal(found.label, expected.subject, `${variant}: ${expected.subject} named (distance ${found.distance.toFixed(3)})`);
          worst = Math.max(worst, found.distance);
        }
      }
      t.diagnostic(`${variant}: worst distance to own enrolment ${worst.toFixed(3)}`);
    });
  }
});

describe('given a gallery of only the faces of sample1 to sample3', () => {
  const partial = (): Gallery => {
    let g = emptyGallery();
    for (const subject of gallery.subjects.filter((s) => /^sample[123]-/.test(s.id))) g = addSubject(g, subject);
    return g;
  };

  it('when the faces of sample6 (none of them within 0.6 of an enrolled face) are queried with the default threshold, then all are unknown', async (t) => {
    const result = await model.recognize(originals.get('sample6') as Buffer, partial());
    assert.ok(result.faces.length > 0);
    for (const face of result.faces) assert.equal(face.label, 'unknown', `a stranger named ${face.label} at ${face.distance.toFixed(3)}`);
    t.diagnostic(`nearest: ${result.faces.map((f) => f.distance.toFixed(3)).join(', ')}`);
  });

  // On these photos unrelated faces come as close as 0.468 (notes §6), while a degraded copy of the
  // same face stays within ~0.33: 0.45 separates them, 0.6 does not.
  it('when every face of sample4 to sample6 is queried with threshold 0.45, then each is unknown', async (t) => {
    let nearest = Infinity;
    let queried = 0;
    for (const sample of ['sample4', 'sample5', 'sample6']) {
      const result = await model.recognize(originals.get(sample) as Buffer, partial(), { threshold: 0.45 });
      for (const face of result.faces) {
        queried += 1;
        nearest = Math.min(nearest, face.distance);
        assert.equal(face.label, 'unknown', `${sample}: a stranger named ${face.label} at ${face.distance.toFixed(3)}`);
      }
    }
    assert.ok(queried > 0);
    t.diagnostic(`nearest stranger distance ${nearest.toFixed(3)} over ${queried} faces`);
  });
});

describe('given any gallery', () => {
  it('when the image has no face, then no faces and the classic label no-face', async () => {
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#7a7a7a' } }).jpeg().toBuffer();
    const result = await model.recognize(blank, gallery);
    assert.deepEqual(result.faces, []);
    assert.equal(classicLabel(result), 'no-face');
    await assert.rejects(model.enrolFace(blank), NoFaceFound);
  });

  it('when a photo is enrolled, then the descriptor is the largest face’s', async () => {
    const enrolledFace = await model.enrolFace(originals.get('sample1') as Buffer);
    assert.equal(enrolledFace.descriptor.length, 128);
    assert.equal(enrolledFace.faceCount, enrolled.filter((e) => e.sample === 'sample1').length);
  });
});
