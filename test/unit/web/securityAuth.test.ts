/**
 * The API key: with one configured, every write and every /v1 read needs it (x-api-key, Bearer, or
 * the session cookie from POST /v1/session); /healthz and the pages stay open; a missing or wrong
 * key is a 401 JSON and a refused upload writes nothing. Without one, everything is open.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkSessionToken, needsKey, sameSecret, SESSION_COOKIE, sessionToken } from '../../../web/auth.ts';
import { form, leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

const KEY = 'k3y-for-tests-0123456789';

interface ErrorBody {
  error: { code: string; message: string };
}

async function expect401(response: Response, message: RegExp, label: string): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, 401, `${label}: ${text.slice(0, 200)}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, label);
  assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="facefleet"', label);
  assert.equal(response.headers.get('x-frame-options'), 'DENY', label);
  const body = JSON.parse(text) as ErrorBody;
  assert.equal(body.error.code, 'unauthorized', label);
  assert.match(body.error.message, message, label);
}

describe(`given an API key`, () => {
  let bench: Bench;
  let jpeg: Buffer;
  before(async () => {
    // These cases send many wrong keys on purpose; the guessing limit has its own test (keyGuessing).
    bench = await startBench({ app: { apiKey: KEY, maxWrongKeysPerMinute: 1000 } });
    jpeg = await sampleImage('jpeg');
  });
  after(() => bench.close());

  const upload = (field = 'file') => form([{ field, name: 'a.jpg', bytes: jpeg }]);
  const writes = (): Array<[string, string, () => RequestInit]> => [
    ['POST', '/v1/jobs', () => ({ body: upload() })],
    ['POST', '/', () => ({ body: upload('inputFile') })],
    ['POST', '/v1/gallery/subjects', () => ({ headers: { 'content-type': 'application/json' }, body: '{"name":"mallory"}' })],
    ['DELETE', '/v1/gallery/subjects/x', () => ({})],
    ['POST', '/v1/gallery/subjects/x/examples', () => ({ body: upload() })],
    ['DELETE', '/v1/gallery/subjects/x/examples/y', () => ({})],
    ['PUT', '/v1/jobs', () => ({})],
    ['POST', '/index.html', () => ({})],
  ];
  const reads = [
    '/v1/jobs',
    '/v1/jobs/x',
    '/v1/jobs/x/history',
    '/v1/jobs/x/image',
    '/v1/instances',
    '/v1/instances/x',
    '/v1/instances/x/history',
    '/v1/gallery/subjects',
    '/v1/gallery/subjects/x/examples/y/image',
    '/v1/stream',
    '/v1/queues',
    '/v1/counts',
    '/v1/nothing',
    '/V1/jobs',
    '//v1/jobs',
    '/%761/jobs',
  ];

  it('when a write or a /v1 read comes without the key then 401 JSON, and a refused upload writes nothing', async () => {
    for (const [method, path, init] of writes()) await expect401(await fetch(`${bench.url}${path}`, { method, ...init() }), /x-api-key header or as Authorization: Bearer/, `${method} ${path}`);
    for (const path of reads) await expect401(await fetch(`${bench.url}${path}`), /needs the API key/, `GET ${path}`);
    for (const path of reads.slice(0, 3)) assert.equal((await fetch(`${bench.url}${path}`, { method: 'HEAD' })).status, 401, `HEAD ${path}`);
    assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
  });

  it('when the key is wrong (x-api-key, Bearer, a prefix, one character off, empty) then 401 "not valid"', async () => {
    const wrong: Array<Record<string, string>> = [
      { 'x-api-key': 'nope' },
      { authorization: 'Bearer nope' },
      { 'x-api-key': KEY.slice(0, -1) },
      { 'x-api-key': `${KEY.slice(0, -1)}X` },
      { 'x-api-key': `${KEY}${KEY}` },
      { authorization: `Bearer ${KEY.toUpperCase()}` },
      { authorization: `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}` },
    ];
    for (const headers of wrong) {
      const message = headers.authorization?.startsWith('Basic') ? /needs the API key/ : /not valid/;
      await expect401(await fetch(`${bench.url}/v1/jobs`, { headers }), message, JSON.stringify(headers));
      await expect401(await fetch(`${bench.url}/v1/jobs`, { method: 'POST', headers, body: upload() }), message, `POST ${JSON.stringify(headers)}`);
    }
    assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
  });

  it('when the key is sent as x-api-key or Bearer then reads and writes go through', async () => {
    const good: Array<Record<string, string>> = [{ 'x-api-key': KEY }, { authorization: `Bearer ${KEY}` }, { authorization: `bearer  ${KEY}` }];
    for (const headers of good) {
      assert.equal((await fetch(`${bench.url}/v1/jobs`, { headers })).status, 200);
      assert.equal((await fetch(`${bench.url}/v1/counts`, { headers })).status, 200);
      assert.equal((await fetch(`${bench.url}/v1/jobs/nope`, { headers })).status, 404);
      assert.equal((await fetch(`${bench.url}/v1/jobs`, { method: 'POST', headers, body: upload() })).status, 202);
    }
  });

  it('when /healthz or the pages are read without a key then they are served', async () => {
    assert.equal((await fetch(`${bench.url}/healthz`)).status, 200);
    const page = await fetch(`${bench.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  });

  it('when a page trades the key for a session then the cookie works for reads, the stream and writes until it is cleared', async () => {
    const session = async (cookie?: string) =>
      (await (await fetch(`${bench.url}/v1/session`, { headers: cookie ? { cookie } : {} })).json()) as { required: boolean; authenticated: boolean };
    assert.deepEqual(await session(), { required: true, authenticated: false });
    await expect401(await fetch(`${bench.url}/v1/session`, { method: 'POST' }), /needs the API key/, 'POST /v1/session without key');
    await expect401(await fetch(`${bench.url}/v1/session`, { method: 'POST', headers: { 'x-api-key': 'nope' } }), /not valid/, 'POST /v1/session wrong key');

    const created = await fetch(`${bench.url}/v1/session`, { method: 'POST', headers: { 'x-api-key': KEY } });
    assert.equal(created.status, 204);
    const setCookie = created.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=v1\\.\\d+\\.[\\w-]{43};`));
    assert.match(setCookie, /httponly/i);
    assert.match(setCookie, /samesite=strict/i);
    assert.match(setCookie, /path=\//i);
    assert.ok(!setCookie.includes(KEY), 'the cookie does not carry the key');
    const cookie = setCookie.split(';')[0] ?? '';

    assert.deepEqual(await session(cookie), { required: true, authenticated: true });
    assert.equal((await fetch(`${bench.url}/v1/jobs`, { headers: { cookie } })).status, 200);
    const controller = new AbortController();
    const stream = await fetch(`${bench.url}/v1/stream`, { headers: { cookie }, signal: controller.signal });
    assert.equal(stream.status, 200);
    controller.abort();
    await stream.body?.cancel().catch(() => undefined);
    assert.equal((await fetch(`${bench.url}/v1/jobs`, { method: 'POST', headers: { cookie, origin: bench.url }, body: upload() })).status, 202);
    // The cookie does not let another site write (SameSite keeps browsers from sending it; the Origin check backs that up).
    assert.equal((await fetch(`${bench.url}/v1/jobs`, { method: 'POST', headers: { cookie, origin: 'https://evil.example' }, body: upload() })).status, 403);
    // A wrong header is refused even with a good cookie.
    await expect401(await fetch(`${bench.url}/v1/jobs`, { headers: { cookie, 'x-api-key': 'nope' } }), /not valid/, 'cookie + wrong key');

    const cleared = await fetch(`${bench.url}/v1/session`, { method: 'DELETE' });
    assert.equal(cleared.status, 204);
    assert.match(cleared.headers.get('set-cookie') ?? '', new RegExp(`^${SESSION_COOKIE}=;.*expires=Thu, 01 Jan 1970`, 'i'));
  });

  it('when the cookie is tampered with, expired or made with another key then 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = sessionToken(KEY, now + 3600);
    const cases: Array<[string, RegExp]> = [
      [`${good.slice(0, -2)}AA`, /not valid/],
      [sessionToken(KEY, now - 10), /expired/],
      [sessionToken('another-key-123456', now + 3600), /not valid/],
      [`v1.${now + 99999}.${good.split('.')[2]}`, /not valid/],
      ['garbage', /not valid/],
    ];
    for (const [token, message] of cases) await expect401(await fetch(`${bench.url}/v1/jobs`, { headers: { cookie: `${SESSION_COOKIE}=${token}` } }), message, token);
  });
});

describe('given no API key', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  it('when anything is asked without a key then it is served, and the session says no key is needed', async () => {
    assert.equal((await fetch(`${bench.url}/v1/jobs`)).status, 200);
    assert.equal((await fetch(`${bench.url}/v1/gallery/subjects`)).status, 200);
    assert.deepEqual(await (await fetch(`${bench.url}/v1/session`)).json(), { required: false, authenticated: true });
    const created = await fetch(`${bench.url}/v1/session`, { method: 'POST' });
    assert.equal(created.status, 204);
    assert.equal(created.headers.get('set-cookie'), null);
  });
});

describe('given the pure helpers', () => {
  it('then secrets compare equal only when equal, whatever their lengths', () => {
    assert.equal(sameSecret(KEY, KEY), true);
    for (const other of ['', 'k', KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase()]) assert.equal(sameSecret(other, KEY), false, other);
  });

  it('then a session token is checked for its MAC and its expiry', () => {
    assert.equal(checkSessionToken(KEY, sessionToken(KEY, 2000), 1999), 'ok');
    assert.equal(checkSessionToken(KEY, sessionToken(KEY, 2000), 2000), 'expired');
    assert.equal(checkSessionToken('other-key-000', sessionToken(KEY, 2000), 1), 'wrong');
  });

  it('then writes anywhere and reads under /v1 need the key; /v1/session, /healthz and pages do not', () => {
    for (const [method, path] of [['POST', '/'], ['DELETE', '/v1/gallery/subjects/x'], ['GET', '/v1/jobs'], ['GET', '/V1//jobs'], ['GET', '/%761/jobs'], ['HEAD', '/v1'], ['PATCH', '/anything']]) {
      assert.equal(needsKey(method ?? '', path ?? ''), true, `${method} ${path}`);
    }
    for (const [method, path] of [['GET', '/healthz'], ['GET', '/'], ['GET', '/js/api.js'], ['OPTIONS', '/v1/jobs'], ['POST', '/v1/session'], ['GET', '/v1/session'], ['GET', '/v1x']]) {
      assert.equal(needsKey(method ?? '', path ?? ''), false, `${method} ${path}`);
    }
  });
});
