/**
 * The worker's seams to the model and the gallery, loaded lazily (the model pulls in onnxruntime
 * and sharp; `facefleet --help` and the supervisor must not).
 */
import type { Blobs } from '../../adapters/ports.ts';
import type { Gallery } from '../../model/index.ts';
import type { Recognizer } from './processMessage.ts';

/** Loads the face model once and wraps it as a Recognizer. */
export async function loadRecognizer(options: { threads?: number; maxPixels?: number } = {}): Promise<Recognizer> {
  const model = await import('../../model/index.ts');
  const started = performance.now();
  const face = await model.loadModel(options);
  const loadTimeMs = performance.now() - started;
  return {
    loadTimeMs,
    recognize: (bytes, gallery, opts) => face.recognize(bytes, gallery, opts),
    label: (result, opts) => model.classicLabel(result, opts),
    async verify(a, b, opts) {
      const left = await face.analyse(a, { detector: opts.detector });
      const right = 'photo' in b ? { photo: await face.analyse(b.photo, { detector: opts.detector }) } : b;
      return model.verifyFaces(left, right, opts.threshold);
    },
  };
}

/**
 * Reads the current gallery for every job, cached by the gallery blob's size and metadata so an
 * unchanged gallery is not parsed again, while any change is seen by the next job.
 */
export function galleryReader(blobs: Blobs): () => Promise<Gallery> {
  let cached: { stamp: string; gallery: Gallery } | undefined;
  let loader: ((blobs: Blobs) => Promise<Gallery>) | undefined;
  return async () => {
    if (!loader) {
      const mod = (await import('../gallery/galleryStore.ts')) as { loadGallery: (blobs: Blobs) => Promise<Gallery> };
      loader = mod.loadGallery;
    }
    const { blobKeys } = await import('../blobKeys.ts');
    const info = await blobs.head(blobKeys.gallery());
    // Without a version in the metadata we cannot tell an edit of equal size apart: read every time.
    const stamp = info && Object.keys(info.metadata).length ? JSON.stringify([info.size, info.metadata]) : undefined;
    if (stamp && cached?.stamp === stamp) return cached.gallery;
    const gallery = await loader(blobs);
    cached = stamp ? { stamp, gallery } : undefined;
    return gallery;
  };
}
