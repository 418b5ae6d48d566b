/**
 * The gallery API of a running facefleet server (client/api.ts) as a `GalleryTarget` for the bulk
 * import, plus the whole-gallery export and import. A 4xx answer to a photo is that photo's refusal
 * (its message is the reason); anything else is the server failing (`ApiError`).
 */
import { ApiError, createApiClient, type ApiOptions } from './api.ts';
import { PhotoRefused, type GalleryTarget, type TargetSubject } from './galleryImport.ts';

/** Runs `call`; an ApiError whose status is in `refusals` becomes a PhotoRefused with `say(reason)`. */
async function refusing<T>(call: () => Promise<T>, refusals: (error: ApiError) => boolean, say = (reason: string) => reason): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError && refusals(error)) throw new PhotoRefused(say(error.reason));
    throw error;
  }
}

/** The running server at `options.url` as an import target. */
export function httpGalleryTarget(options: ApiOptions): GalleryTarget {
  const { gallery } = createApiClient(options);
  return {
    async listSubjects(): Promise<TargetSubject[]> {
      return (await gallery.listSubjects()).map((s) => ({ id: s.id, name: s.name, photos: new Set((s.examples ?? []).flatMap((e) => (e.sha256 ? [e.sha256] : []))) }));
    },
    createSubject: (name) =>
      refusing(
        () => gallery.createSubject(name),
        (e) => e.status === 400 || e.status === 422,
        (reason) => `the name ${JSON.stringify(name)} was refused: ${reason}`,
      ),
    deleteSubject: (subjectId) => gallery.deleteSubject(subjectId),
    async addPhoto(subjectId, photo) {
      await refusing(() => gallery.addExamples(subjectId, [{ fileName: photo.fileName, bytes: photo.bytes }]), (e) => e.refused);
    },
  };
}

/** The whole gallery document (subjects, examples with descriptors) of the server. */
export async function exportGalleryOverHttp(options: ApiOptions): Promise<unknown> {
  return createApiClient(options).gallery.exportGallery();
}

/** Merges a gallery document into the server's; answers what was added. */
export async function importGalleryOverHttp(options: ApiOptions, gallery: unknown): Promise<{ subjectsAdded: number; examplesAdded: number; examplesSkipped: number }> {
  return refusing(() => createApiClient(options).gallery.importGallery(gallery), (e) => e.status === 400 || e.status === 413);
}
