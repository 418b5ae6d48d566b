import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { addExample, addSubject, emptyGallery, ImageTooLarge, InvalidImage, loadModel, recognize } from '../../../model/index.ts';
import { loadSessions, resolveThreads } from '../../../model/sessions.ts';
import { iou } from '../../../model/nms.ts';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const sample1 = join(demoDir, 'sample1.jpg');
const run = promisify(execFile);
const cli = join(process.cwd(), 'bin', 'facefleet.js');

describe('given the sessions', () => {
  it('when loaded twice, then the very same sessions are returned (one per net per process)', async () => {
    const [a, b] = await Promise.all([loadSessions(), loadSessions()]);
    assert.equal(a, b);
    assert.equal(await loadSessions(), a);
    assert.deepEqual(Object.keys(a).sort(), ['age_gender', 'face_expression', 'face_landmark_68', 'face_recognition', 'ssd_mobilenetv1', 'tiny_face_detector', 'tiny_face_detector_160', 'tiny_face_detector_96']);
  });

  it('when FACEFLEET_MODEL_THREADS is set, then it is the default thread count; an explicit option wins', () => {
    const saved = process.env.FACEFLEET_MODEL_THREADS;
    try {
      delete process.env.FACEFLEET_MODEL_THREADS;
      assert.equal(resolveThreads(), 1);
      process.env.FACEFLEET_MODEL_THREADS = '2';
      assert.equal(resolveThreads(), 2);
      assert.equal(resolveThreads(3), 3);
      process.env.FACEFLEET_MODEL_THREADS = 'lots';
      assert.equal(resolveThreads(), 1);
    } finally {
      if (saved === undefined) delete process.env.FACEFLEET_MODEL_THREADS;
      else process.env.FACEFLEET_MODEL_THREADS = saved;
    }
  });

  it('when the model is loaded, then it reports its load time', async () => {
    const model = await loadModel();
    assert.ok(model.loadTimeMs >= 0 && Number.isFinite(model.loadTimeMs));
  });
});

describe('given the module API', () => {
  it('when recognising a photo, then every face has a box, 68 landmarks, a 128-d descriptor, 7 expressions and a label', async () => {
    const bytes = await readFile(sample1);
    const model = await loadModel();
    const enrolled = await model.enrolFace(bytes, { detector: 'tiny' });
    const gallery = addExample(addSubject(emptyGallery(), { id: 'p1', name: 'Pat' }), 'p1', { descriptor: enrolled.descriptor });
    const result = await recognize(bytes, gallery, { detector: 'tiny' });
    assert.deepEqual([result.width, result.height], [1920, 1280]);
    assert.ok(result.faces.length >= 1);
    for (const face of result.faces) {
      assert.equal(face.landmarks.length, 68);
      assert.equal(face.descriptor.length, 128);
      assert.equal(Object.keys(face.expressions).length, 7);
      assert.ok(face.score > 0.5 && face.box.width > 0);
    }
    assert.equal(result.faces.filter((f) => f.label === 'Pat').length, 1);
  });

  it('when a photo is larger than maxSide, then it is shrunk on load and boxes come back in its own pixels', async () => {
    const bytes = await readFile(sample1);
    const model = await loadModel();
    const original = await model.analyse(bytes);
    const doubled = await sharp(bytes).resize({ width: 3840 }).jpeg({ quality: 95 }).toBuffer();
    const big = await model.analyse(doubled);
    assert.deepEqual([big.width, big.height], [3840, 2560]);
    assert.equal(big.faces.length, original.faces.length);
    for (const face of original.faces) {
      const scaled = { x: face.box.x * 2, y: face.box.y * 2, width: face.box.width * 2, height: face.box.height * 2 };
      assert.ok(big.faces.some((f) => iou(f.box, scaled) > 0.8), 'the same face, at twice the coordinates');
    }
  });

  it('when the bytes are bad, then the typed errors come out of recognize', async () => {
    const model = await loadModel();
    await assert.rejects(model.recognize(new Uint8Array(), emptyGallery()), InvalidImage);
    await assert.rejects(model.recognize(Buffer.from('GIF89a not really'), emptyGallery()), InvalidImage);
    const tooBig = await loadModel({ maxPixels: 1000 });
    await assert.rejects(tooBig.recognize(await readFile(sample1), emptyGallery()), ImageTooLarge);
  });
});

describe('given the recognize CLI command', () => {
  let dir: string;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('when run on a photo with a gallery, then one JSON line naming the file and its faces', async () => {
    dir = await mkdtemp(join(tmpdir(), 'facefleet-recognize-'));
    const model = await loadModel();
    const { descriptor } = await model.enrolFace(await readFile(sample1));
    const galleryFile = join(dir, 'gallery.json');
    await writeFile(galleryFile, JSON.stringify(addExample(addSubject(emptyGallery(), { id: 's', name: 'Sam' }), 's', { descriptor })));
    const bad = join(dir, 'notes.jpg');
    await writeFile(bad, 'not an image');

    const { stdout } = await run(process.execPath, [cli, 'recognize', sample1, '--gallery', galleryFile, '--detector', 'ssd']);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const parsed = JSON.parse(lines[0] as string) as { file: string; label: string; faces: { label: string }[] };
    assert.equal(parsed.file, 'sample1.jpg');
    assert.equal(parsed.label, 'Sam');
    assert.ok(parsed.faces.length >= 1);

    await assert.rejects(run(process.execPath, [cli, 'recognize', bad]), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.equal(error.stderr.trim().split('\n').length, 1);
      assert.match(error.stderr, /notes\.jpg: The file is not a JPEG, PNG or WebP image\./);
      return true;
    });
  });

  it('when a flag is wrong, then a usage error and exit 2', async () => {
    for (const args of [['--detector', 'yolo', sample1], ['--threshold', '-1', sample1], ['--frobnicate', sample1], []]) {
      await assert.rejects(run(process.execPath, [cli, 'recognize', ...args]), (error: { code: number }) => {
        assert.equal(error.code, 2, args.join(' '));
        return true;
      });
    }
  });
});
