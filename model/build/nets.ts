/**
 * What the build makes: for each net, the face-api weights it reads, the builder, and the
 * input/output contract recorded in the manifest.
 */
import { buildAgeGender } from './ageGender.ts';
import { buildFaceExpression } from './faceExpression.ts';
import { faceFeatureInput } from './faceFeatureExtractor.ts';
import { buildFaceLandmark68 } from './faceLandmark68.ts';
import { buildFaceRecognition, faceRecognitionInput } from './faceRecognition.ts';
import type { NetEntry, NetName } from './manifest.ts';
import type { InputSpec } from './onnxGraph.ts';
import { SSD_ANCHOR_COUNT, buildSsdMobilenetv1, ssdMobilenetv1Input } from './ssdMobilenetv1.ts';
import { buildTinyFaceDetector, tinyFaceDetectorInput } from './tinyFaceDetector.ts';
import type { WeightMap } from './weights.ts';

export interface NetRecipe {
  readonly name: NetName;
  /** face-api's model name: `<weightsModel>-weights_manifest.json` + its .bin. */
  readonly weightsModel: string;
  readonly build: (w: WeightMap) => Uint8Array;
  readonly padding: 'centre' | 'bottom-right';
  readonly spec: InputSpec;
  readonly outputs: NetEntry['outputs'];
}

/** In build order (the runtime's priorities: recognition first, SSD last). */
export const RECIPES: readonly NetRecipe[] = [
  { name: 'face_recognition', weightsModel: 'face_recognition_model', build: buildFaceRecognition, padding: 'centre', spec: faceRecognitionInput, outputs: [{ name: 'descriptor', shape: [1, 128] }] },
  { name: 'face_landmark_68', weightsModel: 'face_landmark_68_model', build: buildFaceLandmark68, padding: 'centre', spec: faceFeatureInput, outputs: [{ name: 'landmarks', shape: [1, 136] }] },
  { name: 'face_expression', weightsModel: 'face_expression_model', build: buildFaceExpression, padding: 'centre', spec: faceFeatureInput, outputs: [{ name: 'expressions', shape: [1, 7] }] },
  { name: 'age_gender', weightsModel: 'age_gender_model', build: buildAgeGender, padding: 'centre', spec: faceFeatureInput, outputs: [{ name: 'age', shape: [1, 1] }, { name: 'gender', shape: [1, 2] }] },
  { name: 'tiny_face_detector', weightsModel: 'tiny_face_detector_model', build: buildTinyFaceDetector, padding: 'bottom-right', spec: tinyFaceDetectorInput, outputs: [{ name: 'grid', shape: [1, 25, 13, 13] }] },
  tinyAt(96),
  tinyAt(160),
  {
    name: 'ssd_mobilenetv1', weightsModel: 'ssd_mobilenetv1_model', build: buildSsdMobilenetv1, padding: 'bottom-right', spec: ssdMobilenetv1Input,
    outputs: [
      { name: 'box_encodings', shape: [1, SSD_ANCHOR_COUNT, 4] },
      { name: 'class_predictions', shape: [1, SSD_ANCHOR_COUNT, 3] },
      { name: 'anchors', shape: [SSD_ANCHOR_COUNT, 4] },
    ],
  },
];

/** The tiny detector built to resize its input to `n` (a multiple of 32): a `[1, 25, n/32, n/32]` grid. */
function tinyAt(n: 96 | 160): NetRecipe {
  return {
    name: `tiny_face_detector_${n}`,
    weightsModel: 'tiny_face_detector_model',
    build: (w) => buildTinyFaceDetector(w, n),
    padding: 'bottom-right',
    spec: { ...tinyFaceDetectorInput, netSize: n },
    outputs: [{ name: 'grid', shape: [1, 25, n / 32, n / 32] }],
  };
}

/** The manifest's `input` record for a recipe (SSD's `x/127.5 - 1` written as mean 127.5, divisor 127.5). */
export function inputEntry(r: NetRecipe): NetEntry['input'] {
  const d = r.spec.divisor;
  const mean: [number, number, number] = r.spec.minusOne ? [d, d, d] : [...r.spec.mean];
  return { name: 'image', shape: [1, 'S', 'S', 3], padding: r.padding, netSize: r.spec.netSize, mean, divisor: d };
}
