/**
 * Gallery updates from several processes at once: each web process has its own blob store handle
 * (two handles on one folder here, so the in-process serialisation does not help), and every update
 * is a compare-and-swap that reads again and redoes its change when another writer got there first.
 * No update may be lost.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createFsBlobs } from '../../../adapters/embedded/fsBlobs.ts';
import { addSubject } from '../../../model/gallery.ts';
import { loadGallery, updateGallery } from '../../../services/gallery/galleryStore.ts';
import { makeTempDir } from '../../support/tempDir.ts';

describe('given two web processes updating one gallery', () => {
  const dir = makeTempDir('gallery-writers');
  after(() => dir.cleanup());

  it('when each adds 15 subjects at the same time, then all 30 are in the stored gallery', async () => {
    const processes = [createFsBlobs({ dir: dir.path }), createFsBlobs({ dir: dir.path })];
    await Promise.all(
      processes.flatMap((blobs, p) =>
        Array.from({ length: 15 }, (_, i) =>
          updateGallery(blobs, (gallery) => {
            return { gallery: addSubject(gallery, { id: `s-${p}-${i}`, name: `person ${p}-${i}` }), value: undefined };
          }),
        ),
      ),
    );
    const stored = await loadGallery(processes[0]!);
    assert.equal(stored.subjects.length, 30, `subjects: ${stored.subjects.map((s) => s.name).join(', ')}`);
  });

  it('when one reads, the other writes, then the first writes, then the first redoes its change on the new document', async () => {
    const [a, b] = [createFsBlobs({ dir: dir.file('race') }), createFsBlobs({ dir: dir.file('race') })];
    let bRuns = 0;
    let releaseB!: () => void;
    const aWrote = new Promise<void>((resolve) => (releaseB = resolve));
    let bRead!: () => void;
    const bHasRead = new Promise<void>((resolve) => (bRead = resolve));
    const bUpdate = updateGallery(b, async (gallery) => {
      bRuns += 1;
      if (bRuns === 1) {
        bRead(); // b has read the old document; a writes meanwhile
        await aWrote;
      }
      return { gallery: addSubject(gallery, { id: 'b', name: 'bea' }), value: undefined };
    });
    await bHasRead;
    await updateGallery(a, (gallery) => ({ gallery: addSubject(gallery, { id: 'a', name: 'ann' }), value: undefined }));
    releaseB();
    await bUpdate;
    assert.equal(bRuns, 2, 'b lost the race once and redid its change');
    assert.deepEqual((await loadGallery(a)).subjects.map((s) => s.name).sort(), ['ann', 'bea']);
  });
});
