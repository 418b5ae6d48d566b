/**
 * The gallery of known people: plain JSON-serialisable data, changed only through functions that
 * return a new gallery, and matched with face-api's `FaceMatcher` rule.
 */
import { randomUUID } from 'node:crypto';
import { DESCRIPTOR_LENGTH, euclideanDistance } from './descriptor.ts';
import type { Box } from './nms.ts';

export interface GalleryExample {
  id: string;
  descriptor: number[];
  box?: Box;
  sourceName?: string;
  /** sha256 (hex) of the photo it was enrolled from: the same photo is not enrolled twice for one subject. */
  sha256?: string;
}

export interface GallerySubject {
  id: string;
  name: string;
  examples: GalleryExample[];
}

export interface Gallery {
  version: 1;
  /** The distance below which a face is named; default 0.6. */
  threshold?: number;
  subjects: GallerySubject[];
}

export interface FaceMatch {
  /** The subject's name, or `unknown`. */
  label: string;
  /** The subject's id when matched. */
  subjectId?: string;
  /** The mean distance to the best subject's examples (Infinity for an empty gallery). */
  distance: number;
  /**
   * The nearest subject other than the one named (when `unknown`: the second nearest subject), with
   * its mean distance; null when the gallery has fewer than two subjects with examples.
   */
  runnerUp: { label: string; distance: number } | null;
  /**
   * True when a face is named and the runner-up is less than `ambiguityMargin` farther than the
   * nearest subject: two people fit it about equally well. Never true for `unknown`.
   */
  ambiguous: boolean;
}

export interface MatchOptions {
  /** Distance below which a face is named; default the gallery's, else 0.6. */
  threshold?: number;
  /** Gap between the two nearest subjects under which a named face is ambiguous; default 0.05. */
  ambiguityMargin?: number;
}

export const DEFAULT_THRESHOLD = 0.6;
/**
 * Measured on the demo photos (test/bench/matchQuality.ts, 22 faces, 282 query crops): under 0.05
 * falls the runner-up gap of 66 % of the queries whose nearest subject was the wrong person, and of
 * only 6.8 % of those named right (0.02: 34 % / 3 %; 0.10: 98 % / 19 %).
 */
export const DEFAULT_AMBIGUITY_MARGIN = 0.05;
export const UNKNOWN = 'unknown';
/** The classic label of an ambiguous largest face when `ambiguousLabel` is on. */
export const AMBIGUOUS = 'ambiguous';

/** A gallery with nobody in it. */
export function emptyGallery(threshold?: number): Gallery {
  return threshold === undefined ? { version: 1, subjects: [] } : { version: 1, threshold, subjects: [] };
}

/**
 * face-api's FaceMatcher: each subject's distance is the MEAN of its examples' distances to
 * `descriptor`; the smallest wins if it is strictly below `threshold`, else `unknown`. Subjects
 * without examples are ignored. The second nearest subject is the runner-up. `options` may be a
 * threshold alone (the older signature).
 */
export function matchFace(descriptor: ArrayLike<number>, gallery: Gallery, options: number | MatchOptions = {}): FaceMatch {
  const opts: MatchOptions = typeof options === 'number' ? { threshold: options } : options;
  const threshold = opts.threshold ?? gallery.threshold ?? DEFAULT_THRESHOLD;
  const margin = opts.ambiguityMargin ?? DEFAULT_AMBIGUITY_MARGIN;
  let best: { subject: GallerySubject; distance: number } | undefined;
  let second: { subject: GallerySubject; distance: number } | undefined;
  for (const subject of gallery.subjects) {
    if (subject.examples.length === 0) continue;
    let sum = 0;
    for (const example of subject.examples) sum += euclideanDistance(example.descriptor, descriptor);
    const distance = sum / subject.examples.length;
    if (!best || distance < best.distance) {
      second = best;
      best = { subject, distance };
    } else if (!second || distance < second.distance) second = { subject, distance };
  }
  if (!best) return { label: UNKNOWN, distance: Infinity, runnerUp: null, ambiguous: false };
  const runnerUp = second ? { label: second.subject.name, distance: second.distance } : null;
  if (!(best.distance < threshold)) return { label: UNKNOWN, distance: best.distance, runnerUp, ambiguous: false };
  const ambiguous = runnerUp !== null && runnerUp.distance - best.distance < margin;
  return { label: best.subject.name, subjectId: best.subject.id, distance: best.distance, runnerUp, ambiguous };
}

