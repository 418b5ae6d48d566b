/**
 * The per-image pipeline, step for step as face-api's
 * `detectAllFaces(img, options).withFaceLandmarks().withFaceDescriptors().withFaceExpressions()`:
 * detect on the whole image, landmarks on the clipped detection box, descriptor on the dlib
 * alignment rectangle, expressions on the landmarks' box grown by 20%. Then each face is named
 * against the gallery.
 */
import { clipAndFloor, dlibAlignRect, expressionRect, type Point } from './align.ts';
import { decodeSsd, SSD_INPUT_SIZE } from './detectSsd.ts';
import { decodeTinyGrid, TINY_INPUT_SIZE, type Detection } from './detectTiny.ts';
import { toExpressions, type Expressions } from './expressions.ts';
import { matchFace, type Gallery } from './gallery.ts';
import type { RgbImage } from './image.ts';
import { decodeLandmarks } from './landmarks.ts';
import type { Box } from './nms.ts';
import { runSquare, type Sessions } from './sessions.ts';
import { loadSsdAnchors } from './ssdAnchors.ts';
import { cropPadCentred, padBottomRightResized } from './tensors.ts';

export type DetectorName = 'ssd' | 'tiny';

/** One face as the pipeline sees it, before naming. Coordinates in original image pixels. */
export interface AnalysedFace {
  box: Box;
  score: number;
  landmarks: Point[];
  descriptor: number[];
  expressions: Expressions;
}

/** One face in a recognition result. */
export interface RecognizedFace extends AnalysedFace {
  /** The gallery subject's name, or `unknown`. */
  label: string;
  /** Mean distance to that subject's examples (to the nearest subject when `unknown`). */
  distance: number;
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

/** Runs the chosen detector on the whole image; boxes in decoded-image pixels. */
export async function detectFaces(ctx: PipelineContext, image: RgbImage, detector: DetectorName): Promise<Detection[]> {
  const input = padBottomRightResized(image, detector === 'tiny' ? TINY_INPUT_SIZE : SSD_INPUT_SIZE);
  switch (detector) {
    case 'tiny': {
      const out = await runSquare(ctx.sessions.tiny_face_detector, input.data, input.size);
      return decodeTinyGrid(required(out, 'grid'), image.width, image.height);
    }
    case 'ssd': {
      const out = await runSquare(ctx.sessions.ssd_mobilenetv1, input.data, input.size);
      // The converter's graph also emits the anchors (a constant); older graphs may not.
      const anchors = out.anchors ?? (await loadSsdAnchors());
      return decodeSsd(required(out, 'box_encodings'), required(out, 'class_predictions'), anchors, image.width, image.height);
    }
    default: {
      const never: never = detector;
      throw new Error(`unknown detector ${String(never)}`);
    }
  }
}

/**
 * Detects every face and computes its landmarks, descriptor and expressions. Faces whose crop is
 * empty (a box wholly outside the image) are dropped, as face-api does. Coordinates are mapped back
 * to the original image size when the image was shrunk on load.
 */
export async function analyseImage(ctx: PipelineContext, image: RgbImage, detector: DetectorName): Promise<AnalysedFace[]> {
  return (await runPipeline(ctx, image, detector, true)) as AnalysedFace[];
}

/**
 * The pipeline without the expression net (detect, landmarks, descriptor): what the benchmark
 * compares with the reference. `expressions` is left out of each face.
 */
export async function describeImage(ctx: PipelineContext, image: RgbImage, detector: DetectorName): Promise<Omit<AnalysedFace, 'expressions'>[]> {
  return runPipeline(ctx, image, detector, false);
}

async function runPipeline(ctx: PipelineContext, image: RgbImage, detector: DetectorName, withExpressions: boolean): Promise<(Omit<AnalysedFace, 'expressions'> & { expressions?: Expressions })[]> {
  const detections = await detectFaces(ctx, image, detector);
  const faces: (Omit<AnalysedFace, 'expressions'> & { expressions?: Expressions })[] = [];
  for (const detection of detections) {
    const face = await analyseFace(ctx, image, detection, withExpressions);
    if (face) faces.push(face);
  }
  return faces;
}

async function analyseFace(
  ctx: PipelineContext,
  image: RgbImage,
  detection: Detection,
  withExpressions: boolean,
): Promise<(Omit<AnalysedFace, 'expressions'> & { expressions?: Expressions }) | undefined> {
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
  let expressions: Expressions | undefined;
  if (withExpressions) {
    const expressionInput = cropPadCentred(image, expressionCrop);
    const expressionOut = await runSquare(ctx.sessions.face_expression, expressionInput.data, expressionInput.size);
    expressions = toExpressions(required(expressionOut, 'expressions'));
  }

  const sx = image.originalWidth / width;
  const sy = image.originalHeight / height;
  const { box } = detection;
  return {
    box: sx === 1 && sy === 1 ? { ...box } : { x: box.x * sx, y: box.y * sy, width: box.width * sx, height: box.height * sy },
    score: detection.score,
    landmarks: sx === 1 && sy === 1 ? points : points.map((p) => ({ x: p.x * sx, y: p.y * sy })),
    descriptor: Array.from(required(descriptorOut, 'descriptor')),
    ...(expressions ? { expressions } : {}),
  };
}

/** Names each analysed face against `gallery` with `threshold` (default: the gallery's, else 0.6). */
export function nameFaces(faces: AnalysedFace[], gallery: Gallery, threshold?: number): RecognizedFace[] {
  return faces.map((face) => {
    const match = matchFace(face.descriptor, gallery, threshold ?? gallery.threshold);
    return { ...face, label: match.label, distance: match.distance };
  });
}

/** The label of the largest face (by box area), or `no-face` when there is none. */
export function classicLabel(result: Pick<RecognitionResult, 'faces'>): string {
  const largest = largestFace(result.faces);
  return largest ? largest.label : 'no-face';
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
