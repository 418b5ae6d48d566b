import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/facefleet.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'load', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('given the real facefleet CLI', () => {
  it('when load is run without --url, then one stderr line and exit code 2', () => {
    const result = run('--images', 'photos');
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr, 'facefleet load: --url is required: the facefleet base URL, e.g. --url http://127.0.0.1:3000\n');
    assert.equal(result.stdout, '');
  });

  it('when load is given a folder that does not exist, then one stderr line and exit code 2', () => {
    const result = run('--url', 'http://127.0.0.1:1', '--images', '/nonexistent/photos', '--requests', '3');
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1);
    assert.match(result.stderr, /^facefleet load: --images \/nonexistent\/photos: cannot read the folder \(no such folder\)\n$/);
  });

  it('when load --help is asked, then the usage lists every option', () => {
    const result = run('--help');
    assert.equal(result.status, 0);
    for (const option of ['--url', '--images', '--requests', '--concurrency', '--expect', '--mode', '--json', '--shape', '--retries', '--timeout']) assert.ok(result.stdout.includes(option), option);
  });
});
