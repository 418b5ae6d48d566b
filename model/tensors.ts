/**
 * Building the square float inputs the graphs expect (`[1, S, S, 3]`, NHWC, raw RGB 0..255).
 * The graphs resize and normalise themselves; here we only crop and zero-pad exactly as face-api's
 * `padToSquare` does, so the same pixels reach the same place.
 */
import type { RgbImage } from './image.ts';

/** An integer pixel rectangle inside an image. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A square NHWC float32 input: `data` holds `size * size * 3` values. */
export interface SquareInput {
  data: Float32Array;
  size: number;
}

/**
 * The whole image padded to a square with zeros at the bottom/right (face-api's
 * `padToSquare(x, false)`, used by both detectors).
 */
export function padBottomRight(image: Pick<RgbImage, 'data' | 'width' | 'height'>): SquareInput {
  const { width, height } = image;
  return placeInSquare(image, { x: 0, y: 0, width, height }, 0, 0);
}

/**
 * The crop `rect` (integer, inside the image) padded to a square with zeros centred as face-api's
 * `padToSquare(x, true)` does: `round(diff / 2)` after, the rest before.
 */
export function cropPadCentred(image: Pick<RgbImage, 'data' | 'width' | 'height'>, rect: PixelRect): SquareInput {
  const diff = Math.abs(rect.width - rect.height);
  const before = diff - Math.round(diff * 0.5);
  const offsetX = rect.height > rect.width ? before : 0;
  const offsetY = rect.width > rect.height ? before : 0;
  return placeInSquare(image, rect, offsetX, offsetY);
}

function placeInSquare(image: Pick<RgbImage, 'data' | 'width'>, rect: PixelRect, offsetX: number, offsetY: number): SquareInput {
  const size = Math.max(rect.width, rect.height);
  const out = new Float32Array(size * size * 3);
  const src = image.data;
  const rowBytes = rect.width * 3;
  for (let row = 0; row < rect.height; row++) {
    const from = ((rect.y + row) * image.width + rect.x) * 3;
    const to = ((offsetY + row) * size + offsetX) * 3;
    for (let i = 0; i < rowBytes; i++) out[to + i] = src[from + i] as number;
  }
  return { data: out, size };
}
