/**
 * `facefleet recognize` on many files, as a real process: 1,000 paths on the command line (about
 * 70 KB: onnxruntime-node crashes creating a session in a process whose command line passes ~28 KB,
 * so the CLI must never load the model with such a command line), the same list on standard input
 * (`--files -`), a folder, and a missing file among good ones.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runFacefleet } from '../../support/cli.ts';
import { makeCourseCrops } from '../../support/faceCrops.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const dir = makeTempDir('recognize-many');
const folder = dir.file('a-folder-with-a-rather-long-name-so-that-paths-are-long', 'course-photos');
let paths: string[] = [];

before(async () => {
  mkdirSync(folder, { recursive: true });
  const crops = await makeCourseCrops(100);
  crops.forEach((crop, i) => writeFileSync(`${folder}/test_${String(i).padStart(3, '0')}.jpg`, crop.bytes));
  paths = Array.from({ length: 1000 }, (_, i) => `${folder}/test_${String(i % 100).padStart(3, '0')}.jpg`);
});
after(() => dir.cleanup());

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string; faces: unknown[] });

describe('given 100 64×64 face photos in a folder', () => {
  it('when 1,000 paths (over 70 KB) are given on the command line, then every one is answered with a face and the exit code is 0', async () => {
    assert.ok(paths.join(' ').length > 70_000);
    const run = await runFacefleet(['recognize', ...paths]);
    assert.equal(run.code, 0, run.stderr);
    const out = lines(run.stdout);
    assert.equal(out.length, 1000);
    assert.deepEqual(out.map((o) => o.file), paths.map((p) => p.slice(folder.length + 1)));
    assert.deepEqual(out.filter((o) => o.label === 'no-face').map((o) => o.file), []);
  });

  it('when 300 paths come on standard input (--files -), then each is answered in order', async () => {
    const run = await runFacefleet(['recognize', '--files', '-'], { stdin: `${paths.slice(0, 300).join('\n')}\n` });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lines(run.stdout).map((o) => o.file), paths.slice(0, 300).map((p) => p.slice(folder.length + 1)));
  });

  it('when the folder itself is given, then its 100 photos are answered by name', async () => {
    const run = await runFacefleet(['recognize', folder]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lines(run.stdout).map((o) => o.file), Array.from({ length: 100 }, (_, i) => `test_${String(i).padStart(3, '0')}.jpg`));
  });

  it('when a missing file is among good ones, then it gets one line on stderr, the others are answered, and the exit code is 1', async () => {
    const run = await runFacefleet(['recognize', paths[0] as string, dir.file('nope.jpg'), paths[1] as string]);
    assert.equal(run.code, 1);
    assert.equal(lines(run.stdout).length, 2);
    assert.match(run.stderr, /^facefleet recognize: .*nope\.jpg: no such file\n$/);
  });

  it('when --files names a list that does not exist, then a one-line usage error and exit 2', async () => {
    const run = await runFacefleet(['recognize', '--files', dir.file('no-list.txt')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^facefleet recognize: cannot read the file list .*no-list\.txt: ENOENT\n$/);
  });
});
