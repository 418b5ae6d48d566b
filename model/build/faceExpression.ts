/** face_expression_model → ONNX: `image` [1,S,S,3] → `expressions` [1,7] softmax probabilities. */
import { buildFaceFeatureNet } from './faceFeatureExtractor.ts';
import type { WeightMap } from './weights.ts';

export { faceFeatureInput as faceExpressionInput } from './faceFeatureExtractor.ts';

/** Output order of the 7 probabilities, as face-api's FaceExpressions. */
export const EXPRESSION_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;

export function buildFaceExpression(w: WeightMap): Uint8Array {
  return buildFaceFeatureNet(w, 'face_expression', 'expressions', { softmax: true });
}
