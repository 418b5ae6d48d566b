/**
 * The per-image pipeline, step for step as face-api's
 * `detectAllFaces(img, options).withFaceLandmarks().withFaceDescriptors().withFaceExpressions()`:
 * detect on the whole image, landmarks on the clipped detection box, descriptor on the dlib
 * alignment rectangle, expressions and age/gender on the landmarks' box grown by 20%. Then each face is named
 * against the gallery.
 */
import { clipAndFloor, dlibAlignRect, expressionRect, type Point } from './align.ts';
import { placeOnCanvas } from './canvas.ts';
import type { Detection } from './detectTiny.ts';
import { toAgeGender, type AgeGender, type Gender } from './ageGender.ts';
import { toExpressions, type Expressions } from './expressions.ts';
import { AMBIGUOUS, matchFace, type Gallery, type MatchOptions } from './gallery.ts';
import type { RgbImage } from './image.ts';
import { decodeLandmarks } from './landmarks.ts';
import type { Box } from './nms.ts';
import { detectAtScales, type DetectorName } from './scalePasses.ts';
import { runSquare, type Sessions } from './sessions.ts';
import { cropPadCentred } from './tensors.ts';

export type { DetectorName };

/** One face as the pipeline sees it, before naming. Coordinates in original image pixels. */
export interface AnalysedFace {
  box: Box;
  score: number;
  landmarks: Point[];
  descriptor: number[];
  expressions: Expressions;
  /** Estimated age in years. */
  age: number;
  gender: Gender;
  genderProbability: number;
}

/** One face in a recognition result. */
export interface RecognizedFace extends AnalysedFace {
  /** The gallery subject's name, or `unknown`. */
  label: string;
  /** Mean distance to that subject's examples (to the nearest subject when `unknown`). */
  distance: number;
  /** The nearest other subject (the second nearest when `unknown`) and its distance; null with fewer than two subjects. */
  runnerUp: { label: string; distance: number } | null;
  /** Named, and the runner-up is within the ambiguity margin of the nearest subject. */
  ambiguous: boolean;
}

export interface RecognitionResult {
  /** The oriented image size (before any shrink-on-load). */
  width: number;
  height: number;
  faces: RecognizedFace[];
}

/** What the pipeline needs besides the image. */
export interface PipelineContext {
  sessions: Sessions;
}

/**
 * Detects every face and computes its landmarks, descriptor, expressions, age and gender. Faces whose crop is
 * empty (a box wholly outside the image) are dropped, as face-api does. Coordinates are mapped back
 * to the original image size when the image was shrunk on load.
 */
export async function analyseImage(ctx: PipelineContext, image: RgbImage, detector: DetectorName): Promise<AnalysedFace[]> {
  return (await runPipeline(ctx, image, detector, true)) as AnalysedFace[];
}

/**
 * The pipeline without the expression net (detect, landmarks, descriptor): what the benchmark
 * compares with the reference. `expressions`, age and gender are left out of each face.
 */
export async function describeImage(ctx: PipelineContext, image: RgbImage, detector: DetectorName): Promise<Omit<AnalysedFace, Attribute>[]> {
  return runPipeline(ctx, image, detector, false);
}

/** What the face crop of the expression net also gives: expressions, age and gender. */
type Attribute = 'expressions' | keyof AgeGender;
type PipelineFace = Omit<AnalysedFace, Attribute> & Partial<Pick<AnalysedFace, Attribute>>;

async function runPipeline(ctx: PipelineContext, image: RgbImage, detector: DetectorName, withExpressions: boolean): Promise<PipelineFace[]> {
  const { detections, reference } = await detectAtScales(ctx.sessions, image, detector);
  const faces: PipelineFace[] = [];
  if (reference) {
    for (const detection of detections) {
      const face = await analyseFace(ctx, image, detection, withExpressions);
      if (face) faces.push(scaleToOriginal(image, face));
    }
    return faces;
  }
  // Faces found by the scale passes are often cut by the photo's edge: crop them from a canvas
  // with room around the photo, so each crop holds the whole box (the outside reads as grey).
  const placed = placeOnCanvas(image, image.width + 2 * overhang(detections, image), image.height + 2 * overhang(detections, image));
  for (const detection of detections) {
    const shifted = { score: detection.score, box: { ...detection.box, x: detection.box.x + placed.offsetX, y: detection.box.y + placed.offsetY } };
    const face = await analyseFace(ctx, placed.image, shifted, withExpressions);
    if (!face) continue;
    const box = clipToImage(detection.box, image.width, image.height);
    if (!box) continue;
    faces.push(scaleToOriginal(image, { ...face, box, landmarks: face.landmarks.map((p) => ({ x: p.x - placed.offsetX, y: p.y - placed.offsetY })) }));
  }
  return faces;
}

