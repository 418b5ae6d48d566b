/**
 * Placing an image in the middle of a larger canvas. The detectors were trained on faces that fill
 * at most about a quarter of their input, so a close-up or a 64×64 face photo is shown to them with
 * room around it; the same canvas then lets a face cut by the photo's edge be cropped whole (the
 * part outside the photo reads as the fill), as face-api pads a partial box.
 */
import type { RgbImage } from './image.ts';

/** An image on a canvas, and where the original's top-left corner landed. */
export interface Placed {
  image: RgbImage;
  offsetX: number;
  offsetY: number;
}

/** Mid grey: measured to find more faces than black padding in the wider passes (see README). */
export const CANVAS_FILL = 128;

/**
 * `image` centred on a `width`×`height` canvas (each at least the image's side) filled with
 * `fill`. The result keeps the original's `format`, `originalWidth/Height` and `scale`, so a caller
 * maps coordinates back by subtracting the offsets.
 */
export function placeOnCanvas(image: RgbImage, width: number, height: number, fill = CANVAS_FILL): Placed {
  const w = Math.max(Math.ceil(width), image.width);
  const h = Math.max(Math.ceil(height), image.height);
  const offsetX = Math.floor((w - image.width) / 2);
  const offsetY = Math.floor((h - image.height) / 2);
  if (w === image.width && h === image.height) return { image, offsetX: 0, offsetY: 0 };
  const data = new Uint8Array(w * h * 3).fill(fill);
  const row = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * row, (y + 1) * row), ((y + offsetY) * w + offsetX) * 3);
  }
  return { image: { ...image, data, width: w, height: h }, offsetX, offsetY };
}

/** `image` centred on a square canvas whose side is `factor` × the image's longest side. */
export function placeOnSquare(image: RgbImage, factor: number, fill = CANVAS_FILL): Placed {
  const side = Math.round(Math.max(image.width, image.height) * factor);
  return placeOnCanvas(image, side, side, fill);
}
