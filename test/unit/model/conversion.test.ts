/** The conversion build: weights decoding, TF padding, the manifest contract and ensureModels' staleness rules. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { BUILDER_VERSION, ensureModels, faceApiWeightsDir } from '../../../model/build/buildModels.ts';
import type { BuildReport } from '../../../model/build/buildModels.ts';
import { NET_NAMES } from '../../../model/build/manifest.ts';
import type { Manifest } from '../../../model/build/manifest.ts';
import { hwioToOihw, tfPads } from '../../../model/build/onnxGraph.ts';
import { readWeights } from '../../../model/build/weights.ts';

const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'model', 'onnx');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('given the face-api weight files', () => {
  it('when the tiny detector is read then every tensor is dequantized as q*scale+min', async () => {
    const dir = faceApiWeightsDir();
    const w = await readWeights(dir, 'tiny_face_detector_model');
    const manifest = JSON.parse(await readFile(path.join(dir, 'tiny_face_detector_model-weights_manifest.json'), 'utf8')) as [{ weights: { name: string; quantization: { scale: number; min: number } }[] }];
    const bin = await readFile(path.join(dir, 'tiny_face_detector_model.bin'));
    const first = manifest[0].weights[0]!;
    const t = w.get(first.name, [3, 3, 3, 16]);
    assert.equal(t.data[5], Math.fround(bin[5]! * first.quantization.scale + first.quantization.min));
    assert.equal(w.tensors.size, 19);
  });

  it('when the expression model is read then its plain float32 biases come through unchanged in size', async () => {
    const w = await readWeights(faceApiWeightsDir(), 'face_expression_model');
    assert.equal(w.get('fc/bias', [7]).data.length, 7);
    assert.throws(() => w.get('no/such/tensor'), /no tensor named/);
  });
});

describe('given TF padding rules', () => {
  it('when a stride-2 3×3 conv meets an even input then the extra pixel goes bottom/right', () => {
    assert.deepEqual(tfPads('same', 112, 112, 3, 2), [0, 0, 1, 1]);
    assert.deepEqual(tfPads('same', 207, 207, 2, 2), [0, 0, 1, 1]);
    assert.deepEqual(tfPads('same', 13, 13, 2, 1), [0, 0, 1, 1]);
    assert.deepEqual(tfPads('same', 56, 56, 3, 1), [1, 1, 1, 1]);
    assert.deepEqual(tfPads('valid', 150, 150, 7, 2), [0, 0, 0, 0]);
  });

  it('when an HWIO filter is permuted then element [h,w,i,o] lands at [o,i,h,w]', () => {
    const data = Float32Array.from({ length: 2 * 2 * 3 * 4 }, (_, i) => i);
    const { data: out, dims } = hwioToOihw({ name: 'f', shape: [2, 2, 3, 4], dtype: 'float32', data });
    assert.deepEqual(dims, [4, 3, 2, 2]);
    const [h, w, i, o] = [1, 0, 2, 3];
    assert.equal(out[((o * 3 + i) * 2 + h) * 2 + w], data[((h * 2 + w) * 3 + i) * 4 + o]);
  });
});

describe('given the built models', () => {
  let manifest: Manifest;
  before(async () => {
    manifest = await ensureModels(MODEL_DIR);
  });

  it('when the manifest is read then it lists every net with the input contract and matching hashes', async () => {
    assert.equal(manifest.version, BUILDER_VERSION);
    assert.equal(manifest.builtFrom.package, '@vladmandic/face-api');
    assert.ok(Object.keys(manifest.builtFrom.weightsSha256).some((f) => f.endsWith('.bin')));
    assert.deepEqual(Object.keys(manifest.nets).sort(), [...NET_NAMES].sort());
    const expected = { face_recognition: [150, 'centre'], face_landmark_68: [112, 'centre'], face_expression: [112, 'centre'], age_gender: [112, 'centre'], tiny_face_detector: [416, 'bottom-right'], tiny_face_detector_96: [96, 'bottom-right'], tiny_face_detector_160: [160, 'bottom-right'], ssd_mobilenetv1: [512, 'bottom-right'] } as const;
    for (const name of NET_NAMES) {
      const net = manifest.nets[name];
      assert.equal(net.file, `${name}.onnx`);
      assert.equal(sha256(await readFile(path.join(MODEL_DIR, net.file))), net.sha256, `${name} hash`);
      assert.deepEqual(net.input.shape, [1, 'S', 'S', 3]);
      assert.equal(net.input.name, 'image');
      assert.deepEqual([net.input.netSize, net.input.padding], expected[name]);
    }
    assert.deepEqual(manifest.nets.tiny_face_detector.input.mean, [117.001, 114.697, 97.404]);
    assert.deepEqual(manifest.nets.ssd_mobilenetv1.input.mean, [127.5, 127.5, 127.5]);
    assert.equal(manifest.nets.ssd_mobilenetv1.input.divisor, 127.5);
  });

  it('when a session opens each file then its input and output names are the manifest\'s', async () => {
    for (const name of NET_NAMES) {
      const net = manifest.nets[name];
      const s = await ort.InferenceSession.create(path.join(MODEL_DIR, net.file));
      assert.deepEqual(s.inputNames, ['image']);
      assert.deepEqual([...s.outputNames].sort(), net.outputs.map((o) => o.name).sort(), name);
      await s.release();
    }
  });

  it('when ensureModels runs again then nothing is rebuilt or rewritten', async () => {
    const before = await stat(path.join(MODEL_DIR, 'manifest.json'));
    const built: BuildReport[] = [];
    const t0 = performance.now();
    const again = await ensureModels(MODEL_DIR, { onBuilt: (r) => built.push(r) });
    const ms = performance.now() - t0;
    assert.deepEqual(built, []);
    assert.deepEqual(again, manifest);
    assert.equal((await stat(path.join(MODEL_DIR, 'manifest.json'))).mtimeMs, before.mtimeMs);
    console.log(`# up-to-date check: ${ms.toFixed(0)} ms`);
  });
});

describe('given a copy of the built models', () => {
  let dir: string;
  before(async () => {
    await ensureModels(MODEL_DIR);
    dir = await mkdtemp(path.join(os.tmpdir(), 'facefleet-models-'));
    await cp(MODEL_DIR, dir, { recursive: true });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when one .onnx file is corrupted then only that net is rebuilt', async () => {
    await writeFile(path.join(dir, 'tiny_face_detector.onnx'), 'garbage');
    const built: BuildReport[] = [];
    const m = await ensureModels(dir, { onBuilt: (r) => built.push(r) });
    assert.deepEqual(built.map((b) => b.net), ['tiny_face_detector']);
    assert.equal(sha256(await readFile(path.join(dir, 'tiny_face_detector.onnx'))), m.nets.tiny_face_detector.sha256);
  });

  it('when the manifest records another builder version then every net is rebuilt', async () => {
    const file = path.join(dir, 'manifest.json');
    const old = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    await writeFile(file, JSON.stringify({ ...old, version: 'older' }));
    const built: BuildReport[] = [];
    const m = await ensureModels(dir, { onBuilt: (r) => built.push(r) });
    assert.equal(built.length, NET_NAMES.length);
    assert.equal(m.version, BUILDER_VERSION);
  });

  it('when a weights hash in the manifest differs then the nets built from that file are rebuilt', async () => {
    const file = path.join(dir, 'manifest.json');
    const old = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    const weightsSha256 = { ...old.builtFrom.weightsSha256, 'face_landmark_68_model.bin': '0'.repeat(64) };
    await writeFile(file, JSON.stringify({ ...old, builtFrom: { ...old.builtFrom, weightsSha256 } }));
    const built: BuildReport[] = [];
    await ensureModels(dir, { onBuilt: (r) => built.push(r) });
    assert.deepEqual(built.map((b) => b.net), ['face_landmark_68']);
  });
});
