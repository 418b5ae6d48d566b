/**
 * Page addresses: `/jobs/<id>` is the result page (a deep link that answers a reload, for any id
 * shape the API could have made; the page itself says when no such job exists), `/history` the
 * history page; anything deeper or odd under /jobs is not a page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pagePath } from '../../../web/app.ts';
import { startBench, type Bench } from './webHarness.ts';

describe('given the web app', () => {
  let bench: Bench;
  before(async () => (bench = await startBench()));
  after(() => bench.close());

  it('when /jobs/<id> is asked, then the result page is served as HTML', async () => {
    for (const path of ['/jobs/0mx6i9q2901278prbfwvr', '/jobs/abc_DEF-1/']) {
      const response = await fetch(`${bench.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await response.text(), /<script type="module" src="\/js\/job\.js"><\/script>/);
    }
  });

  it('when /history is asked, then the history page is served', async () => {
    const response = await fetch(`${bench.url}/history`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /js\/history\.js/);
  });

  it('when an address only looks like a job page, then it is no page', async () => {
    for (const path of ['/jobs/a/b', '/jobs/', '/jobs/a%2Fb', '/jobs/a.b']) {
      const response = await fetch(`${bench.url}${path}`);
      await response.body?.cancel();
      assert.equal(response.status, 404, path);
    }
    assert.equal(pagePath('/jobs/x'), '/job.html');
    assert.equal(pagePath('/job.html'), '/job.html');
    assert.equal(pagePath('/js/job.js'), '/js/job.js');
  });
});
