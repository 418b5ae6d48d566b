/**
 * Bad input across every endpoint, against a real `facefleet start` child process (cap 0, a 2 MB body
 * limit, 5 files, 4 megapixels): a table of endpoint × defect, each request answered with a 4xx JSON
 * `{ error: { code, message } }` whose message says what was wrong, with no stack and no path. After
 * every batch: the server still answers /healthz and nothing was written (no event, read model row,
 * queue message, blob or temp upload file). The server's RSS (from /proc/<pid>/status) is read before
 * and after all batches and must stay within a generous bound.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startFacefleet, type FacefleetProcess } from '../../support/facefleetProcess.ts';
import { assertCleanError as assertClean, badInputDirs, rssMb, written as writtenIn, type ErrorBody } from './badInputHarness.ts';

// ───────────────────────── the server and what it wrote ─────────────────────────

const dirs = badInputDirs('facefleet-badinput-');
const { root, dataDir, childTmp } = dirs;
let server: FacefleetProcess;
const written = () => writtenIn(dirs);
const assertCleanError = (text: string, label: string): ErrorBody => assertClean(text, label, root);



// ───────────────────────── request bodies ─────────────────────────

const BOUNDARY = '----facefleetBadInput';

interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer | string;
  /** Raw part headers instead of the usual ones. */
  headers?: string;
}

/** A multipart body written by hand, so file names go out exactly as given. */
function multipart(parts: Part[], options: { close?: boolean } = {}): { body: Buffer; type: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const headers =
      p.headers ??
      `Content-Disposition: form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}\r\n` +
        (p.filename === undefined ? '' : `Content-Type: ${p.type ?? 'application/octet-stream'}\r\n`);
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n`, 'latin1'), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  if (options.close !== false) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${BOUNDARY}` };
}

/** A valid 1-bit grayscale PNG of the given size whose pixels are all zero: tiny on disk, huge decoded. */
function zeroPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, no filter, no interlace
  const raw = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

interface Samples {
  jpeg: Buffer;
  png: Buffer;
  webp: Buffer;
  gif: Buffer;
  bomb: Buffer;
  hundredMegapixels: Buffer;
}
let img: Samples;

