/**
 * The face crops face-api cuts for each net (notes §5), as integer pixel rectangles: the detection
 * box for landmarks, the dlib alignment rectangle for the descriptor, the landmarks' bounding box
 * grown by 20% for expressions. All are clipped to the image and floored the way
 * `Box.clipAtImageBorders` does; an empty result means face-api would skip the face.
 */
import type { Box } from './nms.ts';
import type { PixelRect } from './tensors.ts';

export interface Point {
  x: number;
  y: number;
}

/**
 * `box` clipped to a `width`×`height` image, then x, y, width and height each floored on their own
 * (face-api's `clipAtImageBorders`). Undefined when nothing is left.
 */
export function clipAndFloor(box: Box, width: number, height: number): PixelRect | undefined {
  const x = Math.max(box.x, 0);
  const y = Math.max(box.y, 0);
  const w = Math.min(box.x + box.width - x, width - x);
  const h = Math.min(box.y + box.height - y, height - y);
  const rect = { x: Math.floor(x), y: Math.floor(y), width: Math.floor(w), height: Math.floor(h) };
  return rect.width > 0 && rect.height > 0 ? rect : undefined;
}

const mean = (points: readonly Point[]): Point => {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
};

/**
 * face-api's `FaceLandmarks.alignDlib` on the 68 image-space points of a face whose landmark crop
 * was `cropWidth`×`cropHeight`: an axis-aligned square of side floor(eye–mouth distance / 0.45)
 * around the mean of the eye and mouth centres. (face-api caps the side with the crop size plus the
 * offset, which we reproduce.)
 */
export function dlibAlignRect(points: readonly Point[], cropWidth: number, cropHeight: number): Box {
  const leftEye = mean(points.slice(36, 42));
  const rightEye = mean(points.slice(42, 48));
  const mouth = mean(points.slice(48, 68));
  const dist = (p: Point): number => Math.hypot(mouth.x - p.x, mouth.y - p.y);
  const size = Math.floor((dist(leftEye) + dist(rightEye)) / 2 / 0.45);
  const ref = mean([leftEye, rightEye, mouth]);
  const x = Math.floor(Math.max(0, ref.x - 0.5 * size));
  const y = Math.floor(Math.max(0, ref.y - 0.43 * size));
  return { x, y, width: Math.min(size, cropWidth + x), height: Math.min(size, cropHeight + y) };
}

/** face-api's `alignedRect`: the points' bounding box grown by 20% of its width and height. */
export function expressionRect(points: readonly Point[]): Box {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = 0;
  let maxY = 0;
  for (const p of points) {
    if (p.x < minX) minX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.x > maxX) maxX = p.x;
    if (p.y > maxY) maxY = p.y;
  }
  const w = maxX - minX;
  const h = maxY - minY;
  return { x: minX - (w * 0.2) / 2, y: minY - (h * 0.2) / 2, width: w * 1.2, height: h * 1.2 };
}
