/**
 * Parity of each converted ONNX net with face-api (tfjs wasm) on identical input tensors: regions
 * of a demo photo decoded by sharp, at the exact net size and at other sizes (in-graph resize).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { ensureModels } from '../../../model/build/buildModels.ts';
import type { Manifest, NetName } from '../../../model/build/manifest.ts';
import { loadReference } from '../../support/faceApiReference.ts';
import type { Reference } from '../../support/faceApiReference.ts';

const TOLERANCE = 1e-4;
const PHOTO = path.join(path.dirname(new URL(import.meta.resolve('@vladmandic/face-api/package.json')).pathname), 'demo', 'sample1.jpg');
const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'model', 'onnx');

/** A `size`×`size` RGB region of the demo photo as NHWC float32 0..255 (sample1 has a face at 414,355 177×240). */
async function region(left: number, top: number, size: number): Promise<Float32Array> {
  const raw = await sharp(PHOTO).removeAlpha().extract({ left, top, width: size, height: size }).raw().toBuffer();
  return Float32Array.from(raw);
}

interface Tensorish { dataSync(): Float32Array | Int32Array | Uint8Array; dispose(): void; shape: number[] }

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'output lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

let manifest: Manifest;
let ref: Reference;
const sessions = new Map<NetName, ort.InferenceSession>();

async function runOnnx(net: NetName, image: Float32Array, size: number): Promise<Record<string, ort.Tensor>> {
  let s = sessions.get(net);
  if (!s) {
    s = await ort.InferenceSession.create(path.join(MODEL_DIR, manifest.nets[net].file), { graphOptimizationLevel: 'all' });
    sessions.set(net, s);
  }
  return s.run({ image: new ort.Tensor('float32', image, [1, size, size, 3]) });
}

/** Runs `fn` on the reference with the image as a [1,S,S,3] tfjs tensor and returns its flat output. */
async function runReference(image: Float32Array, size: number, fn: (x: Tensorish) => Promise<Tensorish> | Tensorish): Promise<Float32Array> {
  const x = ref.tf.tensor4d(image, [1, size, size, 3]) as unknown as Tensorish;
  try {
    const out = await fn(x);
    const data = Float32Array.from(out.dataSync());
    out.dispose();
    return data;
  } finally {
    x.dispose();
  }
}

before(async () => {
  manifest = await ensureModels(MODEL_DIR);
  ref = await loadReference();
});

interface FaceNetCase { net: NetName; output: string; length: number; forward: (x: Tensorish) => Promise<Tensorish> }

const faceNets = (): FaceNetCase[] => {
  const nets = ref.faceapi.nets as unknown as Record<string, { forward(x: unknown): Promise<Tensorish> }>;
  return [
    { net: 'face_recognition', output: 'descriptor', length: 128, forward: (x) => nets.faceRecognitionNet!.forward(x) },
    { net: 'face_landmark_68', output: 'landmarks', length: 136, forward: (x) => nets.faceLandmark68Net!.forward(x) },
    { net: 'face_expression', output: 'expressions', length: 7, forward: (x) => nets.faceExpressionNet!.forward(x) },
  ];
};

// Square crops centred on the face of sample1 (centre ≈ 502,475): net size, larger, smaller.
const FACE_SIZES: Record<string, number[]> = { face_recognition: [150, 250, 97], face_landmark_68: [112, 240, 97], face_expression: [112, 240, 97] };

describe('given a face crop of a demo photo', () => {
  for (const name of ['face_recognition', 'face_landmark_68', 'face_expression'] as const) {
    for (const size of FACE_SIZES[name] ?? []) {
      it(`when ${name} runs on a ${size}² crop then ONNX matches face-api within ${TOLERANCE}`, async () => {
        const c = faceNets().find((f) => f.net === name);
        assert.ok(c);
        const image = await region(502 - Math.floor(size / 2), 475 - Math.floor(size / 2), size);
        const ours = (await runOnnx(name, image, size))[c.output];
        assert.ok(ours, `no output ${c.output}`);
        assert.deepEqual(ours.dims, [1, c.length]);
        const theirs = await runReference(image, size, c.forward);
        const diff = maxDiff(ours.data as Float32Array, theirs);
        console.log(`# ${name} ${size}²: max |diff| ${diff.toExponential(2)}`);
        assert.ok(diff <= TOLERANCE, `max difference ${diff}`);
      });
    }
  }
});

