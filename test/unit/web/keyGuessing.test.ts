/**
 * Guessing the API key is bounded: a client that sends more than 10 wrong keys in a minute is
 * refused (429 with Retry-After) for a minute on every key check, the right key included, so a
 * key cannot be brute-forced through `POST /v1/session` or any protected route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBench, type Bench } from './webHarness.ts';

const KEY = 'the-right-key-0123456789';

describe('given a web tier with an API key', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { apiKey: KEY } })));
  after(() => bench.close());

  const session = (key: string) => fetch(`${bench.url}/v1/session`, { method: 'POST', headers: { 'x-api-key': key } });

  it('when the right key is sent, then the session is opened', async () => {
    assert.equal((await session(KEY)).status, 204);
  });

  it('when 11 wrong keys come from one client, then each is a 401, and after them even the right key gets 429 with Retry-After, on any route', async () => {
    for (let i = 0; i < 11; i++) {
      const answer = await session(`guess-${i}-0000000000`);
      assert.equal(answer.status, 401, `guess ${i}`);
      await answer.arrayBuffer();
    }
    const right = await session(KEY);
    assert.equal(right.status, 429);
    const wait = Number(right.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    assert.equal(((await right.json()) as { error: { code: string } }).error.code, 'too-many-requests');
    const route = await fetch(`${bench.url}/v1/jobs`, { headers: { 'x-api-key': KEY } });
    assert.equal(route.status, 429);
  });
});
