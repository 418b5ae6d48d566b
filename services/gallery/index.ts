/**
 * The gallery use cases: subjects (people) and their example faces. Enrolling runs the face model
 * on each example photo and keeps the descriptor of the largest face, plus a JPEG crop of that face
 * for thumbnails. Every change is a read → change → write of the gallery document, serialised.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Blobs } from '../../adapters/ports.ts';
import { NoFaceError, NotFoundError, ValidationError } from '../errors.ts';
import { addExample, addSubject, parseGallery, removeExample, removeSubject, type Gallery, type GalleryExample, type GallerySubject } from '../../model/gallery.ts';
import type { EnrolledFace } from '../../model/index.ts';
import type { Clock } from '../clock.ts';
import { blobKeys } from '../blobKeys.ts';
import { checkFileCount, checkImage, uploadBytes, type UploadFile, type UploadLimits } from '../uploads/uploads.ts';
import { cropFace, type FaceBox } from '../../model/faceCrop.ts';
import { loadGallery, updateGallery } from './galleryStore.ts';

export { loadGallery, saveGallery, updateGallery } from './galleryStore.ts';
export type { Gallery, GalleryExample, GallerySubject } from './galleryStore.ts';

/** What enrolment needs of the face model. */
export interface FaceModelLike {
  enrolFace(imageBytes: Uint8Array, options?: { detector?: 'ssd' | 'tiny' }): Promise<EnrolledFace>;
}

export interface GalleryServiceDeps {
  blobs: Blobs;
  clock: Clock;
  limits: UploadLimits;
  detector: 'ssd' | 'tiny';
  /** The match threshold a new gallery document starts with. */
  threshold?: number;
  /** Loads the face model; default: the real one, imported on first use. */
  loadModel?: () => Promise<FaceModelLike>;
}

export interface ExampleView {
  id: string;
  box: FaceBox | null;
  sourceName: string | null;
  /** sha256 (hex) of the enrolled photo, null for examples enrolled before it was recorded. */
  sha256: string | null;
}

export interface SubjectView {
  id: string;
  name: string;
  exampleCount: number;
  examples: ExampleView[];
}

function subjectView(subject: GallerySubject): SubjectView {
  return {
    id: subject.id,
    name: subject.name,
    exampleCount: subject.examples.length,
    examples: subject.examples.map((e) => ({ id: e.id, box: e.box ?? null, sourceName: e.sourceName ?? null, sha256: e.sha256 ?? null })),
  };
}

/**
 * Checks a subject name and returns it normalised: NFC, trimmed, 1–100 characters, none of them a
 * control or format character (zero-width, bidi overrides: look-alike names) and no `:` (it would
 * break the classic `<file>:<name>` answer).
 */
export function checkSubjectName(name: unknown): string {
  if (typeof name !== 'string') throw new ValidationError('The body must be JSON { "name": "<1 to 100 characters>" }.');
  const normalised = name.normalize('NFC').trim();
  if (normalised.length < 1 || normalised.length > 100) throw new ValidationError('A subject name must be 1 to 100 characters long.');
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(normalised)) throw new ValidationError('A subject name must not contain control, formatting or invisible characters (such as zero-width or bidi marks).');
  if (normalised.includes(':')) throw new ValidationError('A subject name must not contain ":" (classic answers are <file>:<name>).');
  return normalised;
}

function findSubject(gallery: Gallery, subjectId: string): GallerySubject {
  const subject = gallery.subjects.find((s) => s.id === subjectId);
  if (!subject) throw new NotFoundError(`There is no subject ${JSON.stringify(subjectId)} in the gallery.`);
  return subject;
}

const isNoFace = (error: unknown) => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'no-face';

