/**
 * Decoding the tiny face detector's raw grid (face-api `TinyYolov2Base.extractBoxes` + NMS).
 * The graph's `grid` output is NCHW `[1, 25, G, G]` with channel = anchor * 5 + field, fields
 * `tx, ty, tw, th, tscore` (notes §4).
 */
import { greedyNms, type Box } from './nms.ts';

export interface Detection {
  /** In image pixels, not clipped to the image. */
  box: Box;
  score: number;
}

export const TINY_INPUT_SIZE = 416;
export const TINY_SCORE_THRESHOLD = 0.5;
export const TINY_IOU_THRESHOLD = 0.4;
const ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The faces in `grid` for an image of `width`×`height` that was padded bottom/right to a square
 * and resized to `inputSize`. Boxes are in image pixels, best score first, after NMS.
 */
export function decodeTinyGrid(
  grid: Float32Array,
  width: number,
  height: number,
  { inputSize = TINY_INPUT_SIZE, scoreThreshold = TINY_SCORE_THRESHOLD, iouThreshold = TINY_IOU_THRESHOLD } = {},
): Detection[] {
  const cells = inputSize / 32;
  const plane = cells * cells;
  if (grid.length !== ANCHORS.length * 5 * plane) throw new Error(`tiny detector: expected ${ANCHORS.length * 5 * plane} values, got ${grid.length}`);
  const scale = inputSize / Math.max(width, height);
  const cfx = inputSize / Math.round(width * scale);
  const cfy = inputSize / Math.round(height * scale);

  const boxes: Box[] = [];
  const scores: number[] = [];
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      for (let a = 0; a < ANCHORS.length; a++) {
        const at = (field: number): number => grid[(a * 5 + field) * plane + row * cells + col] as number;
        const score = sigmoid(at(4));
        if (!(score > scoreThreshold)) continue;
        const [aw, ah] = ANCHORS[a] as readonly [number, number];
        const cx = ((col + sigmoid(at(0))) / cells) * cfx;
        const cy = ((row + sigmoid(at(1))) / cells) * cfy;
        const w = ((Math.exp(at(2)) * aw) / cells) * cfx;
        const h = ((Math.exp(at(3)) * ah) / cells) * cfy;
        boxes.push({ x: cx - w / 2, y: cy - h / 2, width: w, height: h });
        scores.push(score);
      }
    }
  }
  const keep = greedyNms(boxes, scores, iouThreshold);
  return keep.map((i) => {
    const b = boxes[i] as Box;
    return { box: { x: b.x * width, y: b.y * height, width: b.width * width, height: b.height * height }, score: scores[i] as number };
  });
}
