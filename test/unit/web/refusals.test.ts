/**
 * Every refused input: a clear 4xx JSON error (one sentence, no stack, no path) and nothing left
 * behind — no blob, no job event, no queue message, no temp file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ApiServices } from '../../../services/api.ts';
import { createApp } from '../../../web/app.ts';
import { form, leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

function assertCleanError(bench: Bench | undefined, text: string, label: string): ErrorBody {
  const body = JSON.parse(text) as ErrorBody;
  assert.deepEqual(Object.keys(body), ['error'], label);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], label);
  assert.equal(typeof body.error.code, 'string', label);
  assert.ok(body.error.message.length > 0 && body.error.message.length < 300, label);
  assert.doesNotMatch(text, /\n\s+at |stack|node_modules|\.ts\b|\/tmp\/|\/work\//i, label);
  if (bench) assert.ok(!text.includes(bench.dir), label);
  assert.ok(!text.includes(tmpdir()), label);
  return body;
}

describe('given an empty system with a 2 MB body limit, 5 files and 4 megapixels at most', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  const jpeg = () => sampleImage('jpeg');
  const cases: Array<{ name: string; status: number; code: string; message: RegExp; request: () => Promise<{ path: string; init: RequestInit }> }> = [
    {
      name: 'a JSON body to /v1/jobs',
      status: 415,
      code: 'unsupported-media-type',
      message: /multipart\/form-data in the multipart field "file"/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' } }),
    },
    {
      name: 'raw image bytes to /',
      status: 415,
      code: 'unsupported-media-type',
      message: /"inputFile"/,
      request: async () => ({ path: '/', init: { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(await jpeg()) } }),
    },
    {
      name: 'the image in the wrong field',
      status: 400,
      code: 'validation',
      message: /field "file".*"image"/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', body: form([{ field: 'image', name: 'a.jpg', bytes: await jpeg() }]) } }),
    },
    {
      name: 'a classic request in the wrong field',
      status: 400,
      code: 'validation',
      message: /field "inputFile"/,
      request: async () => ({ path: '/', init: { method: 'POST', body: form([{ field: 'file', name: 'a.jpg', bytes: await jpeg() }]) } }),
    },
    {
      name: 'a form with no file',
      status: 400,
      code: 'validation',
      message: /as a file in the multipart field "file"/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', body: form([], { file: 'not a file' }) } }),
    },
    {
      name: 'a text file named .jpg and declared image/jpeg',
      status: 415,
      code: 'unsupported-media-type',
      message: /"notes.jpg" is not a JPEG, PNG or WebP image/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', body: form([{ field: 'file', name: 'notes.jpg', type: 'image/jpeg', bytes: Buffer.from('hello, I am text') }]) } }),
    },
    {
      name: 'a GIF',
      status: 415,
      code: 'unsupported-media-type',
      message: /not a JPEG, PNG or WebP/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', body: form([{ field: 'file', name: 'a.gif', bytes: await sharp(await jpeg()).gif().toBuffer() }]) } }),
    },
    {
      name: 'an empty file',
      status: 415,
      code: 'unsupported-media-type',
      message: /"empty.png"/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', body: form([{ field: 'file', name: 'empty.png', bytes: Buffer.alloc(0) }]) } }),
    },
    {
      name: 'a JPEG signature followed by garbage',
      status: 400,
      code: 'validation',
      message: /not a readable image/,
      request: async () => ({
        path: '/v1/jobs',
        init: { method: 'POST', body: form([{ field: 'file', name: 'fake.jpg', bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(64)]) }]) },
      }),
    },
    {
      name: 'one good image and one bad one',
      status: 415,
      code: 'unsupported-media-type',
      message: /"bad.png"/,
      request: async () => ({
        path: '/v1/jobs',
        init: {
          method: 'POST',
          body: form([
            { field: 'file', name: 'good.jpg', bytes: await jpeg() },
            { field: 'file', name: 'bad.png', bytes: Buffer.from('nope') },
          ]),
        },
      }),
    },
    {
      name: 'six files (one more than allowed)',
      status: 400,
      code: 'validation',
      message: /at most 5 files/,
      request: async () => ({
        path: '/v1/jobs',
        init: { method: 'POST', body: form(await Promise.all(Array.from({ length: 6 }, async (_, i) => ({ field: 'file', name: `f${i}.jpg`, bytes: await jpeg() })))) },
      }),
    },
    {
      name: 'two files to the classic endpoint',
      status: 400,
      code: 'validation',
      message: /at most 1 files/,
      request: async () => ({
        path: '/',
        init: {
          method: 'POST',
          body: form([
            { field: 'inputFile', name: 'a.jpg', bytes: await jpeg() },
            { field: 'inputFile', name: 'b.jpg', bytes: await jpeg() },
          ]),
        },
      }),
    },
    {
      name: 'a body over the size limit',
      status: 413,
      code: 'payload-too-large',
      message: /limit of 2097152 bytes/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', body: form([{ field: 'file', name: 'big.jpg', bytes: Buffer.concat([await jpeg(), randomBytes(3 * 1024 * 1024)]) }]) } }),
    },
    {
      name: 'a chunked body (no length) over the size limit',
      status: 413,
      code: 'payload-too-large',
      message: /limit of 2097152 bytes/,
      request: async () => {
        const body = form([{ field: 'file', name: 'big.jpg', bytes: Buffer.concat([await jpeg(), randomBytes(3 * 1024 * 1024)]) }]);
        const encoded = new Response(body);
        return {
          path: '/v1/jobs',
          init: { method: 'POST', headers: { 'content-type': encoded.headers.get('content-type') ?? '' }, body: encoded.body, duplex: 'half' } as RequestInit,
        };
      },
    },
    {
      name: 'an image over the pixel limit',
      status: 413,
      code: 'image-too-large',
      message: /2100×2000 pixels, more than the limit of 4000000/,
      request: async () => {
        const huge = await sharp({ create: { width: 2100, height: 2000, channels: 3, background: '#888' } }).png({ compressionLevel: 9 }).toBuffer();
        return { path: '/v1/jobs', init: { method: 'POST', body: form([{ field: 'file', name: 'huge.png', bytes: huge }]) } };
      },
    },
    {
      name: 'an unknown detector',
      status: 400,
      code: 'validation',
      message: /detector must be "ssd" or "tiny"/,
      request: async () => ({ path: '/v1/jobs', init: { method: 'POST', body: form([{ field: 'file', name: 'a.jpg', bytes: await jpeg() }], { detector: 'yolo' }) } }),
    },
  ];

  for (const c of cases) {
    it(`when ${c.name} is sent then ${c.status} ${c.code} and nothing is left behind`, async () => {
      const { path, init } = await c.request();
      const response = await fetch(`${bench.url}${path}`, init);
      const text = await response.text();
      assert.equal(response.status, c.status, text);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = assertCleanError(bench, text, c.name);
      assert.equal(body.error.code, c.code);
      assert.match(body.error.message, c.message);
      assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
    });
  }

  it('when the JSON of a new subject is invalid, of the wrong type or names nobody then 400/415 with a clear message', async () => {
    const attempts: Array<[RequestInit, number, RegExp]> = [
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' }, 400, /not valid JSON/],
      [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'alice' }, 415, /application\/json/],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ""}' }, 400, /1 to 100 characters/],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(101) }) }, 400, /1 to 100 characters/],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bad\u0007name' }) }, 400, /control, formatting or invisible characters/],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nom: 'alice' }) }, 400, /"name"/],
    ];
    for (const [init, status, message] of attempts) {
      const response = await fetch(`${bench.url}/v1/gallery/subjects`, init);
      const text = await response.text();
      assert.equal(response.status, status, text);
      assert.match(assertCleanError(bench, text, String(init.body)).error.message, message);
    }
  });

  it('when an unknown address or method is used then 404/405 JSON', async () => {
    const missing = await fetch(`${bench.url}/v1/nothing-here`);
    assert.equal(missing.status, 404);
    assert.equal(assertCleanError(bench, await missing.text(), '404').error.code, 'not-found');
    const wrongMethod = await fetch(`${bench.url}/v1/jobs`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(assertCleanError(bench, await wrongMethod.text(), '405').error.code, 'method-not-allowed');
  });

  it('when a client disconnects in the middle of an upload then its temp file is removed and nothing is stored', async () => {
    const { port } = new URL(bench.url);
    const boundary = 'xxBOUNDARYxx';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n${head}`,
    );
    socket.write(Buffer.concat([await jpeg(), randomBytes(200_000)]));
    for (let i = 0; i < 100 && (await leftovers(bench)).uploads.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await leftovers(bench)).uploads.length, 1, 'the part was being written to a temp file');
    socket.destroy();
    for (let i = 0; i < 200 && (await leftovers(bench)).uploads.length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
  });

  it('then no unexpected error was logged', () => {
    assert.deepEqual(bench.logged, []);
  });
});

describe('given services that fail unexpectedly', () => {
  it('when a route hits the failure then 500 internal error without the message, stack or path', async () => {
    const secret = new Error(`ENOENT: no such file or directory, open '/var/lib/facefleet/secret.db'`);
    const failing = {
      limits: { maxUploadBytes: 1024, maxFiles: 1, maxPixels: 1 },
      jobs: {
        get: async () => {
          throw secret;
        },
      },
    } as unknown as ApiServices;
    const logged: unknown[] = [];
    const server = createServer(createApp(failing, { logError: (e) => logged.push(e) }).callback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/jobs/abc`);
      assert.equal(response.status, 500);
      const text = await response.text();
      assert.deepEqual(JSON.parse(text), { error: { code: 'internal', message: 'internal error' } });
      assert.deepEqual(logged, [secret]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
