/**
 * End-to-end parity with face-api (tfjs-wasm) on its six demo photos: both pipelines get the very
 * same sharp-decoded RGB tensor. Prints the worst IoU and descriptor distance so they can be quoted.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeImage, type RgbImage } from '../../../model/image.ts';
import { analyseImage, type AnalysedFace, type DetectorName } from '../../../model/recognize.ts';
import { loadSessions } from '../../../model/sessions.ts';
import { loadSsdAnchors } from '../../../model/ssdAnchors.ts';
import { runSquare } from '../../../model/sessions.ts';
import { padBottomRight, padBottomRightResized } from '../../../model/tensors.ts';
import { iou } from '../../../model/nms.ts';
import { euclideanDistance } from '../../../model/descriptor.ts';
import { topExpression, type Expressions } from '../../../model/expressions.ts';
import { loadReference, referenceFaces, type Reference, type ReferenceFace } from './referencePipeline.ts';

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => `sample${i}.jpg`);

let ref: Reference;
let ctx: { sessions: Awaited<ReturnType<typeof loadSessions>> };
const images = new Map<string, RgbImage>();

before(async () => {
  [ref, ctx] = await Promise.all([loadReference(), loadSessions().then((sessions) => ({ sessions }))]);
  for (const name of SAMPLES) images.set(name, await decodeImage(await readFile(join(demoDir, name))));
});

/** Pairs each reference face with our face of highest IoU. */
function pair(ours: AnalysedFace[], theirs: ReferenceFace[]): { ours: AnalysedFace; theirs: ReferenceFace; iou: number }[] {
  return theirs.map((t) => {
    let best: { ours: AnalysedFace; theirs: ReferenceFace; iou: number } | undefined;
    for (const o of ours) {
      const overlap = iou(o.box, t.box);
      if (!best || overlap > best.iou) best = { ours: o, theirs: t, iou: overlap };
    }
    assert.ok(best, 'a face to pair with');
    return best;
  });
}

for (const detector of ['ssd', 'tiny'] as DetectorName[]) {
  describe(`given the six demo photos and the ${detector} detector`, () => {
    it('when both pipelines run on the same decoded tensor, then the same faces, boxes IoU ≥ 0.95, descriptors within 0.03, same top expression, age within 0.01 year, same gender', async (t) => {
      let worstAge = 0;
      let worstIou = 1;
      let worstDistance = 0;
      let worstLandmark = 0;
      let faces = 0;
      for (const name of SAMPLES) {
        const image = images.get(name) as RgbImage;
        const [ours, theirs] = [await analyseImage(ctx, image, detector), await referenceFaces(ref, image, detector)];
        assert.equal(ours.length, theirs.length, `${name}: face count`);
        for (const p of pair(ours, theirs)) {
          faces += 1;
          const distance = euclideanDistance(p.ours.descriptor, p.theirs.descriptor);
          const landmark = Math.max(...p.ours.landmarks.map((q, i) => Math.hypot(q.x - (p.theirs.landmarks[i]?.x ?? NaN), q.y - (p.theirs.landmarks[i]?.y ?? NaN))));
          worstIou = Math.min(worstIou, p.iou);
          worstDistance = Math.max(worstDistance, distance);
          worstLandmark = Math.max(worstLandmark, landmark);
          assert.ok(p.iou >= 0.95, `${name}: box IoU ${p.iou.toFixed(4)}`);
          assert.ok(distance <= 0.03, `${name}: descriptor distance ${distance.toFixed(4)}`);
          assert.equal(topExpression(p.ours.expressions), topExpression(p.theirs.expressions as Expressions), `${name}: top expression`);
          worstAge = Math.max(worstAge, Math.abs(p.ours.age - p.theirs.age), Math.abs(p.ours.genderProbability - p.theirs.genderProbability));
          assert.ok(Math.abs(p.ours.age - p.theirs.age) <= 0.01, `${name}: age ${p.ours.age} vs ${p.theirs.age}`);
          assert.equal(p.ours.gender, p.theirs.gender, `${name}: gender`);
        }
      }
      const line = `${detector}: ${faces} faces, worst box IoU 1 - ${(1 - worstIou).toExponential(1)}, worst descriptor distance ${worstDistance.toExponential(2)}, worst landmark offset ${worstLandmark.toExponential(1)} px, worst age / gender probability difference ${worstAge.toExponential(1)}`;
      t.diagnostic(line);
    });
  });
}

describe('given a detector input we resize ourselves (TF legacy bilinear in float32)', () => {
  it('when fed to the graphs, then their outputs equal those for the full-size padded square the graph resizes itself', async () => {
    const image = images.get('sample6.jpg') as RgbImage;
    const full = padBottomRight(image);
    for (const [net, size] of [['tiny_face_detector', 416], ['ssd_mobilenetv1', 512]] as const) {
      const small = padBottomRightResized(image, size);
      const [a, b] = [await runSquare(ctx.sessions[net], full.data, full.size), await runSquare(ctx.sessions[net], small.data, small.size)];
      for (const name of Object.keys(a)) {
        const x = a[name] as Float32Array;
        const y = b[name] as Float32Array;
        let worst = 0;
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
        assert.ok(worst <= 1e-5, `${net}.${name} differs by ${worst}`);
      }
    }
  });
});

describe('given the SSD graph', () => {
  it('when it emits its anchors, then they equal the tensor shipped in face-api’s weights', async () => {
    const out = await runSquare(ctx.sessions.ssd_mobilenetv1, new Float32Array(64 * 64 * 3), 64);
    const stored = await loadSsdAnchors();
    assert.ok(out.anchors, 'the graph outputs anchors');
    let worst = 0;
    for (let i = 0; i < stored.length; i++) worst = Math.max(worst, Math.abs((out.anchors[i] as number) - (stored[i] as number)));
    assert.ok(worst < 1e-6, `anchors differ by ${worst}`);
  });
});
