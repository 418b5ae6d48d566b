/**
 * Enrolling one chosen face of a finished job as an example of a subject ("Add to person…" on a
 * result page): the face the user picked, not the largest. The job's stored result already holds
 * that face's descriptor and box, so no model runs: the descriptor is kept as it is and the
 * thumbnail is cropped from the job's stored image. The same face of the same photo is enrolled
 * once per subject (its identity is the photo's sha256 with the face's index).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Blobs, EventStore } from '../../adapters/ports.ts';
import { idPattern } from '../../machines/index.ts';
import { addExample, type GalleryExample } from '../../model/gallery.ts';
import { cropFace } from '../../model/faceCrop.ts';
import type { Clock } from '../clock.ts';
import { blobKeys } from '../blobKeys.ts';
import { str } from '../contextFields.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { getJobRow } from '../jobs/getJob.ts';
import { updateGallery } from './galleryStore.ts';

export interface EnrolFromJobDeps {
  store: EventStore;
  blobs: Blobs;
  clock: Clock;
  threshold?: number;
}

/** The body of `POST /v1/gallery/subjects/:id/examples/from-job` (also in the API description). */
export const enrolFromJobRequestSchema = z.object({
  jobId: z.string().regex(idPattern, 'jobId must be a job id'),
  faceIndex: z.number().int('faceIndex must be a whole number').min(0, 'faceIndex must be 0 or more').max(10_000, 'faceIndex is too large'),
});

const storedFaceSchema = z.object({
  box: z.object({ x: z.number(), y: z.number(), width: z.number().positive(), height: z.number().positive() }),
  descriptor: z.array(z.number()).length(128),
});

export interface EnrolledFromJob {
  id: string;
  box: { x: number; y: number; width: number; height: number };
  sourceName: string;
  sha256: string;
  /** True when this face was already an example of the subject (nothing was added). */
  duplicate: boolean;
}

/** Checks the body `{ jobId, faceIndex }`; ValidationError (400) in one sentence. */
export function parseEnrolFromJob(body: unknown): { jobId: string; faceIndex: number } {
  const parsed = enrolFromJobRequestSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(`The body must be JSON { "jobId": "<id>", "faceIndex": <0…> }: ${parsed.error.issues[0]?.message ?? 'not valid'}.`);
  return parsed.data;
}

/**
 * Adds face `faceIndex` of job `jobId` to subject `subjectId`. NotFoundError for an unknown job or
 * subject; ValidationError when the job is not done or has no such face.
 */
export async function enrolFaceFromJob(deps: EnrolFromJobDeps, subjectId: string, body: unknown): Promise<EnrolledFromJob> {
  const { jobId, faceIndex } = parseEnrolFromJob(body);
  const row = await getJobRow(deps.store, jobId);
  const resultKey = str(row.context.resultKey);
  const imageKey = str(row.context.imageKey);
  if (row.state !== 'done' || !resultKey || !imageKey) throw new ValidationError(`The job ${JSON.stringify(jobId)} is ${row.state}: only a finished job's faces can be enrolled.`);
  let faces: unknown[];
  try {
    const result = JSON.parse((await deps.blobs.getBytes(resultKey)).toString('utf8')) as { faces?: unknown };
    faces = Array.isArray(result.faces) ? result.faces : [];
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof SyntaxError) throw new NotFoundError(`The result of job ${JSON.stringify(jobId)} is no longer stored.`);
    throw error;
  }
  const face = storedFaceSchema.safeParse(faces[faceIndex]);
  if (faceIndex >= faces.length) throw new ValidationError(`The job ${JSON.stringify(jobId)} has ${faces.length} face${faces.length === 1 ? '' : 's'}: faceIndex must be below ${faces.length}.`);
  if (!face.success) throw new ValidationError(`Face ${faceIndex} of job ${JSON.stringify(jobId)} has no stored descriptor to enrol.`);

  let image: Buffer;
  try {
    image = await deps.blobs.getBytes(imageKey);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`The image of job ${JSON.stringify(jobId)} is no longer stored.`);
    throw error;
  }
  const sha256 = createHash('sha256').update(image).update(`#face${faceIndex}`).digest('hex');
  const sourceName = `${str(row.context.fileName) ?? jobId} (face ${faceIndex + 1})`;
  const id = deps.clock.newId();
  const { box, descriptor } = face.data;
  await deps.blobs.put(blobKeys.galleryExample(id), await cropFace(image, box), { contentType: 'image/jpeg' });
  let already: GalleryExample | undefined;
  try {
    already = await updateGallery(
      deps.blobs,
      (gallery) => {
        const subject = gallery.subjects.find((s) => s.id === subjectId);
        if (!subject) throw new NotFoundError(`There is no subject ${JSON.stringify(subjectId)} in the gallery.`);
        const stored = subject.examples.find((e) => e.sha256 === sha256);
        if (stored) return { gallery, value: stored };
        return { gallery: addExample(gallery, subjectId, { id, descriptor, box, sourceName, sha256 }), value: undefined };
      },
      deps.threshold === undefined ? {} : { threshold: deps.threshold },
    );
  } catch (error) {
    await deps.blobs.delete(blobKeys.galleryExample(id)).catch(() => undefined);
    throw error;
  }
  if (already) {
    await deps.blobs.delete(blobKeys.galleryExample(id)).catch(() => undefined);
    return { id: already.id, box: already.box ?? box, sourceName: already.sourceName ?? sourceName, sha256, duplicate: true };
  }
  return { id, box, sourceName, sha256, duplicate: false };
}
