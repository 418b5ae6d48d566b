/**
 * Submitting a 1:1 verification as a job (kind `verify`): photo `a` and either photo `b` or a gallery
 * subject. Everything is checked before anything is written (both photos by content, the subject in
 * the current gallery), then, as for any job: blobs → `JobSubmitted` → request message, so a crash
 * leaves at most unreferenced blobs or a queued job that `requeueOrphans` re-sends.
 */
import { emptyState, NotFoundError, streamName, ValidationError, type JobEventData, type NewEvent } from '../../machines/index.ts';
import { blobKeys } from '../blobKeys.ts';
import { isoNow } from '../clock.ts';
import { loadGallery } from '../gallery/galleryStore.ts';
import { propose } from '../streams/propose.ts';
import { checkImage, uploadBody, type UploadFile } from '../uploads/uploads.ts';
import type { RequestMessage } from './messages.ts';
import type { Detector, SubmitDeps, SubmittedJob } from './submitJobs.ts';

export interface VerifyInput {
  /** The photo whose largest face is verified. */
  a: UploadFile;
  /** The photo to compare with… */
  b?: UploadFile;
  /** …or the gallery subject to compare with (exactly one of the two). */
  subjectId?: string;
  detector?: Detector;
}

/** Checks the input and submits the verification job; throws ValidationError (400), NotFoundError (404) or an image error. */
export async function submitVerify(deps: SubmitDeps, input: VerifyInput): Promise<SubmittedJob> {
  const subjectId = input.subjectId === '' ? undefined : input.subjectId;
  if (input.b && subjectId !== undefined) throw new ValidationError('Send either a second photo in the multipart field "b" or a "subjectId", not both.');
  if (!input.b && subjectId === undefined) throw new ValidationError('Send a second photo in the multipart field "b" or a "subjectId" to compare the photo in "a" with.');
  const a = await checkImage(input.a, deps.limits);
  const b = input.b ? await checkImage(input.b, deps.limits) : undefined;
  if (subjectId !== undefined) {
    const subject = (await loadGallery(deps.blobs)).subjects.find((s) => s.id === subjectId);
    if (!subject) throw new NotFoundError(`There is no gallery subject ${JSON.stringify(subjectId.slice(0, 200))}.`);
    if (subject.examples.length === 0) throw new ValidationError(`The subject ${JSON.stringify(subject.name)} has no example faces to compare with; add one first.`);
  }

  const jobId = deps.clock.newId();
  const imageKey = blobKeys.image(jobId);
  const secondImageKey = b ? blobKeys.secondImage(jobId) : undefined;
  const data: JobEventData<'JobSubmitted'> = {
    jobId,
    imageKey,
    fileName: a.fileName,
    contentType: a.contentType,
    bytes: a.size,
    source: 'v1',
    maxAttempts: deps.maxAttempts,
    detector: input.detector ?? deps.detector,
    kind: 'verify',
    ...(secondImageKey ? { secondImageKey } : {}),
    ...(subjectId !== undefined ? { subjectId } : {}),
  };
  const event: NewEvent = { type: 'JobSubmitted', at: isoNow(deps.clock), data };
  const stream = streamName('job', jobId);
  try {
    await deps.blobs.put(imageKey, uploadBody(a), { contentType: a.contentType, metadata: { jobId } });
    if (b && secondImageKey) await deps.blobs.put(secondImageKey, uploadBody(b), { contentType: b.contentType, metadata: { jobId } });
    await propose(deps.store, stream, () => [event], { known: emptyState(stream), attempts: 1 });
  } catch (error) {
    await deps.blobs.delete(imageKey).catch(() => undefined);
    if (secondImageKey) await deps.blobs.delete(secondImageKey).catch(() => undefined);
    throw error;
  }
  try {
    await deps.requests.send(JSON.stringify({ jobId } satisfies RequestMessage));
  } catch (error) {
    deps.onWarning?.(`job ${jobId} was stored but its queue message could not be sent; requeueOrphans will re-send it`, error);
  }
  return { id: jobId, state: 'queued', fileName: a.fileName };
}
