/**
 * Real face photos made from the six demo photos shipped with @vladmandic/face-api: every face
 * (as the reference SSD pass finds it) cut out tightly, as close-ups and as the course's small face
 * photos are. Deterministic (a seeded generator), so a failing crop can be named and made again.
 *
 * - `enrolment`: one per face, margin 25 % of the box, the photo's own resolution, upright.
 * - `queries`: margins 0–30 %, scaled 0.6–1.4× or down to 64×64 or 32×32, tilted up to ±10°,
 *   re-saved at JPEG quality 50 or 90, centre jittered; plus crops whose face is cut by the frame
 *   edge (a quarter of the box outside).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { loadModel, type Box } from '../../model/index.ts';

const require = createRequire(import.meta.url);
export const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
export const DEMO_SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => `sample${i}`);

export interface FaceCrop {
  /** A file stem that says how it was made, e.g. `sample2-face3-m10-64px-t-4-q50`. */
  stem: string;
  /** The face it shows: `<sample>-face<i>`. */
  subject: string;
  /** JPEG bytes. */
  bytes: Buffer;
  /** How it was made. */
  margin: number;
  /** Output side in pixels when resized to a fixed size (64, 32), else undefined (scaled). */
  size?: number;
  tilt: number;
  quality: number;
  /** True when part of the face lies outside the frame. */
  cut: boolean;
}

export interface DemoFace {
  subject: string;
  sample: string;
  box: Box;
}

