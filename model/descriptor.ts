/** 128-d face descriptors and their distance. */

export const DESCRIPTOR_LENGTH = 128;
export const RECOGNITION_INPUT_SIZE = 150;

/** Plain euclidean (L2) distance, as face-api's `euclideanDistance`. Throws on a length mismatch. */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`descriptor lengths differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return Math.sqrt(sum);
}
