/**
 * The thumbnail of an enrolled face: the face's box grown by a margin, clipped to the image,
 * oriented as the model saw it (EXIF rotation applied), at most 160 px, as JPEG.
 */
import sharp from 'sharp';

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

const THUMB = 160;

/** A JPEG of the face in `bytes` at `box` (pixels of the oriented image), with a 25 % margin. */
export async function cropFace(bytes: Uint8Array, box: FaceBox): Promise<Buffer> {
  const oriented = await sharp(bytes).rotate().raw().toBuffer({ resolveWithObject: true });
  const { width: imageWidth, height: imageHeight, channels } = oriented.info;
  const margin = 0.25 * Math.max(box.width, box.height);
  const left = clamp(Math.floor(box.x - margin), 0, imageWidth - 1);
  const top = clamp(Math.floor(box.y - margin), 0, imageHeight - 1);
  const right = clamp(Math.ceil(box.x + box.width + margin), left + 1, imageWidth);
  const bottom = clamp(Math.ceil(box.y + box.height + margin), top + 1, imageHeight);
  return sharp(oriented.data, { raw: { width: imageWidth, height: imageHeight, channels } })
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize({ width: THUMB, height: THUMB, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 85 })
    .toBuffer();
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