describe('given a face crop of a demo photo for the age and gender net', () => {
  for (const size of [112, 240, 97]) {
    it(`when age_gender runs on a ${size}² crop then age and the gender probabilities match face-api within ${TOLERANCE}`, async () => {
      const image = await region(502 - Math.floor(size / 2), 475 - Math.floor(size / 2), size);
      const out = await runOnnx('age_gender', image, size);
      assert.deepEqual(out.age?.dims, [1, 1]);
      assert.deepEqual(out.gender?.dims, [1, 2]);
      const net = ref.faceapi.nets.ageGenderNet as unknown as { forward(x: unknown): Promise<{ age: Tensorish; gender: Tensorish }> };
      const x = ref.tf.tensor4d(image, [1, size, size, 3]);
      const theirs = await net.forward(await ref.faceapi.toNetInput(x as never));
      const [refAge, refGender] = [Float32Array.from(theirs.age.dataSync()), Float32Array.from(theirs.gender.dataSync())];
      theirs.age.dispose();
      theirs.gender.dispose();
      x.dispose();
      const ageDiff = maxDiff(out.age!.data as Float32Array, refAge);
      const genderDiff = maxDiff(out.gender!.data as Float32Array, refGender);
      console.log(`# age_gender ${size}²: age ${refAge[0]!.toFixed(2)} max |diff| ${ageDiff.toExponential(2)}, gender max |diff| ${genderDiff.toExponential(2)}`);
      assert.ok(ageDiff <= TOLERANCE && genderDiff <= TOLERANCE, `age ${ageDiff}, gender ${genderDiff}`);
    });
  }
});

describe('given a bottom-right-padded square of a demo photo', () => {
  for (const size of [416, 700, 300]) {
    it(`when tiny_face_detector runs on ${size}² then the raw head [1,25,13,13] matches face-api's within ${TOLERANCE}`, async () => {
      const image = await region(250, 200, size);
      const ours = (await runOnnx('tiny_face_detector', image, size)).grid;
      assert.ok(ours);
      assert.deepEqual(ours.dims, [1, 25, 13, 13]);
      const tiny = ref.faceapi.nets.tinyFaceDetector as unknown as { forward(x: unknown, inputSize: number): Promise<Tensorish> };
      const theirs = await runReference(image, size, async (x) => {
        const nhwc = await tiny.forward(x, 416);
        const nchw = ref.tf.transpose(nhwc as never, [0, 3, 1, 2]) as unknown as Tensorish;
        nhwc.dispose();
        return nchw;
      });
      const diff = maxDiff(ours.data as Float32Array, theirs);
      console.log(`# tiny_face_detector ${size}²: max |diff| ${diff.toExponential(2)}`);
      assert.ok(diff <= TOLERANCE, `max difference ${diff}`);
    });
  }

  for (const size of [512, 1280]) {
    it(`when ssd_mobilenetv1 runs on ${size}² then its raw predictions decode to face-api's boxes and scores within ${TOLERANCE}`, async () => {
      const image = await region(size === 512 ? 250 : 0, size === 512 ? 200 : 0, size);
      const out = await runOnnx('ssd_mobilenetv1', image, size);
      const [enc, cls, anchors] = [out.box_encodings, out.class_predictions, out.anchors];
      assert.ok(enc && cls && anchors);
      assert.deepEqual(enc.dims, [1, 5118, 4]);
      assert.deepEqual(cls.dims, [1, 5118, 3]);
      assert.deepEqual(anchors.dims, [5118, 4]);
      const { boxes, scores } = decodeSsd(enc.data as Float32Array, cls.data as Float32Array, anchors.data as Float32Array);

      const ssd = ref.faceapi.nets.ssdMobilenetv1 as unknown as { forwardInput(input: unknown): { boxes: Tensorish[]; scores: Tensorish[] } };
      const x = ref.tf.tensor4d(image, [1, size, size, 3]);
      const result = ssd.forwardInput(await ref.faceapi.toNetInput(x as never));
      const [refBoxes, refScores] = [Float32Array.from(result.boxes[0]!.dataSync()), Float32Array.from(result.scores[0]!.dataSync())];
      [...result.boxes, ...result.scores].forEach((t) => t.dispose());
      x.dispose();

      const boxDiff = maxDiff(boxes, refBoxes);
      const scoreDiff = maxDiff(scores, refScores);
      console.log(`# ssd_mobilenetv1 ${size}²: boxes max |diff| ${boxDiff.toExponential(2)}, scores ${scoreDiff.toExponential(2)}, best score ${Math.max(...refScores).toFixed(3)}`);
      assert.ok(boxDiff <= TOLERANCE && scoreDiff <= TOLERANCE, `boxes ${boxDiff}, scores ${scoreDiff}`);
    });
  }
});

/** face-api's ssdMobilenetv1/outputLayer.ts in plain TypeScript: boxes [ymin,xmin,ymax,xmax], score = sigmoid(class 1). */
function decodeSsd(enc: Float32Array, cls: Float32Array, anchors: Float32Array): { boxes: Float64Array; scores: Float64Array } {
  const n = anchors.length / 4;
  const boxes = new Float64Array(n * 4);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [y0, x0, y1, x1] = [anchors[4 * i]!, anchors[4 * i + 1]!, anchors[4 * i + 2]!, anchors[4 * i + 3]!];
    const [h, w] = [y1 - y0, x1 - x0];
    const [cy, cx] = [enc[4 * i]! / 10 * h + y0 + h / 2, enc[4 * i + 1]! / 10 * w + x0 + w / 2];
    const [hh, hw] = [Math.exp(enc[4 * i + 2]! / 5) * h / 2, Math.exp(enc[4 * i + 3]! / 5) * w / 2];
    boxes.set([cy - hh, cx - hw, cy + hh, cx + hw], 4 * i);
    scores[i] = 1 / (1 + Math.exp(-cls[3 * i + 1]!));
  }
  return { boxes, scores };
}
