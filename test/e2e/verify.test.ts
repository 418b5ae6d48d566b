/**
 * `POST /v1/verify` through a real fleet (startFacefleet in this process, workers as processes), on
 * face-api's demo photos: one face against a rotated, shrunk copy of itself is `same`; the largest
 * faces of two different photos are `different`; a photo without a face is a clear `no-face`; a
 * photo against a gallery subject; bad input is a 4xx JSON error and no job. The verification is a
 * job the fleet computes (JobSubmitted kind `verify`, JobStarted by a worker instance, the result
 * stored as the job's result), not the web tier.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createApiClient } from '../../client/api.ts';
import { demoPhoto, demoUpload, eventually, getJob, streamTypes } from '../support/facefleetProcess.ts';
import { startInProcess, type InProcessFacefleet } from '../support/facefleetInProcess.ts';

interface VerifyResult {
  label: string;
  same: boolean | null;
  distance: number | null;
  threshold: number;
  noFace: string[];
  a: { kind: string; box: { x: number; y: number; width: number; height: number } | null };
  b: { kind: string; box?: unknown; subjectId?: string; name?: string };
}
interface VerifyAnswer {
  status: number;
  jobId: string | null;
  body: { id?: string; state?: string; label?: string; source?: string; result?: VerifyResult; error?: { code: string; message: string } };
}

const jpeg = (path: string) => readFileSync(path);

async function postVerify(url: string, parts: { a?: Buffer; b?: Buffer; subjectId?: string }, query = '?wait=60'): Promise<VerifyAnswer> {
  const form = new FormData();
  if (parts.a) form.append('a', new Blob([new Uint8Array(parts.a)], { type: 'image/jpeg' }), 'a.jpg');
  if (parts.b) form.append('b', new Blob([new Uint8Array(parts.b)], { type: 'image/jpeg' }), 'b.jpg');
  if (parts.subjectId !== undefined) form.append('subjectId', parts.subjectId);
  const response = await fetch(`${url}/v1/verify${query}`, { method: 'POST', body: form });
  return { status: response.status, jobId: response.headers.get('x-job-id'), body: (await response.json()) as VerifyAnswer['body'] };
}

/** The demo photo turned 8°, shrunk to 70 % and saved at JPEG quality 70: another photo of the same faces. */
async function variantOf(n: number): Promise<Buffer> {
  const { width = 0 } = await sharp(demoPhoto(n)).metadata();
  return sharp(demoPhoto(n)).rotate(8, { background: '#808080' }).resize(Math.round(width * 0.7)).jpeg({ quality: 70 }).toBuffer();
}

