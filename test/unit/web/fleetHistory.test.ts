/**
 * HTTP GET /v1/fleet/history: given two submitted jobs and no fleet, then the backlog ends at two
 * jobs waiting and no instance has periods; an unknown range is a 400 JSON error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { form, sampleImage, startBench, type Bench } from './webHarness.ts';

describe('given two submitted jobs and no worker yet', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench();
    const png = await sampleImage('png');
    const response = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'a.png', bytes: png }, { field: 'file', name: 'b.png', bytes: png }]) });
    assert.equal(response.status, 202);
  });
  after(() => bench.close());

  it('when the last hour is asked, then the backlog rises to two waiting within the range', async () => {
    const response = await fetch(`${bench.url}/v1/fleet/history?range=1h`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { range: string; from: string; to: string; instances: unknown[]; backlog: Array<{ at: string; queued: number; processing: number }> };
    assert.equal(body.range, '1h');
    assert.equal(Date.parse(body.to) - Date.parse(body.from), 3_600_000);
    assert.deepEqual(body.instances, []);
    assert.deepEqual(body.backlog[0] && { queued: body.backlog[0].queued, processing: body.backlog[0].processing }, { queued: 0, processing: 0 });
    assert.equal(body.backlog.at(-1)?.queued, 2);
  });

  it('when an unknown range is asked, then 400 says which ranges there are', async () => {
    const response = await fetch(`${bench.url}/v1/fleet/history?range=7d`);
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.match(body.error.message, /range must be one of 5m, 1h, 24h/);
  });
});