/** The gallery use cases over one blob store. */
export function createGalleryService(deps: GalleryServiceDeps) {
  const storeOptions = deps.threshold === undefined ? {} : { threshold: deps.threshold };
  let model: Promise<FaceModelLike> | undefined;
  const getModel = () => {
    model ??= (deps.loadModel ?? defaultLoadModel)();
    model.catch(() => (model = undefined)); // a failed load is retried next time
    return model;
  };

  return {
    /** Every subject with its examples (no descriptors). */
    async listSubjects(): Promise<{ threshold: number | null; subjects: SubjectView[] }> {
      const gallery = await loadGallery(deps.blobs, storeOptions);
      return { threshold: gallery.threshold ?? null, subjects: gallery.subjects.map(subjectView) };
    },

    /** Adds a subject; ValidationError for a bad or duplicate name. */
    createSubject(name: unknown): Promise<SubjectView> {
      const checked = checkSubjectName(name);
      return updateGallery(
        deps.blobs,
        (gallery) => {
          if (gallery.subjects.some((s) => s.name.toLowerCase() === checked.toLowerCase())) {
            throw new ValidationError(`A subject named ${JSON.stringify(checked)} already exists.`);
          }
          const id = deps.clock.newId();
          const next = addSubject(gallery, { id, name: checked });
          return { gallery: next, value: subjectView(findSubject(next, id)) };
        },
        storeOptions,
      );
    },

    /** Removes a subject and its example crops; NotFoundError when absent. */
    async deleteSubject(subjectId: string): Promise<void> {
      const removed = await updateGallery(
        deps.blobs,
        (gallery) => ({ gallery: removeSubject(gallery, subjectId), value: findSubject(gallery, subjectId) }),
        storeOptions,
      );
      await Promise.all(removed.examples.map((e) => deleteCrop(deps.blobs, e.id)));
    },

    /**
     * Enrols each photo as an example of the subject: the largest face's descriptor and a crop of
     * it. All or nothing: a photo without a face (422), of the wrong type (415) or too large (413)
     * refuses the whole request and nothing is saved. A photo the subject already has (same
     * sha256) is not enrolled again: its existing example is answered with `duplicate: true`.
     */
    async addExamples(subjectId: string, files: readonly UploadFile[]): Promise<Array<ExampleView & { faceCount: number; duplicate: boolean }>> {
      checkFileCount(files.length, deps.limits, 'file');
      for (const file of files) await checkImage(file, deps.limits);
      const known = findSubject(await loadGallery(deps.blobs, storeOptions), subjectId).examples; // 404 before running the model
      const faceModel = await getModel();
      const enrolled: Array<{ id: string; face: EnrolledFace; crop: Buffer; sourceName: string; sha256: string }> = [];
      const duplicates: Array<ExampleView & { faceCount: number; duplicate: boolean }> = [];
      for (const file of files) {
        const bytes = await uploadBytes(file);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const stored = known.find((e) => e.sha256 === sha256);
        if (stored) {
          duplicates.push({ id: stored.id, box: stored.box ?? null, sourceName: stored.sourceName ?? null, sha256, faceCount: 1, duplicate: true });
          continue;
        }
        if (enrolled.some((e) => e.sha256 === sha256)) continue; // the same photo twice in one request
        let face: EnrolledFace;
        try {
          face = await faceModel.enrolFace(bytes, { detector: deps.detector });
        } catch (error) {
          if (isNoFace(error)) throw new NoFaceError(`No face was found in ${JSON.stringify(file.fileName)}.`);
          throw error;
        }
        enrolled.push({ id: deps.clock.newId(), face, crop: await cropFace(bytes, face.box), sourceName: file.fileName, sha256 });
      }
      const putCrops = enrolled.map((e) => deps.blobs.put(blobKeys.galleryExample(e.id), e.crop, { contentType: 'image/jpeg' }));
      let raced: Map<string, GalleryExample>;
      try {
        await Promise.all(putCrops);
        raced = await updateGallery(
          deps.blobs,
          (gallery) => {
            // The subject may have been deleted (→ 404) or given the same photo by a concurrent request meanwhile.
            const stored = new Map(findSubject(gallery, subjectId).examples.flatMap((e) => (e.sha256 ? [[e.sha256, e] as const] : [])));
            const taken = new Map<string, GalleryExample>();
            let next = gallery;
            for (const e of enrolled) {
              const already = stored.get(e.sha256);
              if (already) taken.set(e.id, already);
              else next = addExample(next, subjectId, { id: e.id, descriptor: e.face.descriptor, box: e.face.box, sourceName: e.sourceName, sha256: e.sha256 });
            }
            return { gallery: next, value: taken };
          },
          storeOptions,
        );
      } catch (error) {
        await Promise.allSettled(putCrops);
        await Promise.all(enrolled.map((e) => deleteCrop(deps.blobs, e.id)));
        throw error;
      }
      await Promise.all([...raced.keys()].map((id) => deleteCrop(deps.blobs, id)));
      const answers = enrolled.map((e) => {
        const already = raced.get(e.id);
        return already
          ? { id: already.id, box: already.box ?? null, sourceName: already.sourceName ?? null, sha256: e.sha256, faceCount: e.face.faceCount, duplicate: true }
          : { id: e.id, box: e.face.box, sourceName: e.sourceName, sha256: e.sha256, faceCount: e.face.faceCount, duplicate: false };
      });
      return [...answers, ...duplicates];
    },

    /** The whole gallery document, descriptors included (for `facefleet gallery export`). */
    exportGallery(): Promise<Gallery> {
      return loadGallery(deps.blobs, storeOptions);
    },

    /**
     * Merges a gallery document into the stored one: subjects matched by name (case-insensitive),
     * created when absent; an example is added unless the subject already has one with the same id
     * or the same photo (sha256). ValidationError when `document` is not a gallery.
     */
    mergeGallery(document: unknown): Promise<{ subjectsAdded: number; examplesAdded: number; examplesSkipped: number }> {
      let incoming: Gallery;
      try {
        incoming = parseGallery(document);
      } catch (error) {
        throw new ValidationError(`The body is not a gallery document: ${error instanceof Error ? error.message : String(error)}`);
      }
      for (const subject of incoming.subjects) checkSubjectName(subject.name);
      return updateGallery(
        deps.blobs,
        (gallery) => {
          let next = gallery;
          const counts = { subjectsAdded: 0, examplesAdded: 0, examplesSkipped: 0 };
          for (const subject of incoming.subjects) {
            const name = checkSubjectName(subject.name);
            let target = next.subjects.find((s) => s.name.toLowerCase() === name.toLowerCase());
            if (!target) {
              const id = deps.clock.newId();
              next = addSubject(next, { id, name });
              target = findSubject(next, id);
              counts.subjectsAdded += 1;
            }
            const ids = new Set(next.subjects.flatMap((s) => s.examples.map((e) => e.id)));
            const photos = new Set(target.examples.flatMap((e) => (e.sha256 ? [e.sha256] : [])));
            for (const example of subject.examples) {
              if (ids.has(example.id) || (example.sha256 && photos.has(example.sha256))) {
                counts.examplesSkipped += 1;
                continue;
              }
              next = addExample(next, target.id, example);
              ids.add(example.id);
              if (example.sha256) photos.add(example.sha256);
              counts.examplesAdded += 1;
            }
          }
          return { gallery: counts.subjectsAdded + counts.examplesAdded > 0 ? next : gallery, value: counts };
        },
        storeOptions,
      );
    },

    /** Removes one example and its crop; NotFoundError when the subject or example is absent. */
    async deleteExample(subjectId: string, exampleId: string): Promise<void> {
      await updateGallery(
        deps.blobs,
        (gallery) => {
          const subject = findSubject(gallery, subjectId);
          if (!subject.examples.some((e) => e.id === exampleId)) throw new NotFoundError(`Subject ${JSON.stringify(subjectId)} has no example ${JSON.stringify(exampleId)}.`);
          return { gallery: removeExample(gallery, subjectId, exampleId), value: undefined };
        },
        storeOptions,
      );
      await deleteCrop(deps.blobs, exampleId);
    },

    /** The JPEG crop of one example's face. */
    async exampleImage(subjectId: string, exampleId: string): Promise<{ contentType: string; body: Readable }> {
      const subject = findSubject(await loadGallery(deps.blobs, storeOptions), subjectId);
      if (!subject.examples.some((e) => e.id === exampleId)) throw new NotFoundError(`Subject ${JSON.stringify(subjectId)} has no example ${JSON.stringify(exampleId)}.`);
      try {
        return { contentType: 'image/jpeg', body: await deps.blobs.get(blobKeys.galleryExample(exampleId)) };
      } catch (error) {
        if (error instanceof NotFoundError) throw new NotFoundError(`The image of example ${JSON.stringify(exampleId)} is not stored.`);
        throw error;
      }
    },
  };
}

export type GalleryService = ReturnType<typeof createGalleryService>;

async function deleteCrop(blobs: Blobs, exampleId: string): Promise<void> {
  // Ids written by older tools may not be key-safe; such examples never had a crop.
  let key: string;
  try {
    key = blobKeys.galleryExample(exampleId);
  } catch {
    return;
  }
  await blobs.delete(key).catch(() => undefined);
}

async function defaultLoadModel(): Promise<FaceModelLike> {
  const model = await import('../../model/index.ts');
  return model.loadModel();
}
