/**
 * Security headers on every response (errors, SSE, images and static files included), a CSP that fits
 * our own pages, CORS off unless configured, and writes from other sites refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PUBLIC_DIR } from '../../../web/app.ts';
import { contentSecurityPolicy, inlineScriptHashes, listensBeyondLocalhost, normalizeOrigin } from '../../../web/security.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { form, leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

function assertSecurityHeaders(response: Response, label: string): void {
  const h = (name: string) => response.headers.get(name) ?? '';
  assert.equal(h('x-content-type-options'), 'nosniff', label);
  assert.equal(h('x-frame-options'), 'DENY', label);
  assert.equal(h('referrer-policy'), 'no-referrer', label);
  assert.equal(h('cross-origin-resource-policy'), 'same-origin', label);
  const csp = h('content-security-policy');
  assert.match(csp, /(^|; ?)default-src 'self'(;|$)/, label);
  // The rest of helmet's set, and no HSTS: TLS (and pinning it) is the business of what sits in front.
  assert.equal(h('cross-origin-opener-policy'), 'same-origin', label);
  assert.equal(h('x-permitted-cross-domain-policies'), 'none', label);
  assert.equal(h('strict-transport-security'), '', label);
  assert.match(csp, /frame-ancestors 'none'/, label);
  assert.match(csp, /img-src 'self' blob: data:/, label);
  assert.doesNotMatch(/script-src [^;]*/.exec(csp)?.[0] ?? '', /unsafe-inline|unsafe-eval/, label);
}