/** A new gallery with the subject added (its id generated unless given). Throws on a duplicate id. */
export function addSubject(gallery: Gallery, subject: { name: string; id?: string; examples?: GalleryExample[] }): Gallery {
  const id = subject.id ?? randomUUID();
  if (gallery.subjects.some((s) => s.id === id)) throw new Error(`gallery: subject ${id} already exists`);
  return { ...gallery, subjects: [...gallery.subjects, { id, name: subject.name, examples: [...(subject.examples ?? [])] }] };
}

/** A new gallery without the subject `subjectId` (unchanged content if absent). */
export function removeSubject(gallery: Gallery, subjectId: string): Gallery {
  return { ...gallery, subjects: gallery.subjects.filter((s) => s.id !== subjectId) };
}

/** A new gallery with one example added to `subjectId`. Throws if the subject is missing or the descriptor is not 128 numbers. */
export function addExample(gallery: Gallery, subjectId: string, example: Omit<GalleryExample, 'id'> & { id?: string }): Gallery {
  assertDescriptor(example.descriptor);
  if (!gallery.subjects.some((s) => s.id === subjectId)) throw new Error(`gallery: no subject ${subjectId}`);
  const full: GalleryExample = { ...example, id: example.id ?? randomUUID(), descriptor: [...example.descriptor] };
  return { ...gallery, subjects: gallery.subjects.map((s) => (s.id === subjectId ? { ...s, examples: [...s.examples, full] } : s)) };
}

/** A new gallery without the example `exampleId` of `subjectId`. */
export function removeExample(gallery: Gallery, subjectId: string, exampleId: string): Gallery {
  return {
    ...gallery,
    subjects: gallery.subjects.map((s) => (s.id === subjectId ? { ...s, examples: s.examples.filter((e) => e.id !== exampleId) } : s)),
  };
}

function assertDescriptor(descriptor: unknown): asserts descriptor is number[] {
  if (!Array.isArray(descriptor) || descriptor.length !== DESCRIPTOR_LENGTH || !descriptor.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`gallery: a descriptor must be ${DESCRIPTOR_LENGTH} finite numbers`);
  }
}

/**
 * Checks that `value` (e.g. parsed JSON) is a gallery; returns it typed or throws an Error saying
 * the first thing that is wrong.
 */
export function parseGallery(value: unknown): Gallery {
  const fail = (what: string): never => {
    throw new Error(`gallery: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('expected an object');
  const g = value as Record<string, unknown>;
  if (g.version !== 1) fail('version must be 1');
  if (g.threshold !== undefined && (typeof g.threshold !== 'number' || !(g.threshold > 0))) fail('threshold must be a positive number');
  if (!Array.isArray(g.subjects)) return fail('subjects must be an array');
  g.subjects.forEach((s: unknown, i) => {
    const subject = s as Record<string, unknown> | null;
    if (typeof subject !== 'object' || subject === null) fail(`subjects[${i}] must be an object`);
    if (typeof subject?.id !== 'string' || typeof subject.name !== 'string') fail(`subjects[${i}] needs a string id and name`);
    if (!Array.isArray(subject?.examples)) fail(`subjects[${i}].examples must be an array`);
    (subject?.examples as unknown[]).forEach((e: unknown, j) => {
      const example = e as Record<string, unknown> | null;
      if (typeof example?.id !== 'string') fail(`subjects[${i}].examples[${j}] needs a string id`);
      if (example?.sha256 !== undefined && (typeof example.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(example.sha256))) fail(`subjects[${i}].examples[${j}].sha256 must be 64 hex digits`);
      try {
        assertDescriptor(example?.descriptor);
      } catch {
        fail(`subjects[${i}].examples[${j}].descriptor must be ${DESCRIPTOR_LENGTH} finite numbers`);
      }
    });
  });
  return value as Gallery;
}
