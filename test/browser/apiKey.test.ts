/**
 * The pages when facefleet is configured with an API key: the page asks for the key once, refuses a
 * wrong one in words, and with the right one gets a session cookie that the page's own API calls
 * (fetch and the SSE stream) then carry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startFacefleet, type FacefleetProcess } from '../support/facefleetProcess.ts';
import { assertServesPages, launchBrowser, screenshot } from '../support/browser.ts';

const apiKey = 'correct-horse-battery-staple';

describe('given a facefleet that requires an API key', { timeout: 90_000 }, () => {
  let server: FacefleetProcess;
  let browser: Browser;

  before(async () => {
    server = await startFacefleet({ env: { FACEFLEET_API_KEY: apiKey, FACEFLEET_CAP: '1' } });
    await assertServesPages(server.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  test('when the upload page opens, then it asks for the key, refuses a wrong one and unlocks with the right one', async () => {
    const page = await browser.newPage();
    await page.goto(server.url + '/');
    const dialog = page.getByRole('dialog', { name: 'This facefleet needs its API key' });
    await dialog.waitFor();
    await screenshot(page, 'api-key-prompt');

    await page.getByLabel('API key', { exact: true }).fill('not-the-right-key');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: 'The API key is not valid.' }).waitFor();

    await page.getByLabel('API key', { exact: true }).fill(apiKey);
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Unlock' }).click()]);
    await page.locator('#live-status').filter({ hasNotText: 'Connecting' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByRole('dialog').count(), 0, 'no prompt once the session exists');
    const session = await page.evaluate(async () => (await fetch('/v1/session')).json());
    assert.deepEqual(session, { required: true, authenticated: true });
    assert.equal(await page.evaluate(async () => (await fetch('/v1/queues')).status), 200, 'the page’s API calls carry the session');
    await page.close();
  });
});
