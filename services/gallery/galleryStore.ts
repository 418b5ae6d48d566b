/**
 * The gallery document in the blob store (`blobKeys.gallery()`): read by every worker before a job,
 * written only by the web tier. Writes within one process are serialised, so two enrolments at
 * once never lose one another's examples (read → change → write happens one at a time).
 */
import type { Blobs } from '../../adapters/ports.ts';
import { NotFoundError } from '../../machines/index.ts';
import { emptyGallery, parseGallery, type Gallery } from '../../model/gallery.ts';
import { blobKeys } from '../blobKeys.ts';

export type { Gallery, GalleryExample, GallerySubject } from '../../model/gallery.ts';

/**
 * The stored gallery, or an empty one when none was saved yet. Throws when the stored document is
 * not a valid gallery (a damaged gallery must be noticed, not silently emptied).
 */
export async function loadGallery(blobs: Blobs, options: { threshold?: number } = {}): Promise<Gallery> {
  let bytes: Buffer;
  try {
    bytes = await blobs.getBytes(blobKeys.gallery());
  } catch (error) {
    if (error instanceof NotFoundError) return emptyGallery(options.threshold);
    throw error;
  }
  return parseGallery(JSON.parse(bytes.toString('utf8')));
}

/** Stores the gallery (atomically: readers see the old document or the new one). */
export async function saveGallery(blobs: Blobs, gallery: Gallery): Promise<void> {
  await blobs.put(blobKeys.gallery(), Buffer.from(JSON.stringify(gallery)), { contentType: 'application/json' });
}

const writeChains = new WeakMap<Blobs, Promise<unknown>>();

/**
 * Reads the gallery, applies `change` and saves the result, one update at a time per blob store in
 * this process. `change` may throw to abort (nothing is saved); returning the same object saves
 * nothing. Resolves with what `change` returned.
 */
export function updateGallery<T>(
  blobs: Blobs,
  change: (gallery: Gallery) => { gallery: Gallery; value: T } | Promise<{ gallery: Gallery; value: T }>,
  options: { threshold?: number } = {},
): Promise<T> {
  const previous = writeChains.get(blobs) ?? Promise.resolve();
  const run = previous.then(async () => {
    const current = await loadGallery(blobs, options);
    const { gallery, value } = await change(current);
    if (gallery !== current) await saveGallery(blobs, gallery);
    return value;
  });
  writeChains.set(
    blobs,
    run.catch(() => undefined),
  );
  return run;
}
