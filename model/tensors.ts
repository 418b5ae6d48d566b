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
  const rowBytes = rect.width * 3;
  for (let row = 0; row < rect.height; row++) {
    const from = ((rect.y + row) * image.width + rect.x) * 3;
    // Typed-array set converts uint8 → float32 natively, far faster than an element loop.
    out.set(image.data.subarray(from, from + rowBytes), ((offsetY + row) * size + offsetX) * 3);
  }
  return { data: out, size };
}

/**
 * The whole image padded bottom/right to a square AND resized to `netSize`×`netSize` in one pass,
 * with TF's legacy bilinear rule (align_corners = half_pixel_centers = false) computed in float32
 * step by step as tfjs does. Feeding this to a detector graph makes its own resize an identity,
 * and spares building (and the graph transposing) a full-resolution padded square: for a 1920 px
 * photo that is 44 MB and most of the detection time. Pixels in the padding read as 0.
 */
export function padBottomRightResized(image: Pick<RgbImage, 'data' | 'width' | 'height'>, netSize: number): SquareInput {
  const { width, height, data } = image;
  const size = Math.max(width, height);
  if (size === netSize) return padBottomRight(image);
  const f = Math.fround;
  const scale = f(size / netSize);
  const out = new Float32Array(netSize * netSize * 3);
  // Per output column: left/right source columns and the lerp, as tfjs computes them.
  const left = new Int32Array(netSize);
  const right = new Int32Array(netSize);
  const xLerp = new Float32Array(netSize);
  for (let x = 0; x < netSize; x++) {
    const sx = f(x * scale);
    const l = Math.floor(sx);
    left[x] = l;
    right[x] = Math.min(size - 1, Math.ceil(sx));
    xLerp[x] = f(sx - l);
  }
  const rowStride = width * 3;
  for (let y = 0; y < netSize; y++) {
    const sy = f(y * scale);
    const top = Math.floor(sy);
    const bottom = Math.min(size - 1, Math.ceil(sy));
    const yLerp = f(sy - top);
    if (top >= height) continue; // wholly in the padding: stays 0 (bottom ≥ top)
    const topRow = top * rowStride;
    const bottomRow = bottom < height ? bottom * rowStride : -1;
    let o = y * netSize * 3;
    for (let x = 0; x < netSize; x++, o += 3) {
      const l = left[x] as number;
      const r = right[x] as number;
      const xl = xLerp[x] as number;
      const lIn = l < width;
      const rIn = r < width;
      for (let c = 0; c < 3; c++) {
        const tl = lIn ? (data[topRow + l * 3 + c] as number) : 0;
        const tr = rIn ? (data[topRow + r * 3 + c] as number) : 0;
        const bl = bottomRow >= 0 && lIn ? (data[bottomRow + l * 3 + c] as number) : 0;
        const br = bottomRow >= 0 && rIn ? (data[bottomRow + r * 3 + c] as number) : 0;
        const t = f(tl + f(f(tr - tl) * xl));
        const b = f(bl + f(f(br - bl) * xl));
        out[o + c] = f(t + f(f(b - t) * yLerp));
      }
    }
  }
  return { data: out, size: netSize };
}
