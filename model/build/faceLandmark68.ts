/** face_landmark_68_model → ONNX: `image` [1,S,S,3] → `landmarks` [1,136], interleaved x,y in 0..1 of the padded square, no activation. */
import { buildFaceFeatureNet } from './faceFeatureExtractor.ts';
import type { WeightMap } from './weights.ts';

export { faceFeatureInput as faceLandmark68Input } from './faceFeatureExtractor.ts';

export function buildFaceLandmark68(w: WeightMap): Uint8Array {
  return buildFaceFeatureNet(w, 'face_landmark_68', 'landmarks', { softmax: false });
}
