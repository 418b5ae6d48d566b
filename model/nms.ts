/**
 * The two non-maximum suppressions face-api uses, reproduced exactly (including tie order), because
 * which box survives decides which face the rest of the pipeline sees.
 */

/** A box in any consistent unit. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Plain intersection over union of two boxes (0 when they do not overlap). */
export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * face-api's `ops/nonMaxSuppression` (tiny detector): take the highest score, drop every box whose
 * IoU with it is above `iouThreshold`, repeat. No cap. Returns the kept indices, best first.
 */
export function greedyNms(boxes: readonly Box[], scores: readonly number[], iouThreshold: number): number[] {
  let order = scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => a.score - b.score)
    .map((c) => c.index);
  const pick: number[] = [];
  while (order.length > 0) {
    const current = order.pop() as number;
    pick.push(current);
    const currentBox = boxes[current] as Box;
    order = order.filter((i) => iou(currentBox, boxes[i] as Box) <= iouThreshold);
  }
  return pick;
}

/** A box as corners `[ymin, xmin, ymax, xmax]`, the SSD's layout. */
export type Corners = readonly [number, number, number, number];

function cornersIou(a: Corners, b: Corners): number {
  const [ay0, ax0, ay1, ax1] = [Math.min(a[0], a[2]), Math.min(a[1], a[3]), Math.max(a[0], a[2]), Math.max(a[1], a[3])];
  const [by0, bx0, by1, bx1] = [Math.min(b[0], b[2]), Math.min(b[1], b[3]), Math.max(b[0], b[2]), Math.max(b[1], b[3])];
  const areaA = (ay1 - ay0) * (ax1 - ax0);
  const areaB = (by1 - by0) * (bx1 - bx0);
  if (areaA <= 0 || areaB <= 0) return 0;
  const inter = Math.max(Math.min(ay1, by1) - Math.max(ay0, by0), 0) * Math.max(Math.min(ax1, bx1) - Math.max(ax0, bx0), 0);
  return inter / (areaA + areaB - inter);
}

/**
 * face-api's `ssdMobilenetv1/nonMaxSuppression`: candidates above `scoreThreshold` by score
 * descending; a candidate is kept unless a kept box overlaps it with IoU above `iouThreshold`;
 * at most `maxOutputSize` kept. Returns the kept indices, best first.
 */
export function ssdNms(
  boxes: (index: number) => Corners,
  scores: ArrayLike<number>,
  maxOutputSize: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const outputSize = Math.min(maxOutputSize, scores.length);
  const candidates: { score: number; index: number }[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i] as number;
    if (score > scoreThreshold) candidates.push({ score, index: i });
  }
  candidates.sort((a, b) => b.score - a.score);
  const selected: number[] = [];
  for (const c of candidates) {
    if (selected.length >= outputSize) break;
    let suppressed = false;
    for (let j = selected.length - 1; j >= 0; j--) {
      const overlap = cornersIou(boxes(c.index), boxes(selected[j] as number));
      if (overlap === 0) continue;
      if (overlap > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) selected.push(c.index);
  }
  return selected;
}