export interface FaceCropSet {
  faces: DemoFace[];
  enrolment: FaceCrop[];
  queries: FaceCrop[];
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface CropSpec {
  margin: number;
  /** Shift of the crop centre, in box sides. */
  shiftX: number;
  shiftY: number;
  tilt: number;
  /** Fixed output side, or a scale factor of the crop. */
  size?: number;
  scale?: number;
  quality: number;
  cut: boolean;
}

/** Cuts one crop of `face` out of the photo `bytes` (`width`×`height`). */
async function cut(bytes: Buffer, width: number, height: number, face: DemoFace, spec: CropSpec): Promise<Buffer> {
  const side = Math.max(face.box.width, face.box.height) * (1 + 2 * spec.margin);
  const cx = face.box.x + face.box.width / 2 + spec.shiftX * face.box.width;
  const cy = face.box.y + face.box.height / 2 + spec.shiftY * face.box.height;
  // Rotate a region twice the crop's side about the face, then take the centred square: a tilted
  // tight crop with photo (not fill) in its corners wherever the photo has it.
  const region = Math.ceil(side * 2);
  const left = Math.round(cx - region / 2);
  const top = Math.round(cy - region / 2);
  const l = Math.max(0, left);
  const t = Math.max(0, top);
  const r = Math.min(width, left + region);
  const b = Math.min(height, top + region);
  let img = await sharp(bytes).extract({ left: l, top: t, width: r - l, height: b - t }).extend({
    left: l - left, top: t - top, right: left + region - r, bottom: top + region - b, background: { r: 128, g: 128, b: 128 },
  }).toBuffer();
  let rotatedSide = region;
  if (spec.tilt !== 0) {
    img = await sharp(img).rotate(spec.tilt, { background: { r: 128, g: 128, b: 128 } }).toBuffer();
    rotatedSide = (await sharp(img).metadata()).width ?? region;
  }
  const s = Math.round(side);
  const off = Math.round((rotatedSide - s) / 2);
  let pipeline = sharp(img).extract({ left: off, top: off, width: s, height: s });
  if (spec.size) pipeline = sharp(await pipeline.toBuffer()).resize(spec.size, spec.size, { kernel: 'lanczos3' });
  else if (spec.scale && spec.scale !== 1) pipeline = sharp(await pipeline.toBuffer()).resize(Math.max(8, Math.round(s * spec.scale)));
  return pipeline.jpeg({ quality: spec.quality }).toBuffer();
}

function stemOf(subject: string, spec: CropSpec): string {
  const size = spec.size ? `${spec.size}px` : `x${(spec.scale ?? 1).toFixed(1)}`;
  return `${subject}-m${Math.round(spec.margin * 100)}-${size}-t${Math.round(spec.tilt)}-q${spec.quality}${spec.cut ? '-cut' : ''}`;
}

/**
 * `count` course-style face photos: 64×64 JPEGs, each one face filling most of the frame (margin
 * 0–30 % of the box, tilted up to ±10°, JPEG quality 50 or 90), the faces taken in turn.
 */
export async function makeCourseCrops(count: number, seed = 23): Promise<FaceCrop[]> {
  const random = seeded(seed);
  const set = await faceBoxes();
  const crops: FaceCrop[] = [];
  for (let k = 0; k < count; k++) {
    const face = set[k % set.length] as DemoFace & { bytes: Buffer; width: number; height: number };
    const jitter = (): number => (random() - 0.5) * 0.1;
    const spec: CropSpec = { margin: Math.round(random() * 30) / 100, shiftX: jitter(), shiftY: jitter(), tilt: Math.round((random() * 2 - 1) * 10), size: 64, quality: random() < 0.5 ? 50 : 90, cut: false };
    crops.push({ stem: stemOf(face.subject, spec), subject: face.subject, bytes: await cut(face.bytes, face.width, face.height, face, spec), margin: spec.margin, size: 64, tilt: spec.tilt, quality: spec.quality, cut: false });
  }
  return crops;
}

/** Every face of the six demo photos as the reference pass finds it, with its photo. */
async function faceBoxes(): Promise<Array<DemoFace & { bytes: Buffer; width: number; height: number }>> {
  const model = await loadModel();
  const faces: Array<DemoFace & { bytes: Buffer; width: number; height: number }> = [];
  for (const sample of DEMO_SAMPLES) {
    const bytes = await readFile(join(demoDir, `${sample}.jpg`));
    const { width = 0, height = 0 } = await sharp(bytes).metadata();
    const { faces: found } = await model.analyse(bytes);
    found.forEach((f, i) => faces.push({ subject: `${sample}-face${i}`, sample, box: f.box, bytes, width, height }));
  }
  return faces;
}

/**
 * Every face of the six demo photos and the crops made of them: 13 queries per face (four margins
 * × three sizes, plus one cut by the edge).
 */
export async function makeFaceCrops(seed = 11): Promise<FaceCropSet> {
  const random = seeded(seed);
  const faces: DemoFace[] = [];
  const enrolment: FaceCrop[] = [];
  const queries: FaceCrop[] = [];
  for (const { bytes, width, height, ...face } of await faceBoxes()) {
    faces.push(face);
    const add = async (into: FaceCrop[], spec: CropSpec): Promise<void> => {
      into.push({ stem: stemOf(face.subject, spec), subject: face.subject, bytes: await cut(bytes, width, height, face, spec), margin: spec.margin, size: spec.size, tilt: spec.tilt, quality: spec.quality, cut: spec.cut });
    };
    await add(enrolment, { margin: 0.25, shiftX: 0, shiftY: 0, tilt: 0, scale: 1, quality: 90, cut: false });
    for (const margin of [0, 0.1, 0.2, 0.3]) {
      for (const size of [undefined, 64, 32]) {
        const jitter = (): number => (random() - 0.5) * 0.1;
        await add(queries, {
          margin, shiftX: jitter(), shiftY: jitter(), tilt: Math.round((random() * 2 - 1) * 10), size,
          scale: size ? undefined : 0.6 + random() * 0.8, quality: random() < 0.5 ? 50 : 90, cut: false,
        });
      }
    }
    // Cut by the frame: the crop centre moved a quarter of the box to one side.
    const side = random() < 0.5 ? -1 : 1;
    const horizontal = random() < 0.5;
    await add(queries, { margin: 0.1, shiftX: horizontal ? side * 0.45 : 0, shiftY: horizontal ? 0 : side * 0.45, tilt: 0, size: 64, quality: 90, cut: true });
  }
  return { faces, enrolment, queries };
}
