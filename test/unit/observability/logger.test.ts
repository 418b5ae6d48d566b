/** The logger's promises: JSON lines, secrets redacted, no absolute path, errors without stacks; /metrics behind the key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, errorField } from '../../../app/observability/logger.ts';
import { scrubPaths } from '../../../services/scrubPaths.ts';
import { needsKey } from '../../../web/auth.ts';

describe('given a logger writing to a sink', () => {
  it('when it logs secrets, paths and an error, then each line is JSON with none of them', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line), base: { instanceId: 'i1' } });
    const error = new Error('ENOENT: no such file /work/fleet/data/blobs/images/abc');
    logger.info({ apiKey: 'super-secret-key', headers: { 'x-api-key': 'k2-secret' }, where: '/home/someone/facefleet/data' }, 'opened /tmp/facefleet-x/facefleet.db');
    logger.error({ err: error }, 'failed');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(parsed.length, 2);
    assert.equal(parsed[0]?.instanceId, 'i1');
    const all = lines.join('\n');
    for (const secret of ['super-secret-key', 'k2-secret', '/work/', '/home/', '/tmp/', 'at ']) assert.ok(!all.includes(secret), secret);
    assert.equal(parsed[0]?.msg, 'opened …/facefleet-x/facefleet.db');
  });
});

describe('given texts with paths', () => {
  it('when scrubbed, then absolute paths keep their last two parts and URLs stay', () => {
    assert.equal(scrubPaths('read /a/b/c/d.json failed'), 'read …/c/d.json failed');
    assert.equal(scrubPaths('GET http://127.0.0.1:3000/v1/jobs/x'), 'GET http://127.0.0.1:3000/v1/jobs/x');
    assert.ok(!scrubPaths('at file:///work/fleet/app/x.ts:3:1').includes('/work/'));
    assert.equal(scrubPaths("cannot open '/home/me/data/x.db'"), "cannot open '…/data/x.db'");
    assert.deepEqual(errorField(Object.assign(new Error('boom /x/y/z'), { code: 'E1' })), { type: 'Error', message: 'boom …/y/z', code: 'E1' });
  });
});

describe('given an API key is configured', () => {
  it('when /metrics is read, then it needs the key like /v1', () => {
    assert.equal(needsKey('GET', '/metrics'), true);
    assert.equal(needsKey('GET', '/healthz'), false);
  });
});
