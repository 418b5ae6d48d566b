/**
 * The web tier's face model runs in a worker thread (app/threadedFaceModel.ts): it gives what the
 * in-process model gives, its input errors arrive as the same classes, and while it enrols the
 * calling thread's event loop stays free (event-loop utilisation, which the in-process model drives
 * towards 1 for the length of the inference).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { loadThreadedFaceModel, type ThreadedFaceModel } from '../../../app/threadedFaceModel.ts';
import { ImageTooLarge, InvalidImage, NoFaceFound } from '../../../model/errors.ts';
import { loadModel, type FaceModel } from '../../../model/index.ts';
import { demoPhoto } from '../../support/facefleetProcess.ts';

/** Event-loop utilisation of this thread while `work` runs (0: idle, 1: busy throughout). */
async function utilisationDuring(work: () => Promise<unknown>): Promise<number> {
  const start = performance.eventLoopUtilization();
  await work();
  return performance.eventLoopUtilization(start).utilization;
}

describe('given the face model in a worker thread', () => {
  let threaded: ThreadedFaceModel;
  let local: FaceModel;
  before(async () => {
    threaded = await loadThreadedFaceModel({ maxPixels: 4_000_000 });
    local = await loadModel({ maxPixels: 4_000_000 });
  });
  after(() => threaded.close());

  it('when a demo photo is enrolled, then the descriptor and box equal the in-process model’s', async () => {
    const bytes = readFileSync(demoPhoto(1));
    const [there, here] = await Promise.all([threaded.enrolFace(bytes), local.enrolFace(bytes)]);
    assert.deepEqual(there.box, here.box);
    assert.equal(there.faceCount, here.faceCount);
    const gap = Math.max(...there.descriptor.map((v, i) => Math.abs(v - (here.descriptor[i] as number))));
    assert.ok(gap < 1e-6, `descriptor gap ${gap}`);
  });

  it('when the input is bad, then the model’s own error classes come back: InvalidImage, ImageTooLarge, NoFaceFound', async () => {
    await assert.rejects(threaded.enrolFace(new Uint8Array([1, 2, 3, 4])), InvalidImage);
    const huge = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#777' } }).jpeg().toBuffer();
    await assert.rejects(threaded.enrolFace(huge), ImageTooLarge);
    const blank = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#777' } }).jpeg().toBuffer();
    await assert.rejects(threaded.enrolFace(blank), NoFaceFound);
  });

  it('when three photos are enrolled, then this thread’s event loop stays mostly idle, unlike with the in-process model', async () => {
    const photos = [2, 3, 4].map((n) => readFileSync(demoPhoto(n)));
    const offThread = await utilisationDuring(async () => {
      for (const bytes of photos) await threaded.enrolFace(bytes);
    });
    const inProcess = await utilisationDuring(async () => {
      for (const bytes of photos) await local.enrolFace(bytes);
    });
    process.stdout.write(`# event-loop utilisation while enrolling: worker thread ${offThread.toFixed(2)}, in process ${inProcess.toFixed(2)}\n`);
    assert.ok(offThread < 0.3, `event loop busy ${Math.round(offThread * 100)} % of the enrolment`);
    assert.ok(inProcess > offThread, 'the in-process model does occupy the event loop (the comparison means something)');
  });

  it('when it is closed, then a further call is refused with a clear error', async () => {
    const spare = await loadThreadedFaceModel({});
    await spare.close();
    await assert.rejects(spare.enrolFace(readFileSync(demoPhoto(1))), /face model thread was closed/);
  });
});
