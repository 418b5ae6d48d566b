/**
 * The pages when things go wrong, and the gallery's edits: a refused upload shows the server's
 * reason on its card; the gallery says in words why a name or a photo was refused, and people and
 * examples can be removed. A real facefleet with a small upload limit; no job reaches a worker.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { demoPhoto, startFacefleet, type FacefleetProcess } from '../support/facefleetProcess.ts';
import { launchBrowser, openPage, assertServesPages, screenshot, type WatchedPage } from '../support/browser.ts';

/** sample1.jpg (144 kB) fits, sample6.jpg (302 kB) does not. */
const MAX_UPLOAD_BYTES = 200_000;

describe('given a facefleet that accepts uploads up to 200 kB', { timeout: 120_000 }, () => {
  let server: FacefleetProcess;
  let browser: Browser;
  const pages: WatchedPage[] = [];

  const open = async (path: string): Promise<Page> => {
    const watched = await openPage(browser, server.url);
    pages.push(watched);
    await watched.page.goto(new URL(path, server.url).href);
    return watched.page;
  };

  before(async () => {
    server = await startFacefleet({ env: { FACEFLEET_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), FACEFLEET_CAP: '1' } });
    await assertServesPages(server.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
    for (const { problems } of pages) assert.deepEqual(problems, [], 'the pages logged no errors and asked no other origin');
  });

  test('when a text file named x.jpg and a too large photo are uploaded, then each card says why it was refused', async () => {
    const page = await open('/');
    await page.locator('#file-input').setInputFiles([
      { name: 'x.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a photo\n') },
      { name: 'sample6.jpg', mimeType: 'image/jpeg', buffer: readFileSync(demoPhoto(6)) },
    ]);
    const count = 2;
    await page.waitForFunction((n) => document.querySelectorAll('li.card[data-state="refused"]').length === n, count, { timeout: 20_000 });
    const text = await page.locator('li.card[data-file-name="x.jpg"] .alert').textContent();
    assert.match(text ?? '', /x\.jpg.* is not a JPEG, PNG or WebP image/);
    const large = await page.locator('li.card[data-file-name="sample6.jpg"] .alert').textContent();
    assert.match(large ?? '', new RegExp(`more than the limit of ${MAX_UPLOAD_BYTES} bytes`));
    assert.match((await page.locator('#summary').textContent()) ?? '', new RegExp(`${count} photos?: ${count} refused`));
    await screenshot(page, 'upload-refused');

    await page.getByRole('button', { name: 'Clear finished' }).click();
    assert.equal(await page.locator('li.card').count(), 0);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Gallery' }).click();
    await page.waitForURL(/gallery\.html$/);
  });

  test('when names and photos are refused on the gallery page, then the reason is shown in words', async () => {
    const page = await open('/gallery.html');
    await page.getByText('Nobody yet.').waitFor();

    await page.getByRole('button', { name: 'Add person' }).click();
    assert.equal(await page.locator('#add-error').textContent(), 'Type a name first.');

    await page.getByLabel('Name').fill('Lin');
    await page.getByRole('button', { name: 'Add person' }).click();
    const card = page.locator('li.person[data-name="Lin"]');
    await card.waitFor();
    assert.equal(await page.locator('#add-error').textContent(), '');

    await page.getByLabel('Name').fill('lin');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.locator('#add-error', { hasText: 'already exists' }).waitFor();
    assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), 'true');

    const blank = await sharp({ create: { width: 240, height: 240, channels: 3, background: '#7799bb' } }).png().toBuffer();
    await card.locator('input[type=file]').setInputFiles({ name: 'blank.png', mimeType: 'image/png', buffer: blank });
    // The first photo loads the face model in the web process.
    const alert = page.locator('li.person[data-name="Lin"] .alert');
    await alert.waitFor({ timeout: 60_000 });
    assert.equal(await alert.textContent(), 'No face was found in "blank.png".');
    assert.equal(await page.locator('li.person[data-name="Lin"] .example').count(), 0);
    await screenshot(page, 'gallery-errors');
  });

  test('when an example and then the person are deleted, then the gallery is empty again', async () => {
    const page = await open('/gallery.html');
    const card = page.locator('li.person[data-name="Lin"]');
    await card.locator('input[type=file]').setInputFiles(demoPhoto(1));
    await card.locator('.example img').waitFor({ timeout: 30_000 });
    assert.match((await card.locator('[data-role="person-status"]').textContent()) ?? '', /Added 1 photo/);

    await card.getByRole('button', { name: /Remove example sample1\.jpg of Lin/ }).click();
    await card.getByText('No photos yet').waitFor();

    await card.getByRole('button', { name: 'Delete Lin' }).click();
    await card.getByRole('button', { name: /Yes, delete Lin/ }).click();
    await page.getByText('Nobody yet.').waitFor();
    assert.equal(await page.locator('#people-count').textContent(), '(0)');
  });
});