describe('given the default pages and no CORS configuration', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  it('when any kind of response is sent then it carries the security headers', async () => {
    const jpeg = await sampleImage('jpeg');
    const submitted = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'a.jpg', bytes: jpeg }]) });
    const jobId = ((await submitted.json()) as { jobs: Array<{ id: string }> }).jobs[0]?.id ?? '';
    const requests: Array<[string, string, RequestInit?]> = [
      ['page', '/'],
      ['health', '/healthz'],
      ['a list', '/v1/jobs'],
      ['an image', `/v1/jobs/${jobId}/image`],
      ['a 404 from a route', '/v1/jobs/nope'],
      ['a 404 for no address', '/nowhere'],
      ['a 405', '/v1/jobs', { method: 'PUT' }],
      ['a 400 thrown while parsing', '/v1/jobs?limit=-1'],
      ['a 415 upload', '/v1/jobs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
    ];
    for (const [label, path, init] of requests) {
      const response = await fetch(`${bench.url}${path}`, init);
      await response.arrayBuffer();
      assertSecurityHeaders(response, label);
    }
    for (const name of readdirSync(DEFAULT_PUBLIC_DIR, { recursive: true, encoding: 'utf8' }).filter((n) => /\.(js|css|html)$/.test(n)).slice(0, 5)) {
      const response = await fetch(`${bench.url}/${name}`);
      await response.arrayBuffer();
      assert.equal(response.status, 200, name);
      assertSecurityHeaders(response, name);
    }
    const controller = new AbortController();
    const stream = await fetch(`${bench.url}/v1/stream`, { signal: controller.signal });
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
    assertSecurityHeaders(stream, 'SSE');
    controller.abort();
    await stream.body?.cancel().catch(() => undefined);
  });

  it('when the pages are read then every inline script they carry is allowed by hash and none uses inline handlers', async () => {
    const csp = (await fetch(`${bench.url}/`)).headers.get('content-security-policy') ?? '';
    for (const name of readdirSync(DEFAULT_PUBLIC_DIR, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.html'))) {
      const html = readFileSync(join(DEFAULT_PUBLIC_DIR, name), 'utf8');
      assert.doesNotMatch(html, /\son[a-z]+\s*=|javascript:/i, `${name}: inline handlers are blocked by the CSP`);
      for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        if (/\bsrc\s*=/.test(m[1] ?? '')) continue;
        const hash = createHash('sha256').update(m[2] ?? '').digest('base64');
        assert.ok(csp.includes(`'sha256-${hash}'`), `${name}: inline script not in the CSP`);
      }
    }
  });

  it('when a browser on another site reads the API then no CORS header grants it', async () => {
    const read = await fetch(`${bench.url}/v1/jobs`, { headers: { origin: 'https://evil.example' } });
    assert.equal(read.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${bench.url}/v1/jobs`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-methods'), null);
  });

  it('when another site posts an upload then 403 and nothing is written; from this origin or without Origin it is accepted', async () => {
    await bench.requests.purge();
    const before = await leftovers(bench);
    const jpeg = await sampleImage('jpeg');
    const post = (origin?: string) =>
      fetch(`${bench.url}/v1/jobs`, { method: 'POST', headers: origin ? { origin } : {}, body: form([{ field: 'file', name: 'a.jpg', bytes: jpeg }]) });
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1']) {
      const refused = await post(origin);
      assert.equal(refused.status, 403, origin);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'forbidden');
      assert.match(body.error.message, /corsOrigins/);
      assertSecurityHeaders(refused, origin);
    }
    assert.deepEqual(await leftovers(bench), before);
    assert.equal((await post(bench.url)).status, 202);
    assert.equal((await post()).status, 202);
  });
});

describe('given corsOrigins ["https://app.example"]', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { corsOrigins: ['https://app.example'] } })));
  after(() => bench.close());

  it('when that origin sends a preflight then 204 with the allowed methods and headers', async () => {
    const response = await fetch(`${bench.url}/v1/jobs`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' } });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /X-Api-Key/i);
    assert.match(response.headers.get('vary') ?? '', /Origin/);
    assertSecurityHeaders(response, 'preflight');
  });

  it('when another origin sends a preflight then 403 JSON without CORS grants', async () => {
    const response = await fetch(`${bench.url}/v1/jobs`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'forbidden');
  });

  it('when that origin reads, even an error, then the answer grants it; another origin gets no grant', async () => {
    for (const path of ['/v1/jobs', '/v1/jobs/nope', '/v1/jobs?limit=-1']) {
      const ok = await fetch(`${bench.url}${path}`, { headers: { origin: 'https://app.example' } });
      await ok.arrayBuffer();
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example', path);
      assert.match(ok.headers.get('access-control-expose-headers') ?? '', /Location/);
      const other = await fetch(`${bench.url}${path}`, { headers: { origin: 'https://evil.example' } });
      await other.arrayBuffer();
      assert.equal(other.headers.get('access-control-allow-origin'), null, path);
    }
  });

  it('when that origin posts then it is accepted; another origin is refused', async () => {
    const body = () => form([{ field: 'file', name: 'a.jpg', bytes: Buffer.alloc(0) }]);
    const listed = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', headers: { origin: 'https://app.example' }, body: body() });
    assert.equal(listed.status, 415); // reached the route (an empty file), not refused for its origin
    const other = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: body() });
    assert.equal(other.status, 403);
  });
});

describe('given the pure helpers', () => {
  it('then the CSP lists inline script hashes and nothing unsafe for scripts', () => {
    assert.equal(
      contentSecurityPolicy(['sha256-abc']),
      "default-src 'self';script-src 'self' 'sha256-abc';style-src 'self' 'unsafe-inline';img-src 'self' blob: data:;connect-src 'self';font-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'",
    );
  });

  it('then inline scripts are hashed, scripts with src are not', async () => {
    const dir = makeTempDir('csp');
    try {
      writeFileSync(dir.file('a.html'), '<script type="module">alert(1)</script><script src="/x.js"></script>');
      writeFileSync(dir.file('b.txt'), '<script>ignored()</script>');
      assert.deepEqual(inlineScriptHashes(dir.path), [`sha256-${createHash('sha256').update('alert(1)').digest('base64')}`]);
      assert.deepEqual(inlineScriptHashes(dir.file('missing')), []);
    } finally {
      await dir.cleanup();
    }
  });

  it('then loopback hosts are local and anything else is beyond localhost', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2', 'LOCALHOST']) assert.equal(listensBeyondLocalhost(host), false, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '10.0.0.1']) assert.equal(listensBeyondLocalhost(host), true, host);
  });

  it('then origins are normalised and anything else is not an origin', () => {
    assert.equal(normalizeOrigin('HTTPS://App.Example:8443'), 'https://app.example:8443');
    for (const bad of ['null', 'https://a.example/path', 'ftp://a.example', 'https://user@a.example', '']) assert.equal(normalizeOrigin(bad), undefined, bad);
  });
});