/** How far (in pixels) any detection, grown by half its size on each side, reaches past the image. */
function overhang(detections: readonly Detection[], image: Pick<RgbImage, 'width' | 'height'>): number {
  let most = 0;
  for (const { box } of detections) {
    const grow = Math.max(box.width, box.height) / 2;
    most = Math.max(most, -(box.x - grow), -(box.y - grow), box.x + box.width + grow - image.width, box.y + box.height + grow - image.height);
  }
  return Math.ceil(most);
}

/** `box` clipped to the image; undefined when nothing of it is inside. */
function clipToImage(box: Box, width: number, height: number): Box | undefined {
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  const w = Math.min(width, box.x + box.width) - x;
  const h = Math.min(height, box.y + box.height) - y;
  return w > 0 && h > 0 ? { x, y, width: w, height: h } : undefined;
}

/** A face in decoded-image pixels mapped to the original image (when it was shrunk on load). */
function scaleToOriginal<T extends PipelineFace>(image: RgbImage, face: T): T {
  const sx = image.originalWidth / image.width;
  const sy = image.originalHeight / image.height;
  if (sx === 1 && sy === 1) return face;
  const { box } = face;
  return { ...face, box: { x: box.x * sx, y: box.y * sy, width: box.width * sx, height: box.height * sy }, landmarks: face.landmarks.map((p) => ({ x: p.x * sx, y: p.y * sy })) };
}

async function analyseFace(
  ctx: PipelineContext,
  image: RgbImage,
  detection: Detection,
  withExpressions: boolean,
): Promise<PipelineFace | undefined> {
  const { width, height } = image;
  const landmarkCrop = clipAndFloor(detection.box, width, height);
  if (!landmarkCrop) return undefined;
  const landmarkInput = cropPadCentred(image, landmarkCrop);
  const landmarkOut = await runSquare(ctx.sessions.face_landmark_68, landmarkInput.data, landmarkInput.size);
  const points = decodeLandmarks(required(landmarkOut, 'landmarks'), landmarkCrop, detection.box);

  const alignCrop = clipAndFloor(dlibAlignRect(points, landmarkCrop.width, landmarkCrop.height), width, height);
  const expressionCrop = clipAndFloor(expressionRect(points), width, height);
  if (!alignCrop || !expressionCrop) return undefined;
  const alignInput = cropPadCentred(image, alignCrop);
  const descriptorOut = await runSquare(ctx.sessions.face_recognition, alignInput.data, alignInput.size);
  let attributes: Pick<AnalysedFace, Attribute> | undefined;
  if (withExpressions) {
    const expressionInput = cropPadCentred(image, expressionCrop);
    const expressionOut = await runSquare(ctx.sessions.face_expression, expressionInput.data, expressionInput.size);
    const ageGenderOut = await runSquare(ctx.sessions.age_gender, expressionInput.data, expressionInput.size);
    attributes = { expressions: toExpressions(required(expressionOut, 'expressions')), ...toAgeGender(required(ageGenderOut, 'age'), required(ageGenderOut, 'gender')) };
  }

  return {
    box: { ...detection.box },
    score: detection.score,
    landmarks: points,
    descriptor: Array.from(required(descriptorOut, 'descriptor')),
    ...attributes,
  };
}

/** Names each analysed face against `gallery` (threshold default: the gallery's, else 0.6). */
export function nameFaces(faces: AnalysedFace[], gallery: Gallery, options: MatchOptions = {}): RecognizedFace[] {
  return faces.map((face) => {
    const match = matchFace(face.descriptor, gallery, options);
    return { ...face, label: match.label, distance: match.distance, runnerUp: match.runnerUp, ambiguous: match.ambiguous };
  });
}

/**
 * The label of the largest face (by box area), or `no-face` when there is none. With
 * `ambiguousLabel`, an ambiguous largest face answers `ambiguous` instead of the nearest name.
 */
export function classicLabel(result: Pick<RecognitionResult, 'faces'>, options: { ambiguousLabel?: boolean } = {}): string {
  const largest = largestFace(result.faces as ReadonlyArray<Pick<RecognizedFace, 'box' | 'label'> & Partial<Pick<RecognizedFace, 'ambiguous'>>>);
  if (!largest) return 'no-face';
  return options.ambiguousLabel && largest.ambiguous ? AMBIGUOUS : largest.label;
}

/** The face with the largest box area, or undefined. */
export function largestFace<T extends { box: Box }>(faces: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const face of faces) {
    if (!best || face.box.width * face.box.height > best.box.width * best.box.height) best = face;
  }
  return best;
}

function required(out: Record<string, Float32Array>, name: string): Float32Array {
  const value = out[name];
  if (!value) throw new Error(`model output '${name}' is missing (outputs: ${Object.keys(out).join(', ')})`);
  return value;
}
