/**
 * Mapping the landmark net's output back to image pixels (face-api `FaceLandmark68NetBase.postProcess`
 * and `extendWithFaceLandmarks`).
 */
import type { Point } from './align.ts';
import type { PixelRect } from './tensors.ts';

export const LANDMARK_INPUT_SIZE = 112;

/**
 * The 68 points in image pixels. `output` is the net's 136 values (x, y interleaved, relative to
 * the centred-padded square of `crop`); `shift` is the detection box's unfloored top-left corner,
 * which face-api adds even though the crop started at the floored, clipped box.
 */
export function decodeLandmarks(output: Float32Array, crop: PixelRect, shift: Point): Point[] {
  if (output.length !== 136) throw new Error(`landmarks: expected 136 values, got ${output.length}`);
  const size = LANDMARK_INPUT_SIZE;
  const s = size / Math.max(crop.width, crop.height);
  const w = crop.width * s;
  const h = crop.height * s;
  const padX = w < h ? Math.abs(w - h) / 2 : 0;
  const padY = h < w ? Math.abs(w - h) / 2 : 0;
  const points: Point[] = [];
  for (let i = 0; i < 68; i++) {
    const relX = ((output[2 * i] as number) * size - padX) / w;
    const relY = ((output[2 * i + 1] as number) * size - padY) / h;
    points.push({ x: relX * crop.width + shift.x, y: relY * crop.height + shift.y });
  }
  return points;
}
