/**
 * The pages end to end, in a real chromium against a real facefleet (child process, temp data dir,
 * small idle thresholds so the fleet returns to zero within seconds): enrol one person per demo
 * photo through the gallery page, upload the three photos on the upload page and read the three
 * labels, and watch the inspector chart the scale-out and the return to zero, then replay a job's
 * and an instance's events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { demoPhoto, startFacefleet, type FacefleetProcess } from '../support/facefleetProcess.ts';
import { launchBrowser, openPage, assertServesPages, screenshot, type WatchedPage } from '../support/browser.ts';

/** The person enrolled from each demo photo: the largest face in it, which also names the photo. */
const people = [
  { photo: 1, name: 'Ada' },
  { photo: 2, name: 'Grace' },
  { photo: 3, name: 'Hedy' },
] as const;

const fastFleet = {
  FACEFLEET_CAP: '3',
  FACEFLEET_JOBS_PER_INSTANCE: '1',
  FACEFLEET_EMPTY_POLLS_TO_IDLE: '1',
  FACEFLEET_IDLE_SECONDS: '2',
  FACEFLEET_POLL_WAIT_SECONDS: '1',
  FACEFLEET_SUPERVISOR_TICK_MS: '500',
};

describe('given a fresh facefleet with an empty gallery', { timeout: 150_000 }, () => {
  let server: FacefleetProcess;
  let browser: Browser;
  const pages: WatchedPage[] = [];
  let inspector: Page;

  const open = async (path: string) => {
    const watched = await openPage(browser, server.url);
    pages.push(watched);
    await watched.page.goto(new URL(path, server.url).href);
    return watched.page;
  };

  before(async () => {
    server = await startFacefleet({ env: fastFleet });
    await assertServesPages(server.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
    for (const { problems } of pages) assert.deepEqual(problems, [], 'the pages logged no errors and asked no other origin');
  });

  test('when a person is enrolled per photo on the gallery page, then each shows one face thumbnail', async () => {
    const page = await open('/gallery.html');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Inspector' }).waitFor();
    for (const { photo, name } of people) {
      await page.getByLabel('Name').fill(name);
      await page.getByRole('button', { name: 'Add person' }).click();
      const card = page.locator(`li.person[data-name="${name}"]`);
      await card.waitFor();
      await card.locator('input[type=file]').setInputFiles(demoPhoto(photo));
      // The first enrolment loads the face model in the web process.
      await card.locator('.example img').waitFor({ timeout: 60_000 });
      // The element comes before its bytes: wait for its load (or error) event, not a moment.
      const loaded = await card.locator('.example img').evaluate(
        (img: HTMLImageElement) =>
          img.complete
            ? img.naturalWidth > 0
            : new Promise<boolean>((resolve) => {
                img.addEventListener('load', () => resolve(img.naturalWidth > 0), { once: true });
                img.addEventListener('error', () => resolve(false), { once: true });
              }),
      );
      assert.equal(loaded, true, `the face thumbnail of ${name} is an image`);
    }
    assert.equal(await page.locator('li.person').count(), people.length);
    assert.equal(await page.locator('#people-count').textContent(), `(${people.length})`);
    await screenshot(page, 'gallery');
  });

  test('when the three photos are uploaded, then each card goes live to done with its label, boxes and expression', async () => {
    inspector = await open('/inspector.html');
    await inspector.locator('#live-status[data-live="on"]').waitFor();

    const page = await open('/');
    await page.locator('#live-status[data-live="on"]').waitFor();
    await page.locator('#file-input').setInputFiles(people.map((p) => demoPhoto(p.photo)));
    assert.equal(await page.locator('li.card').count(), 3);

    // The state follows the stream: a card is seen in a non-final state before it is done.
    await page.locator('li.card[data-state="queued"], li.card[data-state="processing"]').first().waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => document.querySelectorAll('li.card[data-state="done"][data-result="shown"]').length === 3, null, { timeout: 90_000 });

    for (const { photo, name } of people) {
      const card = page.locator(`li.card[data-file-name="sample${photo}.jpg"]`);
      assert.equal(await card.getAttribute('data-label'), name, `sample${photo}.jpg is labelled ${name}`);
      const boxes = card.locator('.face-box');
      assert.ok((await boxes.count()) >= 1, 'a box is drawn per face');
      assert.ok((await card.locator('.face-box[data-known="true"]').count()) >= 1, `a box is named ${name}`);
      const named = card.locator(`.faces-list li[data-label="${name}"]`).first();
      assert.match((await named.textContent()) ?? '', new RegExp(`(very likely|possibly) ${name} — 0\\.\\d\\d.*· (neutral|happy|sad|angry|fearful|disgusted|surprised) \\d+%`));
      // A box lies inside the photo as shown.
      const [photoBox, faceBox] = await Promise.all([card.locator('.photo img').boundingBox(), boxes.first().boundingBox()]);
      assert.ok(photoBox && faceBox && faceBox.x >= photoBox.x - 1 && faceBox.y >= photoBox.y - 1 && faceBox.x + faceBox.width <= photoBox.x + photoBox.width + 1);
    }
    assert.match((await page.locator('#summary').textContent()) ?? '', /3 photos: 3 done/);
    await screenshot(page, 'upload');
  });

  test('when the fleet has worked, then the inspector charted the scale-out and shows the return to zero', async () => {
    const chart = inspector.locator('svg.chart');
    const peak = Number(await chart.getAttribute('data-peak-instances'));
    assert.ok(peak >= 2, `the chart saw the fleet scale out (peak ${peak} instances)`);
    await inspector.waitForFunction(() => document.querySelector('svg.chart')?.getAttribute('data-instances') === '0', null, { timeout: 60_000 });
    assert.equal(await inspector.locator('#queue-nums [data-key="visible"]').textContent(), '0');
    assert.ok((await chart.locator('[data-series="booting"], [data-series="working"]').count()) >= 1, 'instances are drawn as areas');
    assert.equal(await chart.locator('polyline[data-series="queued"]').count(), 1);

    await inspector.waitForFunction(() => {
      const rows = Array.from(document.querySelectorAll("#instances tr[data-id]"));
      return rows.length >= 2 && rows.every((r) => r.getAttribute('data-state') === 'terminated');
    }, null, { timeout: 30_000 });
    assert.equal(await inspector.locator('#jobs tr[data-state="done"]').count(), 3);
    assert.equal(await inspector.locator('#job-counts li[data-state="done"] .n').textContent(), '3');

    await inspector.selectOption('#job-filter', 'failed');
    await inspector.locator('#jobs .empty-row').waitFor();
    await inspector.selectOption('#job-filter', 'done');
    await inspector.waitForFunction(() => document.querySelectorAll('#jobs tr[data-state="done"]').length === 3);
    await inspector.selectOption('#job-filter', '');
    await screenshot(inspector, 'inspector');
  });

  test('when a job is chosen in the inspector, then its timeline replays each event with the worker and the diagram', async () => {
    await inspector.locator('#jobs tr', { hasText: 'sample1.jpg' }).locator('button').click();
    const detail = inspector.locator('#detail[data-kind="job"]');
    await detail.locator('.timeline tbody tr').first().waitFor();
    const types = await detail.locator('.timeline tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    assert.deepEqual(types, ['JobSubmitted', 'JobStarted', 'JobCompleted']);
    assert.equal(await detail.locator('svg.diagram').getAttribute('data-current'), 'done');
    assert.equal(await detail.locator('svg.diagram .node.current').getAttribute('data-state'), 'done');
    assert.match((await detail.locator('.timeline tbody tr[data-type="JobStarted"]').textContent()) ?? '', /queued → processing/);
    const worker = await detail.locator('.timeline tbody tr[data-type="JobStarted"] td:nth-child(6) button').textContent();
    assert.ok(worker && worker.length > 8, 'the worker that handled the job is named');
    assert.match((await inspector.locator('#detail-summary').textContent()) ?? '', /label Ada/);

    // Replaying to the first event shows the state right after it.
    await detail.getByRole('button', { name: 'Replay to event 1' }).click();
    assert.equal(await detail.locator('svg.diagram').getAttribute('data-current'), 'queued');
    await detail.getByRole('button', { name: 'Replay to event 3' }).click();
    await screenshot(inspector, 'inspector-job');

    // The worker link opens that instance's own history.
    await detail.locator('.timeline tbody tr[data-type="JobStarted"] td:nth-child(6) button').click();
    const instance = inspector.locator('#detail[data-kind="instance"]');
    await instance.locator('svg.diagram[data-current="terminated"]').waitFor();
    const events = await instance.locator('.timeline tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    for (const type of ['InstanceRequested', 'InstanceBooted', 'InstanceJobStarted', 'InstanceJobFinished', 'InstanceTerminating', 'InstanceTerminated']) {
      assert.ok(events.includes(type), `the instance history has ${type}`);
    }
    assert.equal(new URL(inspector.url()).hash.startsWith('#instance='), true, 'the history is deep-linked');
    await screenshot(inspector, 'inspector-instance');
  });
});
