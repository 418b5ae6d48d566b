/**
 * Decoding the SSD MobileNet v1 raw outputs (face-api `ssdMobilenetv1/outputLayer.ts`,
 * `nonMaxSuppression.ts` and `SsdMobilenetv1.locateFaces`): box encodings `[ty, tx, th, tw]`
 * against the anchors with the 10/10/5/5 scales, face score = sigmoid(class 1), NMS IoU 0.5,
 * min confidence 0.5, at most 100 faces.
 */
import type { Detection } from './detectTiny.ts';
import { ssdNms, type Corners } from './nms.ts';
import { SSD_ANCHOR_COUNT } from './ssdAnchors.ts';

export const SSD_INPUT_SIZE = 512;
export const SSD_MIN_CONFIDENCE = 0.5;
export const SSD_MAX_RESULTS = 100;
export const SSD_IOU_THRESHOLD = 0.5;

/**
 * The faces for an image of `width`×`height` padded bottom/right to a square, from the graph's
 * `box_encodings` `[1, 5118, 4]` and `class_predictions` `[1, 5118, 3]`. Boxes in image pixels,
 * clipped to the image, best score first.
 */
export function decodeSsd(
  boxEncodings: Float32Array,
  classPredictions: Float32Array,
  anchors: Float32Array,
  width: number,
  height: number,
  { minConfidence = SSD_MIN_CONFIDENCE, maxResults = SSD_MAX_RESULTS } = {},
): Detection[] {
  const n = SSD_ANCHOR_COUNT;
  if (boxEncodings.length !== n * 4 || classPredictions.length !== n * 3 || anchors.length !== n * 4) {
    throw new Error('ssd detector: unexpected output sizes');
  }
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) scores[i] = 1 / (1 + Math.exp(-(classPredictions[i * 3 + 1] as number)));

  const decoded = new Map<number, Corners>();
  const corners = (i: number): Corners => {
    let c = decoded.get(i);
    if (!c) {
      c = decodeBox(boxEncodings, anchors, i);
      decoded.set(i, c);
    }
    return c;
  };
  const keep = ssdNms(corners, scores, maxResults, SSD_IOU_THRESHOLD, minConfidence);

  const scale = SSD_INPUT_SIZE / Math.max(width, height);
  const padX = SSD_INPUT_SIZE / Math.round(width * scale);
  const padY = SSD_INPUT_SIZE / Math.round(height * scale);
  return keep.map((i) => {
    const [ymin, xmin, ymax, xmax] = corners(i);
    const top = Math.max(0, ymin) * padY;
    const bottom = Math.min(1, ymax) * padY;
    const left = Math.max(0, xmin) * padX;
    const right = Math.min(1, xmax) * padX;
    return {
      box: { x: left * width, y: top * height, width: (right - left) * width, height: (bottom - top) * height },
      score: scores[i] as number,
    };
  });
}

function decodeBox(enc: Float32Array, anchors: Float32Array, i: number): Corners {
  const at = (arr: Float32Array, k: number): number => arr[i * 4 + k] as number;
  const sizeY = at(anchors, 2) - at(anchors, 0);
  const sizeX = at(anchors, 3) - at(anchors, 1);
  const centreY = at(anchors, 0) + sizeY / 2;
  const centreX = at(anchors, 1) + sizeX / 2;
  const halfH = (Math.exp(at(enc, 2) / 5) * sizeY) / 2;
  const cy = (at(enc, 0) / 10) * sizeY + centreY;
  const halfW = (Math.exp(at(enc, 3) / 5) * sizeX) / 2;
  const cx = (at(enc, 1) / 10) * sizeX + centreX;
  return [cy - halfH, cx - halfW, cy + halfH, cx + halfW];
}
