/**
 * Model benchmark: ours (onnxruntime-node) against the reference (face-api on tfjs-wasm) in the
 * same run, on face-api's six demo photos.
 *
 *   npm run bench:model            (tsx test/bench/modelBench.ts [--rounds n] [--ref-rounds n])
 *
 * Prints, per detector, the latency of detect + landmarks + descriptor per photo (p50 / p95) and
 * photos/s for both, with the speed-up; the recognition net alone per face; and, from a child
 * process that loads only our model, the load time and the peak RSS after all six photos went
 * through both detectors. Targets: ≥ 3× faster per photo, < 400 MB RSS, load < 1 s.
 *
 * Then small face photos (faces at every scale): 64×64 crops of the demo faces through the whole
 * pipeline (decode + detect + landmarks + descriptor + expressions), against one 512×512 SSD pass on
 * the same photos (what finding their faces would cost without the small passes); target p50 ≤ 25 ms.
 * And how many of the crop sets' faces are found and named (test/support/faceCrops.ts).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { clipAndFloor } from '../../model/align.ts';
import { decodeImage, type RgbImage } from '../../model/image.ts';
import { loadModel } from '../../model/index.ts';
import { describeImage, type DetectorName } from '../../model/recognize.ts';
import { loadSessions, resolveThreads, runSquare } from '../../model/sessions.ts';
import { cropPadCentred, type PixelRect } from '../../model/tensors.ts';
import { runPass } from '../../model/scalePasses.ts';
import { addExample, addSubject, classicLabel, emptyGallery, type Gallery } from '../../model/index.ts';
import { makeCourseCrops, makeFaceCrops, type FaceCrop } from '../support/faceCrops.ts';

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => join(demoDir, `sample${i}.jpg`));
const DETECTORS: DetectorName[] = ['ssd', 'tiny'];
const TARGETS = { speedup: 3, rssMb: 400, loadMs: 1000 };

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};

interface Timing { p50: number; p95: number; perSecond: number; n: number }

async function time(rounds: number, items: number, run: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < items; i++) await run(i); // warm-up
  const samples: number[] = [];
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < items; i++) {
      const t = performance.now();
      await run(i);
      samples.push(performance.now() - t);
    }
  }
  const total = (performance.now() - started) / 1000;
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), perSecond: samples.length / total, n: samples.length };
}

/** Child mode: load only our model, run every photo through both detectors, report load time and peak RSS. */
async function child(): Promise<void> {
  const model = await loadModel();
  for (const file of SAMPLES) {
    const bytes = await readFile(file);
    for (const detector of DETECTORS) await model.recognize(bytes, { version: 1, subjects: [] }, { detector });
  }
  process.stdout.write(JSON.stringify({ loadTimeMs: model.loadTimeMs, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { child: { type: 'boolean' }, rounds: { type: 'string' }, 'ref-rounds': { type: 'string' } } });
  if (values.child) return child();
  const rounds = Number(values.rounds ?? 5);
  const refRounds = Number(values['ref-rounds'] ?? 2);

  // 1. A fresh process with only our model: load time and peak RSS.
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', self, '--child'], { env: process.env });
  const childReport = JSON.parse(stdout.trim().split('\n').pop() as string) as { loadTimeMs: number; maxRssMb: number };

  // 2. Latency, ours and the reference in this process on the same decoded tensors.
  const images: RgbImage[] = [];
  for (const file of SAMPLES) images.push(await decodeImage(await readFile(file)));
  const sessions = await loadSessions();
  const ctx = { sessions };
  const { loadReference, referenceDescribe } = await import('../unit/model/referencePipeline.ts');
  const ref = await loadReference();

  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const detector of DETECTORS) {
    const ours = await time(rounds, images.length, (i) => describeImage(ctx, images[i] as RgbImage, detector));
    const theirs = await time(refRounds, images.length, (i) => referenceDescribe(ref, images[i] as RgbImage, detector));
    const speedup = theirs.p50 / ours.p50;
    rows.push([`${detector}: detect+landmarks+descriptor / photo`, ms(ours.p50), ms(ours.p95), ours.perSecond.toFixed(2), ms(theirs.p50), ms(theirs.p95), theirs.perSecond.toFixed(2), `${speedup.toFixed(1)}×`]);
    verdicts.push(`${detector} speed-up ${speedup.toFixed(1)}× (target ≥ ${TARGETS.speedup}×): ${speedup >= TARGETS.speedup ? 'ok' : 'MISSED'}`);
  }

  // 3. The recognition net alone, per face (crop = the detection box, padded centred; the graph and face-api both resize to 150).
  const crops: { image: RgbImage; rect: PixelRect }[] = [];
  for (const image of images) {
    for (const face of await describeImage(ctx, image, 'ssd')) {
      const rect = clipAndFloor(face.box, image.width, image.height);
      if (rect) crops.push({ image, rect });
    }
  }
  const ourCrops = crops.map(({ image, rect }) => cropPadCentred(image, rect));
  const refCrops = crops.map(({ image, rect }) => {
    const data = new Int32Array(rect.width * rect.height * 3);
    for (let y = 0; y < rect.height; y++) for (let x = 0; x < rect.width * 3; x++) data[y * rect.width * 3 + x] = image.data[((rect.y + y) * image.width + rect.x) * 3 + x] as number;
    return ref.tf.tensor3d(data, [rect.height, rect.width, 3], 'int32');
  });
  const ours = await time(rounds, ourCrops.length, (i) => runSquare(sessions.face_recognition, ourCrops[i]!.data, ourCrops[i]!.size));
  const theirs = await time(refRounds, refCrops.length, (i) => ref.faceapi.computeFaceDescriptor(refCrops[i] as never));
  refCrops.forEach((t) => t.dispose());
  rows.push(['recognition net alone / face', ms(ours.p50), ms(ours.p95), ours.perSecond.toFixed(1), ms(theirs.p50), ms(theirs.p95), theirs.perSecond.toFixed(1), `${(theirs.p50 / ours.p50).toFixed(1)}×`]);

  verdicts.push(`peak RSS, all nets loaded, 6 photos × 2 detectors: ${childReport.maxRssMb.toFixed(0)} MB (target < ${TARGETS.rssMb}): ${childReport.maxRssMb < TARGETS.rssMb ? 'ok' : 'MISSED'}`);
  verdicts.push(`model load time (fresh process, 5 sessions): ${childReport.loadTimeMs.toFixed(0)} ms (target < ${TARGETS.loadMs}): ${childReport.loadTimeMs < TARGETS.loadMs ? 'ok' : 'MISSED'}`);

  // 4. Small face photos: the whole pipeline on 64×64 crops, against one 512×512 SSD pass.
  const model = await loadModel();
  const small = (await makeCourseCrops(44)).map((c) => c.bytes);
  const smallImages = await Promise.all(small.map((b) => decodeImage(b, { minSide: 160 })));
  const pipeline = await time(rounds, small.length, (i) => model.analyse(small[i] as Uint8Array));
  const ssdPass = await time(rounds, smallImages.length, (i) => runPass(sessions, smallImages[i] as RgbImage, { net: 'ssd_mobilenetv1', canvas: 4, minScore: 0.5 }));
  verdicts.push(
    `64×64 face photo, whole pipeline (decode, detect, landmarks, descriptor, expressions) p50 ${ms(pipeline.p50)} p95 ${ms(pipeline.p95)} (target p50 ≤ 25 ms, one thread): ${pipeline.p50 <= 25 ? 'ok' : 'MISSED'}` +
      `; one 512×512 SSD pass alone on the same photos: p50 ${ms(ssdPass.p50)} (${(ssdPass.p50 / pipeline.p50).toFixed(1)}× the whole pipeline)`,
  );

  // 5. Found and named on the crop sets: one tight crop of each face enrolled, the other crops queried.
  const set = await makeFaceCrops();
  let gallery: Gallery = emptyGallery();
  for (const crop of set.enrolment) {
    const face = await model.enrolFace(crop.bytes);
    gallery = addExample(addSubject(gallery, { id: crop.subject, name: crop.subject }), crop.subject, { descriptor: face.descriptor });
  }
  const score = async (crops: readonly FaceCrop[]): Promise<string> => {
    let found = 0;
    let named = 0;
    for (const crop of crops) {
      const label = classicLabel(await model.recognize(crop.bytes, gallery));
      if (label !== 'no-face') found += 1;
      if (label === crop.subject) named += 1;
    }
    return `found ${found}/${crops.length}, named ${named}/${crops.length}`;
  };
  const accuracy = [
    `close-ups (margin 0–30 %, 0.6–1.4×, ±10°, q50/q90): ${await score(set.queries.filter((c) => c.size === undefined && !c.cut))}`,
    `64×64: ${await score(set.queries.filter((c) => c.size === 64 && !c.cut))}`,
    `64×64 with a quarter of the face outside the frame: ${await score(set.queries.filter((c) => c.cut))}`,
    `32×32: ${await score(set.queries.filter((c) => c.size === 32))}`,
  ];

  const header = ['', 'ours p50', 'ours p95', 'ours /s', 'ref p50', 'ref p95', 'ref /s', 'speed-up'];
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ');
  console.log(`facefleet model bench — ${SAMPLES.length} photos (${images.map((i) => `${i.width}×${i.height}`)[0]}…), ours: onnxruntime-node ${resolveThreads()} thread(s), ${rounds} rounds; reference: face-api on tfjs-wasm, ${refRounds} rounds; ${crops.length} faces`);
  console.log(line(table[0] as string[]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const v of verdicts) console.log(`  ${v}`);
  console.log('');
  console.log(`faces at every scale — ${set.enrolment.length} faces, one crop each enrolled:`);
  for (const a of accuracy) console.log(`  ${a}`);
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

await main();
