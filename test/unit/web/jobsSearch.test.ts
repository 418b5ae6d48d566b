/**
 * HTTP GET /v1/jobs with search filters: given submitted jobs, when the list is asked with a file
 * name, label or time range, then only the matching jobs come; a bad filter is a 400 JSON error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { form, sampleImage, startBench, type Bench } from './webHarness.ts';

describe('given two submitted jobs, beach.png and office.png', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench();
    const png = await sampleImage('png');
    const response = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'beach.png', bytes: png }, { field: 'file', name: 'office.png', bytes: png }]) });
    assert.equal(response.status, 202);
  });
  after(() => bench.close());

  const get = async (query: string) => {
    const response = await fetch(`${bench.url}/v1/jobs?${query}`);
    return { status: response.status, body: (await response.json()) as { items?: Array<{ fileName: string }>; error?: { code: string; message: string } } };
  };

  it('when the list is asked for file=BEACH, then only beach.png comes', async () => {
    const { status, body } = await get('file=BEACH');
    assert.equal(status, 200);
    assert.deepEqual(body.items?.map((j) => j.fileName), ['beach.png']);
  });

  it('when it is asked for a label no job has, or a range before them, then none come', async () => {
    assert.deepEqual((await get('label=Ada')).body.items, []);
    assert.deepEqual((await get('to=2000-01-01T00:00:00Z')).body.items, []);
    assert.equal((await get(`from=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}&state=queued`)).body.items?.length, 2);
  });

  it('when a filter is malformed or repeated, then 400 with a JSON error that says which', async () => {
    const bad = await get('from=yesterday');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error?.message ?? '', /from must be a date and time/);
    const twice = await get('file=a&file=b');
    assert.equal(twice.status, 400);
    assert.match(twice.body.error?.message ?? '', /at most once/);
  });
});