describe('given a running fleet', () => {
  let ff: InProcessFacefleet;
  const figures: string[] = [];
  before(async () => {
    ff = await startInProcess({ env: { FACEFLEET_CAP: '2' } });
  });
  after(async () => {
    if (figures.length) process.stdout.write(`# verification on the demo photos:\n${figures.map((l) => `#   ${l}`).join('\n')}\n`);
    await ff?.stop();
    ff?.cleanup();
  });

  it('when a face is verified against a rotated, shrunk copy of its photo, then same, below the threshold, with both boxes, computed by a worker', async () => {
    // Not sample1: its three faces are of nearly one size, and turned, another one is the largest.
    for (const n of [2, 3, 4, 5, 6]) {
      const answer = await postVerify(ff.url, { a: jpeg(demoPhoto(n)), b: await variantOf(n) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const result = answer.body.result as VerifyResult;
      figures.push(`sample${n} vs its rotated copy: distance ${result.distance?.toFixed(3)} → ${result.label}`);
      assert.equal(answer.body.state, 'done');
      assert.equal(answer.body.label, 'same');
      assert.equal(result.same, true);
      assert.ok(result.distance !== null && result.distance < result.threshold, `distance ${result.distance} < ${result.threshold}`);
      assert.ok(result.a.box && result.a.box.width > 0, 'the box of a');
      assert.ok(result.b.box, 'the box of b');
    }
    const last = await postVerify(ff.url, { a: jpeg(demoPhoto(5)), b: await variantOf(5) });
    const types = await streamTypes(ff.dataDir, `job-${last.jobId}`);
    assert.deepEqual(types.map((t) => t.type), ['JobSubmitted', 'JobStarted', 'JobCompleted']);
    assert.equal((types[0]?.data as { kind?: string }).kind, 'verify');
    assert.match(String((types[1]?.data as { instanceId?: string }).instanceId), /.+/, 'a worker instance took it');
  });

  it('when the largest faces of two different demo photos are verified, then different, at or above the threshold', async () => {
    for (const [x, y] of [[1, 2], [2, 3], [3, 5], [4, 6], [5, 6]] as const) {
      const answer = await postVerify(ff.url, { a: jpeg(demoPhoto(x)), b: jpeg(demoPhoto(y)) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const result = answer.body.result as VerifyResult;
      figures.push(`sample${x} vs sample${y}: distance ${result.distance?.toFixed(3)} → ${result.label}`);
      assert.equal(answer.body.label, 'different');
      assert.equal(result.same, false);
      assert.ok(result.distance !== null && result.distance >= result.threshold);
    }
  });

  it('when the second photo has no face, then a done job labelled no-face that says which photo', async () => {
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#7a8a9a' } }).jpeg().toBuffer();
    const answer = await postVerify(ff.url, { a: jpeg(demoPhoto(3)), b: blank });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const result = answer.body.result as VerifyResult;
    assert.equal(answer.body.label, 'no-face');
    assert.equal(result.same, null);
    assert.equal(result.distance, null);
    assert.deepEqual(result.noFace, ['b']);
    assert.ok(result.a.box, 'a still has its face');
  });

  it('when a photo is verified against a gallery subject, then same for its own person and different for another', async () => {
    const { gallery } = createApiClient({ url: ff.url });
    const person2 = await gallery.createSubject('person2');
    await gallery.addExamples(person2, [demoUpload(2)]);
    const mine = await postVerify(ff.url, { a: await variantOf(2), subjectId: person2 });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.equal(mine.body.label, 'same');
    assert.deepEqual({ kind: mine.body.result?.b.kind, subjectId: mine.body.result?.b.subjectId, name: mine.body.result?.b.name }, { kind: 'subject', subjectId: person2, name: 'person2' });
    const other = await postVerify(ff.url, { a: jpeg(demoPhoto(5)), subjectId: person2 });
    assert.equal(other.body.label, 'different');
    figures.push(`rotated sample2 vs subject person2: ${mine.body.result?.distance?.toFixed(3)}; sample5 vs person2: ${other.body.result?.distance?.toFixed(3)}`);
  });

  it('when no wait is asked, then 202 with the queued job and its Location, and the job finishes on its own', async () => {
    const form = new FormData();
    form.append('a', new Blob([new Uint8Array(jpeg(demoPhoto(1)))], { type: 'image/jpeg' }), 'a.jpg');
    form.append('b', new Blob([new Uint8Array(jpeg(demoPhoto(1)))], { type: 'image/jpeg' }), 'b.jpg');
    const response = await fetch(`${ff.url}/v1/verify`, { method: 'POST', body: form });
    assert.equal(response.status, 202);
    const job = (await response.json()) as { id: string; state: string };
    assert.equal(response.headers.get('location'), `/v1/jobs/${job.id}`);
    assert.ok(['queued', 'processing'].includes(job.state), job.state);
    const done = await eventually('the verification job to finish', async () => {
      const now = await getJob(ff.url, job.id);
      return now.state === 'done' || now.state === 'failed' ? now : undefined;
    });
    assert.equal(done.state, 'done');
    assert.equal(done.label, 'same');
  });

  describe('when the input is wrong', () => {
    const cases: Array<{ name: string; parts: () => Promise<{ a?: Buffer; b?: Buffer; subjectId?: string }>; query?: string; status: number; message: RegExp }> = [
      { name: 'no photo a', parts: async () => ({ b: jpeg(demoPhoto(1)) }), status: 400, message: /"a"/ },
      { name: 'neither b nor subjectId', parts: async () => ({ a: jpeg(demoPhoto(1)) }), status: 400, message: /"b" or a "subjectId"/ },
      { name: 'both b and subjectId', parts: async () => ({ a: jpeg(demoPhoto(1)), b: jpeg(demoPhoto(2)), subjectId: 'x' }), status: 400, message: /not both/ },
      { name: 'an unknown subject', parts: async () => ({ a: jpeg(demoPhoto(1)), subjectId: 'nobody-here' }), status: 404, message: /no gallery subject/ },
      { name: 'b that is not an image', parts: async () => ({ a: jpeg(demoPhoto(1)), b: Buffer.from('hello, not a photo') }), status: 415, message: /./ },
      { name: 'a wait that is not a number', parts: async () => ({ a: jpeg(demoPhoto(1)), b: jpeg(demoPhoto(2)) }), query: '?wait=soon', status: 400, message: /wait/ },
    ];
    for (const c of cases) {
      it(`(${c.name}) then ${c.status} with a JSON error and no job`, async () => {
        const before = (await ff.running.services.jobs.counts()) as Record<string, number>;
        const answer = await postVerify(ff.url, await c.parts(), c.query ?? '');
        assert.equal(answer.status, c.status, JSON.stringify(answer.body));
        assert.match(answer.body.error?.message ?? '', c.message);
        assert.equal(typeof answer.body.error?.code, 'string');
        assert.deepEqual(await ff.running.services.jobs.counts(), before, 'no job was created');
      });
    }
  });
});
