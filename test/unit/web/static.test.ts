/**
 * Static files at `/`, health, readiness and queue depth: correct content types, no directory traversal.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../../support/tempDir.ts';
import { startBench, type Bench } from './webHarness.ts';

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(bench: Bench, path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(bench.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('given the default public folder', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  it('when GET / then the upload page as text/html', async () => {
    const response = await fetch(`${bench.url}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await response.text();
    assert.match(html, /id="dropzone"/);
    assert.match(html, /name="file"/);
    assert.equal((await fetch(`${bench.url}/index.html`, { method: 'HEAD' })).status, 200);
  });

  it('when GET /inspector and /gallery then their pages', async () => {
    for (const [path, title] of [['/inspector', /Inspector/], ['/gallery', /Gallery/]] as const) {
      const response = await fetch(`${bench.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), title);
    }
  });

  it('when GET /healthz then 200 { ok: true } with the store, queue and blobs checks each ok', async () => {
    const response = await fetch(`${bench.url}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as { ok: boolean; checks: Record<string, { ok: boolean; ms: number }> };
    assert.equal(body.ok, true);
    assert.deepEqual(Object.keys(body.checks).sort(), ['blobs', 'queue', 'store']);
    for (const check of Object.values(body.checks)) assert.equal(check.ok, true);
  });

  it('when GET /v1/queues then visible and in-flight counts of the three queues', async () => {
    await bench.requests.send(JSON.stringify({ jobId: 'x' }));
    const depths = (await (await fetch(`${bench.url}/v1/queues`)).json()) as Record<string, { visible: number; inFlight: number }>;
    assert.deepEqual(depths, { requests: { visible: 1, inFlight: 0 }, responses: { visible: 0, inFlight: 0 }, deadLetters: { visible: 0, inFlight: 0 } });
    await bench.requests.purge();
  });
});

describe('given a public folder beside a secret file and a symlink out of it', () => {
  let bench: Bench;
  const outside = makeTempDir('static');
  before(async () => {
    const pub = outside.file('public');
    mkdirSync(join(pub, 'css'), { recursive: true });
    writeFileSync(join(pub, 'index.html'), '<h1>hi</h1>');
    writeFileSync(join(pub, 'css', 'site.css'), 'body{}');
    writeFileSync(join(pub, 'app.js'), 'export {}');
    writeFileSync(outside.file('secret.txt'), 'top secret');
    symlinkSync(outside.file('secret.txt'), join(pub, 'link.txt'));
    bench = await startBench({ app: { publicDir: pub } });
  });
  after(async () => {
    await bench.close();
    await outside.cleanup();
  });

  it('when files are fetched then each has the content type of its extension', async () => {
    const types: Array<[string, string]> = [
      ['/', 'text/html; charset=utf-8'],
      ['/css/site.css', 'text/css; charset=utf-8'],
      ['/app.js', 'text/javascript; charset=utf-8'],
    ];
    for (const [path, type] of types) {
      const response = await fetch(`${bench.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-type'), type, path);
    }
  });

  it('when a path tries to leave the folder then 404 JSON and never the secret', async () => {
    for (const path of ['/../secret.txt', '/css/../../secret.txt', '/%2e%2e/secret.txt', '/css/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/link.txt', '/css', '/nothing.html', '/%00']) {
      const response = await rawGet(bench, path);
      assert.equal(response.status, 404, path);
      assert.ok(!response.body.includes('top secret'), path);
      assert.match(response.body, /"not-found"/, path);
    }
  });
});

describe('given a running web process', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  it('when GET /readyz then 200 ready, not stopping, with the checks', async () => {
    const response = await fetch(`${bench.url}/readyz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as { ready: boolean; stopping: boolean; checks: Record<string, { ok: boolean }> };
    assert.equal(body.ready, true);
    assert.equal(body.stopping, false);
    assert.deepEqual(Object.keys(body.checks).sort(), ['blobs', 'queue', 'store']);
  });

  it('when it begins to stop then /readyz answers 503 stopping while /healthz still answers 200', async () => {
    bench.services.beginStopping();
    const ready = await fetch(`${bench.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ready: false, stopping: true });
    assert.equal((await fetch(`${bench.url}/healthz`)).status, 200);
  });
});
