/**
 * `facefleet gallery` as a real process against a data dir (no server): import from person
 * folders with per-file reasons, nothing imported twice, list, export and import of the gallery
 * JSON into another data dir, and clear one-line usage errors.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import sharp from 'sharp';
import { runFacefleet } from '../../support/cli.ts';
import { makeFaceCrops } from '../../support/faceCrops.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const dir = makeTempDir('gallery-cli');
const people = dir.file('people');
const dataDir = dir.file('data');
const PEOPLE = ['Ada', 'Grace', 'Linus'];

/** A 127.0.0.1 port nobody listens on (one just closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

before(async () => {
  const { enrolment, queries } = await makeFaceCrops();
  for (const [i, name] of PEOPLE.entries()) {
    mkdirSync(join(people, name), { recursive: true });
    const subject = enrolment[i * 3]!.subject;
    writeFileSync(join(people, name, 'tight.jpg'), enrolment[i * 3]!.bytes);
    writeFileSync(join(people, name, 'small.jpg'), queries.find((q) => q.subject === subject && q.size === 64 && !q.cut)!.bytes);
  }
  writeFileSync(join(people, 'Ada', 'notes.txt'), 'not a photo');
  writeFileSync(join(people, 'Linus', 'wall.jpg'), await sharp({ create: { width: 200, height: 200, channels: 3, background: '#8899aa' } }).jpeg().toBuffer());
  writeFileSync(join(people, 'loose.jpg'), 'x');
});
after(() => dir.cleanup());

describe('given person folders with six face photos and three files that cannot be enrolled', () => {
  it('when imported into a data dir, then the six are enrolled, each other file is listed with its reason, and the exit code is 1', async () => {
    const run = await runFacefleet(['gallery', 'import', people, '--data-dir', dataDir]);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { total: 9, imported: 6, skipped: 0, failed: 3 });
    const reasons = run.stderr.split('\n').filter((l) => l.startsWith('facefleet gallery import: '));
    assert.equal(reasons.length, 3, run.stderr);
    assert.match(run.stderr, /loose\.jpg: not in a person folder/);
    assert.match(run.stderr, /notes\.txt: not a \.jpg, \.jpeg, \.png or \.webp file/);
    assert.match(run.stderr, /wall\.jpg: No face was found/);
    assert.match(run.stderr, /\] 9\/9 imported 6, skipped 0, failed 3/);
  });

  it('when listed, then each person has two examples', async () => {
    const run = await runFacefleet(['gallery', 'list', '--data-dir', dataDir]);
    assert.equal(run.code, 0, run.stderr);
    for (const name of PEOPLE) assert.match(run.stdout, new RegExp(`^${name}\\s+2 example\\(s\\)`, 'm'));
  });

  it('when imported again, then nothing is imported twice', async () => {
    const run = await runFacefleet(['gallery', 'import', people, '--data-dir', dataDir, '--quiet']);
    assert.deepEqual(JSON.parse(run.stdout), { total: 9, imported: 0, skipped: 6, failed: 3 });
    assert.doesNotMatch(run.stderr, /\]/, 'no progress bar with --quiet');
  });

  it('when exported and imported into another data dir (twice), then that gallery holds the same people and examples', async () => {
    const file = dir.file('gallery.json');
    const exported = await runFacefleet(['gallery', 'export', '--data-dir', dataDir, '--out', file]);
    assert.equal(exported.code, 0, exported.stderr);
    const document = JSON.parse(readFileSync(file, 'utf8')) as { subjects: Array<{ name: string; examples: Array<{ descriptor: number[]; sha256: string }> }> };
    assert.equal(document.subjects.length, 3);
    assert.ok(document.subjects.every((s) => s.examples.length === 2 && s.examples.every((e) => e.descriptor.length === 128 && /^[0-9a-f]{64}$/.test(e.sha256))));
    const other = dir.file('other');
    const first = await runFacefleet(['gallery', 'import', '--json', file, '--data-dir', other]);
    assert.deepEqual(JSON.parse(first.stdout), { subjectsAdded: 3, examplesAdded: 6, examplesSkipped: 0 });
    const second = await runFacefleet(['gallery', 'import', '--json', file, '--data-dir', other]);
    assert.deepEqual(JSON.parse(second.stdout), { subjectsAdded: 0, examplesAdded: 0, examplesSkipped: 6 });
    const listed = await runFacefleet(['gallery', 'list', '--data-dir', other]);
    for (const name of PEOPLE) assert.match(listed.stdout, new RegExp(`^${name}\\s+2 example\\(s\\)`, 'm'));
  });
});

describe('given mistakes on the command line', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no action', ['gallery'], /give an action: import, list or export/],
    ['an unknown action', ['gallery', 'remove'], /unknown gallery action "remove"/],
    ['--csv without --images', ['gallery', 'import', '--csv', 'x.csv'], /--csv needs --images/],
    ['a folder that does not exist', ['gallery', 'import', '/nonexistent/people', '--data-dir', dataDir], /no folder \/nonexistent\/people/],
    ['both --url and --data-dir', ['gallery', 'list', '--url', 'http://127.0.0.1:9', '--data-dir', dataDir], /give --url or --data-dir, not both/],
    ['a bad --url', ['gallery', 'list', '--url', 'nope'], /--url must be a URL/],
    ['a JSON file that is not a gallery', ['gallery', 'import', '--json', '/nonexistent.json', '--data-dir', dataDir], /not a readable JSON file/],
  ];
  for (const [what, args, message] of cases) {
    it(`when given ${what}, then one line on stderr and exit 2`, async () => {
      const run = await runFacefleet(args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    });
  }

  it('when the server is not running, then one line saying so and exit 1', async () => {
    const port = await closedPort();
    const run = await runFacefleet(['gallery', 'list', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `facefleet gallery: GET http://127.0.0.1:${port}/v1/gallery/subjects failed: ECONNREFUSED\n`);
  });
});
