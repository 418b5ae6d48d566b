/**
 * Blob keys. Always ours, never a user's file name (two uploads named alike must not collide, and a
 * name like `../../etc/passwd` must not become a path).
 */
import { isId } from '../machines/index.ts';

function checked(id: string): string {
  if (!isId(id)) throw new Error(`not a safe id for a blob key: ${JSON.stringify(id)}`);
  return id;
}

export const blobKeys = {
  /** The uploaded image of a job. */
  image: (jobId: string) => `images/${checked(jobId)}`,
  /** The second photo of a verification job. */
  secondImage: (jobId: string) => `images/${checked(jobId)}-b`,
  /**
   * The recognition result (JSON) of one attempt of a job. Per attempt, so a late attempt whose
   * completion the machine refuses can never overwrite the result JobCompleted points at.
   */
  result: (jobId: string, attempt: number) => `results/${checked(jobId)}/${Math.trunc(attempt)}.json`,
  /** The gallery document (subjects and their example descriptors). */
  gallery: () => 'gallery/gallery.json',
  /** The photo of one gallery example. */
  galleryExample: (exampleId: string) => `gallery/examples/${checked(exampleId)}`,
};
