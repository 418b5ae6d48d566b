/**
 * A per-client limit on submissions: past `submissionsPerClientPerMinute` uploads in a minute from one
 * client, `POST /v1/jobs` and the classic `POST /` answer 429 with Retry-After and store nothing;
 * reads are not limited, and 0 turns the limit off.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { form, leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

async function upload(bench: Bench, path: '/' | '/v1/jobs'): Promise<Response> {
  const field = path === '/' ? 'inputFile' : 'file';
  return fetch(`${bench.url}${path}`, { method: 'POST', body: form([{ field, name: 'p.jpg', bytes: await sampleImage('jpeg') }]) });
}

describe('given a web tier that lets one client submit 3 uploads a minute', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { submissionsPerClientPerMinute: 3, classicTimeoutMs: 200 } })));
  after(() => bench.close());

  it('when the client submits a 4th and a 5th, then they get 429 with Retry-After and nothing of them is stored; reads still work', async () => {
    for (let i = 0; i < 3; i++) {
      const accepted = await upload(bench, '/v1/jobs');
      assert.equal(accepted.status, 202, `upload ${i}`);
      await accepted.arrayBuffer();
    }
    const stored = await leftovers(bench);
    for (const path of ['/v1/jobs', '/'] as const) {
      const refused = await upload(bench, path);
      assert.equal(refused.status, 429, path);
      const wait = Number(refused.headers.get('retry-after'));
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'too-many-requests');
      assert.match(body.error.message, /More than 3 submissions a minute/);
    }
    const after = await leftovers(bench);
    assert.equal(after.jobs, stored.jobs, 'no job appended for a refused upload');
    assert.equal(after.requests, stored.requests, 'no message sent for a refused upload');
    assert.deepEqual(after.uploads, [], 'no temp file left');
    assert.equal((await fetch(`${bench.url}/v1/jobs`)).status, 200, 'reads are not submissions');
  });
});

describe('given a web tier with the limit off (0)', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { submissionsPerClientPerMinute: 0 } })));
  after(() => bench.close());

  it('when one client submits 12 uploads, then all are accepted', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => upload(bench, '/v1/jobs')));
    assert.deepEqual(answers.map((a) => a.status), Array(12).fill(202));
  });
});
