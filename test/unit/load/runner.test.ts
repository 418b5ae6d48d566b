import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad, exitCodeOf, type LoadPlan } from '../../../client/load/runner.ts';
import { renderSummary } from '../../../client/load/renderSummary.ts';
import { parseShape } from '../../../client/load/shapes.ts';
import type { ImageFile, LoadMode } from '../../../client/load/types.ts';

/**
 * A stand-in for facefleet's web tier speaking both protocols, with knobs for the awkward cases:
 * a label "FAIL" fails the job; finals can be sent before the 202; the stream can drop right
 * before a final so that only GET /v1/jobs/:id knows it.
 */
interface FakeOptions {
  labels: Record<string, string>;
  delayMs?: number;
  /** Emit the final event before answering POST /v1/jobs. */
  finalBeforeAnswer?: boolean;
  /** Close every SSE connection instead of sending the final of the first job. */
  dropStreamOnce?: boolean;
}

function fakeFacefleet(options: FakeOptions) {
  let inFlight = 0;
  let maxInFlight = 0;
  let dropped = false;
  const jobs = new Map<string, { id: string; state: string; label?: string; reason?: string }>();
  const streams = new Set<http.ServerResponse>();
  const emit = (job: { id: string; state: string; label?: string; reason?: string }) => {
    const row = { kind: 'job', id: job.id, stream: `job-${job.id}`, state: job.state, seq: 1, createdAt: '', updatedAt: '', context: { label: job.label, reason: job.reason } };
    for (const res of streams) res.write(`event: job\ndata: ${JSON.stringify(row)}\n\n`);
  };
  const stemOf = (body: string) => /filename="([^"]+)"/.exec(body)?.[1]?.replace(/\.[^.]+$/, '') ?? '?';
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('latin1');
    const url = req.url ?? '/';
    if (req.method === 'POST' && url === '/') {
      assert.match(body, /name="inputFile"/);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(options.delayMs ?? 20);
      inFlight -= 1;
      const stem = stemOf(body);
      const label = options.labels[stem] ?? 'unknown';
      if (label === 'FAIL') {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'Internal', message: 'the model broke' } }));
      } else res.writeHead(200, { 'content-type': 'text/plain' }).end(`${stem}:${label}`);
      return;
    }
    if (req.method === 'POST' && url === '/v1/jobs') {
      assert.match(body, /name="file"/);
      const stem = stemOf(body);
      const id = `j${jobs.size + 1}`;
      const label = options.labels[stem] ?? 'unknown';
      const job = { id, state: 'queued' };
      jobs.set(id, job);
      const finish = () => {
        const final = label === 'FAIL' ? { id, state: 'failed', reason: 'no face in the image' } : { id, state: 'done', label };
        jobs.set(id, final);
        if (options.dropStreamOnce && !dropped) {
          dropped = true;
          for (const s of streams) s.destroy();
          streams.clear();
          return;
        }
        emit(final);
      };
      if (options.finalBeforeAnswer) finish();
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ jobs: [{ id, state: 'queued', fileName: `${stem}.jpg` }] }));
      if (!options.finalBeforeAnswer) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(options.delayMs ?? 20);
        inFlight -= 1;
        emit({ id, state: 'processing' });
        finish();
      }
      return;
    }
    if (req.method === 'GET' && url.startsWith('/v1/jobs/')) {
      const job = jobs.get(url.slice('/v1/jobs/'.length));
      if (!job) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(job));
      return;
    }
    if (req.method === 'GET' && url === '/v1/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hi\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(404).end();
  });
  return {
    server,
    maxInFlight: () => maxInFlight,
    async listen(port = 0): Promise<URL> {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    },
    async close() {
      for (const s of streams) s.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const image = (name: string): ImageFile => ({ name, stem: name.replace(/\.[^.]+$/, ''), type: 'image/jpeg', bytes: new Uint8Array([0xff, 0xd8, 0xff]) });
const images = [image('a.jpg'), image('b.jpg'), image('c.jpg')];
const labels = { a: 'Paul', b: 'Emily', c: 'Zoe' };
// b's expectation is deliberately wrong; c has none.
const expectations = new Map([['a', 'Paul'], ['b', 'emily']]);

function plan(url: URL, mode: LoadMode, over: Partial<LoadPlan> = {}): LoadPlan {
  return { url, mode, shape: { kind: 'closed' }, requests: 8, concurrency: 4, images, expectations, retries: 2, timeoutMs: 5000, ...over };
}

for (const mode of ['classic', 'v1'] as const) {
  describe(`given a server that answers every image (${mode})`, () => {
    const fake = fakeFacefleet({ labels, delayMs: 30 });
    after(() => fake.close());

    it('when 8 requests go with concurrency 4, then the counts and checks add up and at most 4 are in flight', async () => {
      const url = await fake.listen();
      const progress: number[] = [];
      const report = await runLoad(plan(url, mode), { onProgress: (p) => progress.push(p.inFlight) });
      const s = report.summary;
      assert.deepEqual(
        { requests: s.requests, ok: s.ok, failed: s.failed, correct: s.correct, wrong: s.wrong, unchecked: s.unchecked },
        { requests: 8, ok: 8, failed: 0, correct: 3, wrong: 3, unchecked: 2 },
      );
      assert.deepEqual(report.records.map((r) => r.image), ['a.jpg', 'b.jpg', 'c.jpg', 'a.jpg', 'b.jpg', 'c.jpg', 'a.jpg', 'b.jpg']);
      assert.deepEqual(report.records.map((r) => r.label), ['Paul', 'Emily', 'Zoe', 'Paul', 'Emily', 'Zoe', 'Paul', 'Emily']);
      assert.ok(Math.max(...progress) <= 4 && fake.maxInFlight() <= 4, `max in flight ${Math.max(...progress)} / server ${fake.maxInFlight()}`);
      assert.equal(Math.max(...progress), 4);
      assert.ok(report.records.every((r) => r.latencyMs >= 25 && r.finishedAt >= r.startedAt));
      if (mode === 'v1') assert.ok(report.records.every((r) => r.jobId?.startsWith('j')));
      assert.equal(exitCodeOf(report), 1, 'a wrong answer makes the exit code 1');
      const text = renderSummary(report);
      assert.match(text, /requests +8\n +ok +8\n +failed +0\n +correct +3\n +wrong +3\n +unchecked +2/);
      assert.match(text, /latency histogram/);
      assert.match(text, /#1 b\.jpg: got "Emily", expected "emily"/);
    });
  });
}

describe('given a server that fails one image', () => {
  for (const mode of ['classic', 'v1'] as const) {
    it(`when it is sent (${mode}), then that request is failed with the reason and the rest are fine`, async () => {
      const fake = fakeFacefleet({ labels: { ...labels, c: 'FAIL' } });
      try {
        const report = await runLoad(plan(await fake.listen(), mode, { requests: 3, expectations: new Map() }));
        assert.equal(report.summary.ok, 2);
        assert.equal(report.summary.failed, 1);
        assert.match(report.records[2]!.error ?? '', mode === 'classic' ? /HTTP 500: Internal: the model broke/ : /the job failed: no face in the image/);
        assert.equal(exitCodeOf(report), 1);
      } finally {
        await fake.close();
      }
    });
  }
});

describe('given v1 finals that come before the 202', () => {
  it('when jobs are submitted, then no final is missed', async () => {
    const fake = fakeFacefleet({ labels, finalBeforeAnswer: true });
    try {
      const report = await runLoad(plan(await fake.listen(), 'v1', { expectations: new Map() }));
      assert.equal(report.summary.ok, 8);
      assert.equal(exitCodeOf(report), 0);
    } finally {
      await fake.close();
    }
  });
});

describe('given an event stream that drops right before a final', () => {
  it('when it reconnects, then the pending job is looked up and finishes', async () => {
    const fake = fakeFacefleet({ labels, dropStreamOnce: true });
    try {
      const report = await runLoad(plan(await fake.listen(), 'v1', { requests: 2, concurrency: 1, expectations: new Map() }), { baseDelayMs: 20 });
      assert.deepEqual(report.records.map((r) => [r.outcome, r.label]), [['ok', 'Paul'], ['ok', 'Emily']]);
    } finally {
      await fake.close();
    }
  });
});

describe('given a server that is not listening yet', () => {
  it('when requests go (classic), then connection errors are retried with backoff until it listens', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const fake = fakeFacefleet({ labels });
    setTimeout(() => void fake.listen(port), 250);
    try {
      const report = await runLoad(plan(new URL(`http://127.0.0.1:${port}`), 'classic', { requests: 2, retries: 8 }), { baseDelayMs: 50 });
      assert.equal(report.summary.ok, 2);
      assert.ok(report.summary.retries >= 2, `retries ${report.summary.retries}`);
      assert.ok(report.records.every((r) => r.attempts > 1));
    } finally {
      await fake.close();
    }
  });

  it('when it never listens, then after the bound each request fails with ECONNREFUSED', async () => {
    const report = await runLoad(plan(new URL('http://127.0.0.1:1'), 'classic', { requests: 2, retries: 2 }), { baseDelayMs: 5 });
    assert.equal(report.summary.failed, 2);
    assert.ok(report.records.every((r) => r.attempts === 3 && /ECONNREFUSED/.test(r.error ?? '')));
  });

  it('when it never listens (v1), then opening the event stream fails with one message', async () => {
    await assert.rejects(runLoad(plan(new URL('http://127.0.0.1:1'), 'v1', { retries: 0 }), { baseDelayMs: 5 }), /cannot open the event stream http:\/\/127\.0\.0\.1:1\/v1\/stream: .*ECONNREFUSED/);
  });
});

describe('given a burst shape', () => {
  it('when run, then the second burst waits for its time', async () => {
    const fake = fakeFacefleet({ labels, delayMs: 5 });
    try {
      const report = await runLoad(plan(await fake.listen(), 'classic', { shape: parseShape('burst:2x2@300ms'), requests: 4 }));
      const starts = report.records.map((r) => r.startedAt);
      assert.ok(starts[1]! < 100 && starts[2]! >= 299 && starts[3]! >= 299, starts.join(','));
      assert.deepEqual(report.records.map((r) => r.plannedAt), [0, 0, 300, 300]);
    } finally {
      await fake.close();
    }
  });
});
