/**
 * DNS rebinding: a page on evil.example whose name resolves to a facefleet on this machine sends
 * `Host: evil.example:<port>` and an Origin that matches it, so it looks same-origin. The web tier
 * answers only localhost names, IP addresses and the configured `allowedHosts`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hostnameOf } from '../../../web/security.ts';
import { form, leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

/** One request with the given Host header (fetch may not set Host), resolving to status and body. */
function request(url: string, options: { method?: string; host: string; origin?: string; body?: { bytes: Buffer; type: string } }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { host: options.host };
    if (options.origin) headers.origin = options.origin;
    if (options.body) {
      headers['content-type'] = options.body.type;
      headers['content-length'] = options.body.bytes.length;
    }
    const req = http.request(url, { method: options.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body?.bytes);
  });
}

async function multipart(): Promise<{ bytes: Buffer; type: string }> {
  const body = form([{ field: 'file', name: 'a.jpg', bytes: await sampleImage('jpeg') }]);
  const response = new Response(body);
  return { bytes: Buffer.from(await response.arrayBuffer()), type: response.headers.get('content-type') ?? '' };
}

describe('given the default configuration (no allowedHosts)', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  it('when a rebound page posts a job with Host and Origin evil.example, then 421 and nothing is written', async () => {
    const port = new URL(bench.url).port;
    const answer = await request(`${bench.url}/v1/jobs`, { method: 'POST', host: `evil.example:${port}`, origin: `http://evil.example:${port}`, body: await multipart() });
    assert.equal(answer.status, 421);
    assert.match(JSON.parse(answer.body).error.message, /does not answer for the host "evil\.example:\d+"; list it in allowedHosts/);
    assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
  });

  it('when it reads the jobs or the gallery with that Host, then 421', async () => {
    for (const path of ['/v1/jobs', '/v1/gallery', '/v1/gallery/subjects', '/']) {
      assert.equal((await request(`${bench.url}${path}`, { host: 'evil.example' })).status, 421, path);
    }
  });

  it('when the Host is a localhost name or an IP address, then it is answered', async () => {
    const port = new URL(bench.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`, `10.1.2.3:${port}`, `LOCALHOST.:${port}`]) {
      assert.equal((await request(`${bench.url}/v1/jobs`, { host })).status, 200, host);
    }
  });
});

describe('given allowedHosts facefleet.example.com and .corp.example', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { allowedHosts: ['facefleet.example.com', '.corp.example'] } })));
  after(() => bench.close());

  it('when the Host is listed (or a subdomain of a listed domain), then it is answered; others are 421', async () => {
    const expected: Array<[string, number]> = [['facefleet.example.com', 200], ['FaceFleet.Example.com:443', 200], ['corp.example', 200], ['a.b.corp.example', 200], ['example.com', 421], ['evilcorp.example', 421], ['facefleet.example.com.evil.example', 421]];
    for (const [host, status] of expected) assert.equal((await request(`${bench.url}/v1/jobs`, { host })).status, status, host);
  });
});

describe('given allowedHosts *', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { allowedHosts: ['*'] } })));
  after(() => bench.close());

  it('when any Host is sent, then it is answered', async () => {
    assert.equal((await request(`${bench.url}/v1/jobs`, { host: 'anything.example' })).status, 200);
  });
});

describe('given Host header values', () => {
  it('when parsed, then the hostname is lower case without port or trailing dot, and junk is undefined', () => {
    assert.equal(hostnameOf('Example.COM:8080'), 'example.com');
    assert.equal(hostnameOf('[::1]:3000'), '[::1]');
    assert.equal(hostnameOf('localhost.'), 'localhost');
    for (const junk of ['', 'a b', 'host:port', 'user@host', 'a:1:2']) assert.equal(hostnameOf(junk), undefined, junk);
  });
});
