/**
 * The model's public API: load the networks once, then recognise faces in image bytes against a
 * gallery. Everything here is in-process and stateless between calls (the gallery is passed in).
 *
 *   const model = await loadModel();
 *   const result = await model.recognize(bytes, gallery, { detector: 'ssd' });
 *   classicLabel(result); // the largest face's name, 'unknown' or 'no-face'
 */
import { NoFaceFound } from './errors.ts';
import { decodeImage, SMALL_PHOTO_SIDE, type DecodeOptions } from './image.ts';
import { analyseImage, largestFace, nameFaces, type AnalysedFace, type DetectorName, type RecognitionResult } from './recognize.ts';
import { loadSessions, type SessionOptions } from './sessions.ts';
import type { Gallery } from './gallery.ts';
import type { Box } from './nms.ts';

export { InvalidImage, ImageTooLarge, NoFaceFound, isModelInputError, type ModelInputError } from './errors.ts';
export { addExample, addSubject, emptyGallery, matchFace, parseGallery, removeExample, removeSubject, AMBIGUOUS, DEFAULT_AMBIGUITY_MARGIN, DEFAULT_THRESHOLD, UNKNOWN } from './gallery.ts';
export type { FaceMatch, Gallery, GalleryExample, GallerySubject, MatchOptions } from './gallery.ts';
export { classicLabel } from './recognize.ts';
export { verifyFaces, type VerificationResult, type VerifySide, type VerifyTarget } from './verify.ts';
export type { AnalysedFace, DetectorName, RecognitionResult, RecognizedFace } from './recognize.ts';
export type { Point } from './align.ts';
export type { Box } from './nms.ts';
export type { Expressions, ExpressionName } from './expressions.ts';
export type { AgeGender, Gender } from './ageGender.ts';
export { EXPRESSION_LABELS } from './expressions.ts';
export { euclideanDistance } from './descriptor.ts';
export { decodeImage, DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE } from './image.ts';
export type { DecodeOptions, RgbImage } from './image.ts';

export interface LoadModelOptions extends SessionOptions, DecodeOptions {}

export interface RecognizeOptions {
  /** Which detector finds the faces; default `ssd`. */
  detector?: DetectorName;
  /** Distance below which a face is named; default the gallery's threshold, else 0.6. */
  threshold?: number;
  /** Gap between the two nearest subjects under which a named face is `ambiguous`; default 0.05. */
  ambiguityMargin?: number;
}

export interface EnrolledFace {
  descriptor: number[];
  box: Box;
  /** How many faces the image had (the largest was taken). */
  faceCount: number;
}

/** The loaded networks. Safe to share: calls do not interfere. */
export interface FaceModel {
  /** How long `loadModel` took to have every session ready, in milliseconds. */
  readonly loadTimeMs: number;
  /** Detects, describes and names every face in `imageBytes`. Throws `InvalidImage` / `ImageTooLarge`. */
  recognize(imageBytes: Uint8Array, gallery: Gallery, options?: RecognizeOptions): Promise<RecognitionResult>;
  /** Detects and describes every face, without naming. */
  analyse(imageBytes: Uint8Array, options?: Pick<RecognizeOptions, 'detector'>): Promise<{ width: number; height: number; faces: AnalysedFace[] }>;
  /** The descriptor of the largest face, for adding to a gallery. Throws `NoFaceFound` when there is none. */
  enrolFace(imageBytes: Uint8Array, options?: Pick<RecognizeOptions, 'detector'>): Promise<EnrolledFace>;
}

const DEFAULT_DETECTOR: DetectorName = 'ssd';

/**
 * Loads the five networks (building the ONNX files first if they are missing). Sessions are
 * memoised per process, so a second call is cheap and shares them.
 */
export async function loadModel(options: LoadModelOptions = {}): Promise<FaceModel> {
  const started = performance.now();
  const sessions = await loadSessions(options);
  const loadTimeMs = performance.now() - started;
  const ctx = { sessions };
  const decodeOptions: DecodeOptions = { maxPixels: options.maxPixels, maxSide: options.maxSide, minSide: options.minSide ?? SMALL_PHOTO_SIDE };

  const analyse: FaceModel['analyse'] = async (imageBytes, opts = {}) => {
    const image = await decodeImage(imageBytes, decodeOptions);
    const faces = await analyseImage(ctx, image, opts.detector ?? DEFAULT_DETECTOR);
    return { width: image.originalWidth, height: image.originalHeight, faces };
  };

  return {
    loadTimeMs,
    analyse,
    async recognize(imageBytes, gallery, opts = {}) {
      const { width, height, faces } = await analyse(imageBytes, opts);
      return { width, height, faces: nameFaces(faces, gallery, { threshold: opts.threshold, ambiguityMargin: opts.ambiguityMargin }) };
    },
    async enrolFace(imageBytes, opts = {}) {
      const { faces } = await analyse(imageBytes, opts);
      const largest = largestFace(faces);
      if (!largest) throw new NoFaceFound();
      return { descriptor: largest.descriptor, box: largest.box, faceCount: faces.length };
    },
  };
}

/** One-shot convenience: `loadModel()` (memoised) then `recognize`. */
export async function recognize(imageBytes: Uint8Array, gallery: Gallery, options: RecognizeOptions & LoadModelOptions = {}): Promise<RecognitionResult> {
  const model = await loadModel(options);
  return model.recognize(imageBytes, gallery, options);
}

/** One-shot convenience: the descriptor of the largest face in `imageBytes`. */
export async function enrolFace(imageBytes: Uint8Array, options: Pick<RecognizeOptions, 'detector'> & LoadModelOptions = {}): Promise<EnrolledFace> {
  const model = await loadModel(options);
  return model.enrolFace(imageBytes, options);
}