async function makeSamples(): Promise<Samples> {
  const noise = sharp({ create: { width: 160, height: 120, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
  return {
    jpeg: await noise.clone().jpeg().toBuffer(),
    png: await noise.clone().png().toBuffer(),
    webp: await noise.clone().webp().toBuffer(),
    gif: await noise.clone().gif().toBuffer(),
    bomb: zeroPng(30000, 30000),
    hundredMegapixels: await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#777' } }).toColourspace('b-w').jpeg({ quality: 10 }).toBuffer(),
  };
}

// ───────────────────────── the table ─────────────────────────

interface Request {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | ReadableStream<Uint8Array>;
}

interface Case {
  name: string;
  status: number;
  message: RegExp;
  request: () => Request;
}

/** The upload endpoints: where, in which field, how many files at most. */
const uploadEndpoints = [
  { label: 'POST /v1/jobs', path: '/v1/jobs', field: 'file', maxFiles: 5 },
  { label: 'POST / (classic)', path: '/', field: 'inputFile', maxFiles: 1 },
  { label: 'POST /v1/gallery/subjects/:id/examples', path: '', field: 'file', maxFiles: 5 },
];
let subjectId = '';

function uploadCases(endpoint: (typeof uploadEndpoints)[number]): Case[] {
  const path = () => endpoint.path || `/v1/gallery/subjects/${subjectId}/examples`;
  const post = (body: Buffer, type?: string): Request => ({ method: 'POST', path: path(), body, headers: type ? { 'content-type': type } : {} });
  const files = (parts: Part[], options?: { close?: boolean }) => {
    const { body, type } = multipart(parts, options);
    return post(body, type);
  };
  const file = (filename: string, data: Buffer | string, type?: string) => files([{ name: endpoint.field, filename, data, ...(type ? { type } : {}) }]);
  const many = (n: number) => files(Array.from({ length: n }, (_, i) => ({ name: endpoint.field, filename: `f${i}.jpg`, data: img.jpeg })));
  const field = `"${endpoint.field}"`;
  const over = endpoint.maxFiles + 1;
  const cases: Array<[string, number, RegExp, () => Request]> = [
    ['no body and no content type', 415, /multipart\/form-data/, () => ({ method: 'POST', path: path() })],
    ['an empty multipart body', 400, new RegExp(`as a file in the multipart field ${field}`), () => post(Buffer.alloc(0), `multipart/form-data; boundary=${BOUNDARY}`)],
    ['a JSON body', 415, /multipart\/form-data/, () => post(Buffer.from('{"file":"a.jpg"}'), 'application/json')],
    ['a text/plain body', 415, /multipart\/form-data/, () => post(Buffer.from('hello'), 'text/plain')],
    ['an urlencoded form', 415, /multipart\/form-data/, () => post(Buffer.from(`${endpoint.field}=a.jpg`), 'application/x-www-form-urlencoded')],
    ['raw JPEG bytes', 415, /multipart\/form-data/, () => post(img.jpeg, 'image/jpeg')],
    ['multipart/mixed', 415, /multipart\/form-data/, () => post(multipart([{ name: endpoint.field, filename: 'a.jpg', data: img.jpeg }]).body, `multipart/mixed; boundary=${BOUNDARY}`)],
    ['multipart without a boundary', 400, /could not be parsed/, () => post(multipart([{ name: endpoint.field, filename: 'a.jpg', data: img.jpeg }]).body, 'multipart/form-data')],
    ['a boundary that is not in the body', 400, /could not be parsed|as a file/, () => post(multipart([{ name: endpoint.field, filename: 'a.jpg', data: img.jpeg }]).body, 'multipart/form-data; boundary=other')],
    ['a body cut off before its closing boundary', 400, /could not be parsed|aborted|as a file|ends early/, () => files([{ name: endpoint.field, filename: 'a.jpg', data: img.jpeg.subarray(0, 500) }], { close: false })],
    ['a part without Content-Disposition', 400, /could not be parsed|as a file|the field ""/, () => files([{ name: '', data: img.jpeg, headers: 'Content-Type: image/jpeg\r\n' }])],
    ['the image in a wrong field', 400, new RegExp(`field ${field}.*"image"`), () => files([{ name: 'image', filename: 'a.jpg', data: img.jpeg }])],
    ['a wrong field beside the right one', 400, new RegExp(`field ${field}.*"photo"`), () => files([{ name: endpoint.field, filename: 'a.jpg', data: img.jpeg }, { name: 'photo', filename: 'b.jpg', data: img.jpeg }])],
    ['the field as text, not a file', 400, new RegExp(`as a file in the multipart field ${field}`), () => files([{ name: endpoint.field, data: 'a.jpg' }])],
    ['a 0-byte file', 415, /"empty.jpg" is not a JPEG, PNG or WebP/, () => file('empty.jpg', Buffer.alloc(0), 'image/jpeg')],
    ['a JPEG cut in half', 400, /"half.jpg" is not a readable image: its data ends early/, () => file('half.jpg', img.jpeg.subarray(0, img.jpeg.length >> 1))],
    ['a JPEG cut after its headers', 400, /"head.jpg" is not a readable image/, () => file('head.jpg', img.jpeg.subarray(0, 300))],
    ['a JPEG missing its last byte', 400, /ends early/, () => file('last.jpg', img.jpeg.subarray(0, img.jpeg.length - 1))],
    ['a PNG cut in half', 400, /"half.png" is not a readable image: its data ends early/, () => file('half.png', img.png.subarray(0, img.png.length >> 1))],
    ['a WebP cut in half', 400, /"half.webp" is not a readable image: its data ends early/, () => file('half.webp', img.webp.subarray(0, img.webp.length >> 1))],
    ['a JPEG signature followed by garbage', 400, /"fake.jpg" is not a readable image/, () => file('fake.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(512)]))],
    ['a PNG signature followed by garbage', 400, /"fake.png" is not a readable image/, () => file('fake.png', Buffer.concat([img.png.subarray(0, 8), randomBytes(512)]))],
    ['text named .jpg and declared image/jpeg', 415, /"notes.jpg" is not a JPEG, PNG or WebP/, () => file('notes.jpg', 'I am text, not a photo', 'image/jpeg')],
    ['a GIF', 415, /"a.gif" is not a JPEG, PNG or WebP/, () => file('a.gif', img.gif, 'image/gif')],
    ['an SVG with a script', 415, /"a.svg" is not a JPEG, PNG or WebP/, () => file('a.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'image/svg+xml')],
    ['a PNG bomb (tiny file, 30000×30000 declared)', 413, /30000×30000 pixels, more than the limit of 4000000/, () => file('bomb.png', img.bomb, 'image/png')],
    ['a 100-megapixel JPEG', 413, /10000×10000 pixels, more than the limit of 4000000/, () => file('huge.jpg', img.hundredMegapixels, 'image/jpeg')],
    ['a body over the 2 MB limit', 413, /limit of 2097152 bytes/, () => file('big.jpg', Buffer.concat([img.jpeg, randomBytes(3 * 1024 * 1024)]))],
    [
      'a chunked body (no length) over the limit',
      413,
      /limit of 2097152 bytes/,
      () => {
        const { body, type } = multipart([{ name: endpoint.field, filename: 'big.jpg', data: Buffer.concat([img.jpeg, randomBytes(3 * 1024 * 1024)]) }]);
        return { method: 'POST', path: path(), headers: { 'content-type': type }, body: new Blob([new Uint8Array(body)]).stream() };
      },
    ],
    ['a ../ traversal file name', 415, /"passwd.jpg" is not a JPEG/, () => file('../../../etc/passwd.jpg', 'root:x:0:0')],
    ['a Windows traversal file name', 415, /"boot.ini.jpg" is not a JPEG/, () => file('..\\..\\..\\boot.ini.jpg', '[boot loader]')],
    ['a percent-encoded traversal file name', 415, /is not a JPEG/, () => file('%2e%2e%2f%2e%2e%2fetc%2fpasswd', 'root:x:0:0')],
    ['control characters in the file name', 415, /"abc\[31m.jpg" is not a JPEG/, () => file('a\u0001b\u007fc\u001b[31m.jpg', 'text')],
    ['a NUL byte in the file name', 415, /"ab.jpg" is not a JPEG/, () => file('a\u0000b.jpg', 'text')],
    ['a 5000-character file name', 415, /is not a JPEG/, () => file(`${'n'.repeat(5000)}.jpg`, 'text')],
    ['only dots as the file name', 415, /"upload" is not a JPEG/, () => file('..', 'text')],
    [`${over} files (one more than allowed)`, 400, new RegExp(`at most ${endpoint.maxFiles} files`), () => many(over)],
    ['60 files', 400, new RegExp(`at most ${endpoint.maxFiles} files`), () => many(60)],
    ['one good image and one truncated', 400, /ends early|at most 1 files/, () => files([{ name: endpoint.field, filename: 'good.jpg', data: img.jpeg }, { name: endpoint.field, filename: 'bad.jpg', data: img.jpeg.subarray(0, 900) }])],
    ['30 text fields', 413, /too many or too large text fields/, () => files(Array.from({ length: 30 }, (_, i) => ({ name: `t${i}`, data: 'x' })))],
    ['a 100 kB text field', 413, /too many or too large text fields/, () => files([{ name: 'note', data: 'x'.repeat(100 * 1024) }])],
  ];
  if (endpoint.path === '/v1/jobs') {
    cases.push(['an unknown detector', 400, /detector must be "ssd" or "tiny"/, () => files([{ name: 'detector', data: 'yolo' }, { name: 'file', filename: 'a.jpg', data: img.jpeg }])]);
  }
  return cases.map(([name, status, message, request]) => ({ name, status, message, request }));
}

async function send(request: Request): Promise<{ status: number; type: string; text: string }> {
  const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers: request.headers ?? {} };
  if (request.body instanceof ReadableStream) {
    init.body = request.body;
    init.duplex = 'half';
  } else if (request.body) init.body = new Uint8Array(request.body);
  const response = await fetch(`${server.url}${request.path}`, init);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

// ───────────────────────── the run ─────────────────────────

describe('given a facefleet server (cap 0, 2 MB bodies, 5 files, 4 megapixels) and one subject', () => {
  let baseline: Record<string, unknown>;
  let rssBefore = 0;
  let requests = 0;
  const statuses = new Map<number, number>();

  before(async () => {
    mkdirSync(childTmp, { recursive: true });
    img = await makeSamples();
    server = await startFacefleet({
      dataDir,
      env: { FACEFLEET_CAP: '0', FACEFLEET_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024), FACEFLEET_MAX_FILES: '5', FACEFLEET_MAX_PIXELS: '4000000', TMPDIR: childTmp },
    });
    const created = await fetch(`${server.url}/v1/gallery/subjects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"alice"}' });
    assert.equal(created.status, 201);
    subjectId = ((await created.json()) as { id: string }).id;
    for (let i = 0; i < 20; i++) await send({ method: 'GET', path: '/v1/jobs?limit=bogus' }); // warm up before measuring
    baseline = written();
    rssBefore = rssMb(server.child.pid ?? 0);
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  for (const endpoint of uploadEndpoints) {
    describe(`when malformed uploads are sent to ${endpoint.label}`, () => {
      for (const c of uploadCases(endpoint)) {
        it(`${c.name} → ${c.status}`, async () => {
          const response = await send(c.request());
          requests += 1;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          assert.equal(response.status, c.status, response.text.slice(0, 300));
          assert.match(response.type, /^application\/json/);
          assert.match(assertCleanError(response.text, c.name).error.message, c.message);
        });
      }
      it('then the server is up and nothing was written', async () => {
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
        assert.deepEqual(written(), baseline);
      });
    });
  }

  describe('when a client sends broken HTTP on a raw socket', () => {
    const rawCases: Array<[string, string, number, RegExp]> = [
      ['headers over 16 kB', `GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`, 431, /headers are too large/],
      ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400, /not valid HTTP|method/],
      ['both Content-Length and Transfer-Encoding', 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, /not valid HTTP/],
      ['a negative Content-Length', 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n', 400, /not valid HTTP/],
      ['a header with a control character', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n', 400, /not valid HTTP/],
      ['a broken chunked body', 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n', 400, /not valid HTTP|could not be parsed/],
    ];
    for (const [name, raw, status, message] of rawCases) {
      it(`${name} → ${status}`, async () => {
        const socket = connect(server.port, '127.0.0.1');
        await once(socket, 'connect');
        let reply = '';
        socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
        socket.on('error', () => undefined);
        socket.write(raw);
        await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 5000))]);
        socket.destroy();
        requests += 1;
        const [head = '', body = ''] = reply.split('\r\n\r\n');
        const got = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        statuses.set(got, (statuses.get(got) ?? 0) + 1);
        assert.equal(got, status, reply.slice(0, 300));
        assert.match(head, /content-type: application\/json/i);
        assert.match(assertCleanError(body, name).error.message, message);
      });
    }
    it('then the server is up and nothing was written', async () => {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      assert.deepEqual(written(), baseline);
    });
  });

  describe('when all of it is over', () => {
    it('then every request was refused with a 4xx and the RSS stayed within 150 MB of its start', (t) => {
      const rssAfter = rssMb(server.child.pid ?? 0);
      const summary = [...statuses].sort().map(([s, n]) => `${s}×${n}`).join(' ');
      t.diagnostic(`bad uploads: ${requests} requests (${summary}); server RSS ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after`);
      assert.ok(requests >= 120, `${requests} requests`);
      assert.ok([...statuses.keys()].every((s) => s >= 400 && s < 500), summary);
      assert.ok(rssAfter - rssBefore < 150, `RSS grew from ${rssBefore} MB to ${rssAfter} MB`);
    });
  });
});
