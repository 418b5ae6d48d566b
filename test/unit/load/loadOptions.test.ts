import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { UsageError } from '../../../app/cli/command.ts';
import { parseLoadArgs, resolveLoadPlan } from '../../../client/load/loadOptions.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const base = ['--url', 'http://127.0.0.1:3000', '--images', 'photos'];
const isOneLineUsage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && !e.message.includes('\n') && pattern.test(e.message);

describe('given good arguments', () => {
  it('when only --url and --images are given, then the defaults apply', () => {
    const args = parseLoadArgs(base);
    assert.equal(args.url.href, 'http://127.0.0.1:3000/');
    assert.equal(args.images, 'photos');
    assert.equal(args.requests, undefined);
    assert.equal(args.concurrency, 8);
    assert.equal(args.mode, 'classic');
    assert.deepEqual(args.shape, { kind: 'closed' });
    assert.equal(args.retries, 5);
    assert.equal(args.timeoutMs, 300_000);
  });

  it('when every option is given, then each is read', () => {
    const args = parseLoadArgs([...base, '--requests', '8', '--concurrency', '4', '--expect', 'e.csv', '--mode', 'v1', '--json', 'r.json', '--shape', 'burst:4x2@1s', '--retries', '0', '--timeout', '2.5', '--quiet']);
    assert.deepEqual(
      { ...args, url: args.url.href },
      { url: 'http://127.0.0.1:3000/', images: 'photos', requests: 8, concurrency: 4, expect: 'e.csv', mode: 'v1', json: 'r.json', shape: { kind: 'burst', size: 4, count: 2, everyMs: 1000 }, retries: 0, timeoutMs: 2500, quiet: true },
    );
  });
});

describe('given bad arguments', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--images', 'photos'], /^--url is required/],
    [['--url', 'http://x'], /^--images is required/],
    [['--url', 'http://x', '--images', ''], /^--images is required/],
    [['--url', 'not a url', '--images', 'p'], /^--url must be an http\(s\) URL, not "not a url"/],
    [['--url', 'ftp://x', '--images', 'p'], /^--url must be an http\(s\) URL/],
    [[...base, '--requests', 'ten'], /^--requests must be a positive whole number, not "ten"/],
    [[...base, '--requests', '0'], /^--requests must be a positive/],
    [[...base, '--requests', '2.5'], /^--requests must be a positive/],
    [[...base, '--concurrency=-3'], /^--concurrency must be a positive/],
    [[...base, '--concurrency', '-3'], /--concurrency/],
    [[...base, '--concurrency', ''], /^--concurrency must be a positive/],
    [[...base, '--retries', 'x'], /^--retries must be a whole number ≥ 0/],
    [[...base, '--timeout', '0'], /^--timeout must be a positive number of seconds/],
    [[...base, '--mode', 'grpc'], /^--mode must be classic or v1, not "grpc"/],
    [[...base, '--shape', 'burst:5'], /^--shape "burst:5"/],
    [[...base, '--shape', 'ramp:5-0@2s', '--requests', '6'], /^--requests 6 is more than --shape ramp:5-0@2s ever sends \(5/],
    [[...base, '--expect', ''], /^--expect needs a CSV file name/],
    [[...base, '--json', ''], /^--json needs a file name/],
    [[...base, '--bogus'], /Unknown option '--bogus'/],
    [[...base, '--requests'], /--requests/],
    [[...base, 'extra'], /^unexpected argument "extra"/],
  ];
  for (const [argv, pattern] of cases) {
    it(`when ${argv.join(' ') || '(none)'}, then one line: ${pattern.source}`, () => {
      assert.throws(() => parseLoadArgs(argv), isOneLineUsage(pattern));
    });
  }
});

describe('given folders and expectation files on disk', () => {
  const dir = makeTempDir('load-options');
  after(() => dir.cleanup());
  mkdirSync(dir.file('photos'));
  writeFileSync(dir.file('photos', 'b.JPG'), 'b');
  writeFileSync(dir.file('photos', 'a.png'), 'a');
  writeFileSync(dir.file('photos', 'notes.txt'), 'not an image');
  mkdirSync(dir.file('empty'));
  writeFileSync(dir.file('empty', 'readme.md'), '');
  writeFileSync(dir.file('good.csv'), 'Image,Results\na,Paul\n');
  writeFileSync(dir.file('bad.csv'), 'Image,Results\na,Paul,extra\n');
  const args = (...more: string[]) => parseLoadArgs(['--url', 'http://127.0.0.1:1', '--images', dir.file('photos'), ...more]);

  it('when the folder has images, then they are read in name order with their stems and types, others ignored', async () => {
    const plan = await resolveLoadPlan(args('--expect', dir.file('good.csv')));
    assert.deepEqual(plan.images.map((i) => [i.name, i.stem, i.type]), [['a.png', 'a', 'image/png'], ['b.JPG', 'b', 'image/jpeg']]);
    assert.equal(plan.requests, 2, 'one request per image by default');
    assert.deepEqual([...plan.expectations], [['a', 'Paul']]);
  });

  it('when the shape has a total, then that is the default number of requests', async () => {
    assert.equal((await resolveLoadPlan(args('--shape', 'burst:3x2@1s'))).requests, 6);
    assert.equal((await resolveLoadPlan(args('--shape', 'burst:3x2@1s', '--requests', '4'))).requests, 4);
  });

  const bad: Array<[string, () => string[], RegExp]> = [
    ['a missing folder', () => ['--url', 'http://x', '--images', dir.file('nope')], /cannot read the folder \(no such folder\)/],
    ['a file as the folder', () => ['--url', 'http://x', '--images', dir.file('good.csv')], /cannot read the folder \(not a folder\)/],
    ['a folder without images', () => ['--url', 'http://x', '--images', dir.file('empty')], /no \.jpg, \.jpeg, \.png or \.webp files/],
    ['a missing CSV', () => ['--url', 'http://x', '--images', dir.file('photos'), '--expect', dir.file('nope.csv')], /^--expect .*nope\.csv: cannot read the file \(no such file\)/],
    ['a --json in a missing folder', () => ['--url', 'http://x', '--images', dir.file('photos'), '--json', dir.file('nope', 'r.json')], /^--json .*r\.json: the folder .*nope does not exist/],
    ['a malformed CSV', () => ['--url', 'http://x', '--images', dir.file('photos'), '--expect', dir.file('bad.csv')], /^--expect .*bad\.csv: line 2: expected 2 fields/],
  ];
  for (const [what, argv, pattern] of bad) {
    it(`when given ${what}, then one line: ${pattern.source}`, async () => {
      await assert.rejects(resolveLoadPlan(parseLoadArgs(argv())), isOneLineUsage(pattern));
    });
  }
});
