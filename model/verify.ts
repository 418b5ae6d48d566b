/**
 * 1:1 verification: are the largest face of photo `a` and the largest face of photo `b` (or a
 * gallery subject) one person? The distance is euclidean between descriptors; against a subject it
 * is the mean over its examples, the same rule as naming (gallery.ts), so a verification and a
 * recognition with one threshold never disagree.
 */
import { euclideanDistance } from './descriptor.ts';
import type { Box } from './nms.ts';
import { largestFace } from './recognize.ts';

/** One side of a verification as the result shows it. */
export type VerifySide =
  | { kind: 'photo'; width: number; height: number; faces: number; box: Box | null }
  | { kind: 'subject'; subjectId: string; name: string; examples: number };

export interface VerificationResult {
  kind: 'verify';
  /** `same`, `different`, or `no-face` when a photo has no face. */
  label: 'same' | 'different' | 'no-face';
  /** distance < threshold; null when a face is missing. */
  same: boolean | null;
  /** Between the two largest faces (mean over a subject's examples); null when a face is missing. */
  distance: number | null;
  threshold: number;
  /** Which photos had no face (empty when both had one). */
  noFace: Array<'a' | 'b'>;
  a: VerifySide;
  b: VerifySide;
}

interface PhotoFaces {
  width: number;
  height: number;
  faces: ReadonlyArray<{ box: Box; descriptor: number[] }>;
}

/** What `b` can be: another analysed photo, or a subject's example descriptors. */
export type VerifyTarget = { photo: PhotoFaces } | { subject: { id: string; name: string; descriptors: ReadonlyArray<ArrayLike<number>> } };

function photoSide(photo: PhotoFaces): { side: VerifySide; descriptor: number[] | undefined } {
  const face = largestFace(photo.faces);
  return { side: { kind: 'photo', width: photo.width, height: photo.height, faces: photo.faces.length, box: face ? { ...face.box } : null }, descriptor: face?.descriptor };
}

/** Compares the largest face of `a` with `b`. Pure. */
export function verifyFaces(a: PhotoFaces, b: VerifyTarget, threshold: number): VerificationResult {
  const left = photoSide(a);
  let right: { side: VerifySide; descriptors: ReadonlyArray<ArrayLike<number>> };
  if ('photo' in b) {
    const side = photoSide(b.photo);
    right = { side: side.side, descriptors: side.descriptor ? [side.descriptor] : [] };
  } else {
    const { id, name, descriptors } = b.subject;
    right = { side: { kind: 'subject', subjectId: id, name, examples: descriptors.length }, descriptors };
  }
  const noFace: Array<'a' | 'b'> = [];
  if (!left.descriptor) noFace.push('a');
  if (right.descriptors.length === 0) noFace.push('b');
  if (!left.descriptor || right.descriptors.length === 0) {
    return { kind: 'verify', label: 'no-face', same: null, distance: null, threshold, noFace, a: left.side, b: right.side };
  }
  const descriptor = left.descriptor;
  let sum = 0;
  for (const other of right.descriptors) sum += euclideanDistance(other, descriptor);
  const distance = sum / right.descriptors.length;
  const same = distance < threshold;
  return { kind: 'verify', label: same ? 'same' : 'different', same, distance, threshold, noFace, a: left.side, b: right.side };
}
