/**
 * The gallery document in the blob store (`blobKeys.gallery()`): read by every worker before a job,
 * written only by the web tiers. An update is a compare-and-swap: read the document and its
 * version, change it, write it only if it is still at that version (S3 If-Match / If-None-Match; a
 * lock file on the file system), else read again and redo the change. So several web processes
 * enrolling at once never lose one another's examples. Within one process updates are also
 * serialised, which keeps the retries for writers in other processes.
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
const maxAttempts = 20;

/**
 * Reads the gallery, applies `change` and saves the result if nobody else saved in between (else
 * reads again and applies `change` again: it may run more than once, so it must only compute), one
 * update at a time per blob store in this process. `change` may throw to abort (nothing is saved);
 * returning the same object saves nothing. Resolves with what `change` returned.
 */
export function updateGallery<T>(
  blobs: Blobs,
  change: (gallery: Gallery) => { gallery: Gallery; value: T } | Promise<{ gallery: Gallery; value: T }>,
  options: { threshold?: number } = {},
): Promise<T> {
  const previous = writeChains.get(blobs) ?? Promise.resolve();
  const run = previous.then(async () => {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await blobs.getVersioned(blobKeys.gallery());
      const current = stored ? parseGallery(JSON.parse(stored.bytes.toString('utf8'))) : emptyGallery(options.threshold);
      const { gallery, value } = await change(current);
      if (gallery === current) return value;
      const written = await blobs.putIfVersion(blobKeys.gallery(), Buffer.from(JSON.stringify(gallery)), stored?.version, { contentType: 'application/json' });
      if (written) return value;
      // Another process wrote first: redo the change on what it wrote.
      if (attempt >= maxAttempts) throw new Error(`the gallery changed under ${maxAttempts} updates in a row; try again`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  });
  writeChains.set(
    blobs,
    run.catch(() => undefined),
  );
  return run;
}
