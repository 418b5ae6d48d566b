/**
 * Multipart limits enforced while the body streams, chunked or not: a part header holding a huge
 * file name is refused after 16 KB of it (it used to be buffered whole: 300 MB names took the web
 * tier to 773 MB), and every byte of the body counts against the limit — also a file in an
 * unexpected field or beyond maxFiles.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { guardMultipart, MultipartLimitError } from '../../../web/multipartGuard.ts';
import { leftovers, sampleImage, startBench, type Bench } from './webHarness.ts';

const boundary = 'xxLIMITSxx';

/**
 * Sends a chunked multipart POST whose body is `parts` (produced lazily, so a huge body is never
 * built at once) and resolves to the answer; stops writing once the server has answered.
 */
function chunkedPost(url: string, parts: () => Generator<Buffer>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const chunks = parts();
    const pump = (): void => {
      for (;;) {
        if (answered || req.destroyed) return;
        const next = chunks.next();
        if (next.done) {
          req.end();
          return;
        }
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

describe('given a web tier with a 2 MB body limit', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { maxUploadBytes: 2 * 1024 * 1024 } })));
  after(() => bench.close());

  it('when a chunked part header holds a 64 MB file name, then 400 after 16 KB of it, RSS grows by less than 40 MB, and nothing is written', async () => {
    const rssBefore = process.memoryUsage().rss;
    const answer = await chunkedPost(`${bench.url}/v1/jobs`, function* () {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="`);
      const block = Buffer.alloc(64 * 1024, 'a');
      for (let i = 0; i < 1024; i++) yield block;
      yield Buffer.from(`.jpg"\r\nContent-Type: image/jpeg\r\n\r\nxx\r\n--${boundary}--\r\n`);
    });
    assert.equal(answer.status, 400, answer.body);
    assert.match(JSON.parse(answer.body).error.message, /A part's headers are longer than 16384 bytes/);
    const grown = (process.memoryUsage().rss - rssBefore) / 1e6;
    process.stdout.write(`# figure header-attack ${JSON.stringify({ fileNameBytes: 64 * 1024 * 1024, rssGrowthMb: Number(grown.toFixed(1)) })}\n`);
    assert.ok(grown < 40, `RSS grew by ${grown.toFixed(1)} MB`);
    assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
  });

  it('when a chunked body sends 3 MB in an unexpected field, then 413 (every byte counts), and nothing is written', async () => {
    const answer = await chunkedPost(`${bench.url}/v1/jobs`, function* () {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="other"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      const block = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 48; i++) yield block;
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    });
    assert.equal(answer.status, 413, answer.body);
    assert.deepEqual(await leftovers(bench), { blobs: [], jobs: 0, requests: 0, uploads: [] });
  });

  it('when a chunked upload is within the limits, then it is accepted as before', async () => {
    const jpeg = await sampleImage('jpeg');
    const answer = await chunkedPost(`${bench.url}/v1/jobs`, function* () {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ok.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
      yield jpeg;
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    });
    assert.equal(answer.status, 202, answer.body);
  });
});

describe('given the guard alone', () => {
  const run = async (chunks: Buffer[], maxHeaderBytes = 64, maxBodyBytes = 10_000): Promise<Error | undefined> => {
    const guard = guardMultipart({ boundary: 'b', maxBodyBytes, maxHeaderBytes });
    const done = new Promise<Error | undefined>((resolve) => {
      guard.on('error', resolve);
      guard.on('finish', () => resolve(undefined));
    });
    guard.resume();
    for (const c of chunks) guard.write(c);
    guard.end();
    return done;
  };
  const body = (header: string) => Buffer.from(`--b\r\n${header}\r\n\r\ndata\r\n--b\r\n${header}\r\n\r\nmore\r\n--b--\r\n`);

  it('when headers fit, then the body passes whatever the chunking (down to one byte)', async () => {
    const whole = body('Content-Disposition: form-data; name="f"');
    assert.equal(await run([whole]), undefined);
    assert.equal(await run([...whole].map((b) => Buffer.from([b]))), undefined);
  });

  it('when a part header is longer than the limit, then it fails as part-headers, even when split across chunks', async () => {
    const whole = body(`Content-Disposition: form-data; name="f"; filename="${'x'.repeat(100)}"`);
    for (const chunks of [[whole], [...whole].map((b) => Buffer.from([b]))]) {
      const error = await run(chunks);
      assert.ok(error instanceof MultipartLimitError && error.limit === 'part-headers', String(error));
    }
  });

  it('when the body is longer than the limit, then it fails as body', async () => {
    const error = await run([Buffer.alloc(20_000)], 64, 10_000);
    assert.ok(error instanceof MultipartLimitError && error.limit === 'body', String(error));
  });
});
