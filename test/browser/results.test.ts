/**
 * Results that stay and can be linked, in a real chromium against a real facefleet (child process,
 * real model, temp data dir): photos uploaded on the upload page keep their cards, in the order
 * chosen, across a reload; every card links to the job's result page `/jobs/<id>`, which answers a
 * reload itself and shows the photo with tags that never overlap (group photos sample3 and sample5,
 * desktop and phone), each face's match in words, hover highlighting both ways, waiting and
 * processing apart, the worker linked, and the job's replay stepped with the keyboard alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createApiClient } from '../../client/api.ts';
import { demoPhoto, demoUpload, startFacefleet, type FacefleetProcess } from '../support/facefleetProcess.ts';
import { assertServesPages, launchBrowser, openPage, screenshot, type WatchedPage } from '../support/browser.ts';

const fastFleet = {
  FACEFLEET_CAP: '3',
  FACEFLEET_JOBS_PER_INSTANCE: '1',
  FACEFLEET_EMPTY_POLLS_TO_IDLE: '1',
  FACEFLEET_IDLE_SECONDS: '2',
  FACEFLEET_POLL_WAIT_SECONDS: '1',
  FACEFLEET_SUPERVISOR_TICK_MS: '500',
};

/** Chosen in this order: the cards must read in it, newest last. */
const photos = [5, 3, 1] as const;

const desktop = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };

/** The rectangles of the visible tags of every photo on the page, grouped per photo. */
function tagRects(page: Page): Promise<Array<Array<{ x: number; y: number; w: number; h: number; text: string }>>> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.frame')).map((frame) =>
      Array.from(frame.querySelectorAll('.tag')).map((tag) => {
        const r = tag.getBoundingClientRect();
        return { x: r.x, y: r.y, w: r.width, h: r.height, text: tag.textContent ?? '' };
      }),
    ),
  );
}

/** Fails naming the two tags of one photo that overlap, if any. */
async function assertNoTagOverlaps(page: Page, where: string): Promise<number> {
  // Tags are placed by a ResizeObserver: let a resize reach it (two frames) before measuring.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.frame')).every((f) => f.getAttribute('data-placed') === 'true'));
  let tags = 0;
  for (const rects of await tagRects(page)) {
    tags += rects.length;
    for (const [i, a] of rects.entries()) {
      for (const b of rects.slice(i + 1)) {
        const overlap = a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;
        assert.ok(!overlap, `${where}: tag "${a.text}" overlaps tag "${b.text}"`);
      }
    }
  }
  return tags;
}

describe('given a facefleet with Ada and Grace enrolled', { timeout: 240_000 }, () => {
  let server: FacefleetProcess;
  let browser: Browser;
  const pages: WatchedPage[] = [];
  let upload: Page;
  const jobIds: string[] = [];

  const open = async (path: string, viewport = desktop) => {
    const watched = await openPage(browser, server.url);
    pages.push(watched);
    await watched.page.setViewportSize(viewport);
    await watched.page.goto(new URL(path, server.url).href);
    return watched.page;
  };

  before(async () => {
    server = await startFacefleet({ env: fastFleet });
    await assertServesPages(server.url);
    const { gallery } = createApiClient({ url: server.url });
    await gallery.addExamples(await gallery.createSubject('Ada'), [demoUpload(1)]);
    await gallery.addExamples(await gallery.createSubject('Grace'), [demoUpload(2)]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
    // A page left by a link click may cut its own favicon download: not a failure of the page.
    for (const { problems } of pages) assert.deepEqual(problems.filter((p) => !/favicon\.svg \(net::ERR_ABORTED\)/.test(p)), [], 'the pages logged no errors and asked no other origin');
  });

  test('when three photos are uploaded and the page reloaded, then the cards come back in the order chosen with their results', async () => {
    upload = await open('/');
    await upload.locator('#live-status[data-live="on"]').waitFor();
    await upload.locator('#file-input').setInputFiles(photos.map((n) => demoPhoto(n)));
    await upload.waitForFunction((n) => document.querySelectorAll('li.card[data-state="done"][data-result="shown"]').length === n, photos.length, { timeout: 120_000 });

    const order = await upload.locator('li.card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-file-name')));
    assert.deepEqual(order, photos.map((n) => `sample${n}.jpg`), 'newest last, in the order chosen');
    for (const card of await upload.locator('li.card').all()) {
      const id = await card.getAttribute('data-job-id');
      assert.ok(id);
      jobIds.push(id);
      assert.equal(await card.locator('a.name').getAttribute('href'), `/jobs/${id}`, 'the card title links to the result page');
      assert.match((await card.locator('[data-role="timings"]').textContent()) ?? '', /^waited \d.* · processed \d.* by …/);
    }
    // sample1 is Ada's own photo: a certain match, worded so.
    assert.match((await upload.locator('li.card[data-file-name="sample1.jpg"] .faces-list li[data-label="Ada"]').first().textContent()) ?? '', /very likely Ada — 0\.\d\d/);
    await assertNoTagOverlaps(upload, 'upload page');
    await screenshot(upload, 'results-upload-1440');

    await upload.reload();
    await upload.waitForFunction((n) => document.querySelectorAll('li.card[data-state="done"][data-result="shown"]').length === n, photos.length, { timeout: 20_000 });
    const again = await upload.locator('li.card').evaluateAll((cards) => cards.map((c) => [c.getAttribute('data-file-name'), c.getAttribute('data-job-id')]));
    assert.deepEqual(again, photos.map((n, i) => [`sample${n}.jpg`, jobIds[i]]), 'the same jobs, in the same order, after a reload');
    assert.equal(await upload.locator('li.card[data-file-name="sample1.jpg"]').getAttribute('data-label'), 'Ada');
    assert.match((await upload.locator('#summary').textContent()) ?? '', /3 photos: 3 done/);
    await assertNoTagOverlaps(upload, 'upload page after reload');

    await upload.setViewportSize(phone);
    await assertNoTagOverlaps(upload, 'upload page on a phone');
    await screenshot(upload, 'results-upload-390');
  });

  test('when "Clear finished" is used, then a reload stays empty', async () => {
    // The same browser context as the upload (localStorage is per context).
    const page = upload;
    await page.setViewportSize(desktop);
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await page.reload();
    await page.locator('#summary', { hasText: 'No photos yet.' }).waitFor();
    assert.equal(await page.locator('li.card').count(), 0);
  });

  test('when the group photo sample5 is opened from its card, then the result page shows every face in words with tags apart', async () => {
    const sample5 = jobIds[0] ?? '';
    const page = await open(`/jobs/${sample5}`);
    await page.locator('#result[data-result="shown"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('h1').textContent(), 'sample5.jpg');
    const faces = await page.locator('.faces-list li').count();
    assert.ok(faces >= 3, `the group photo has several faces (${faces})`);
    assert.equal(await page.locator('.face-box').count(), faces);
    const tags = await assertNoTagOverlaps(page, 'result page sample5');
    assert.equal(tags, faces, 'one tag per face');
    for (const text of await page.locator('.faces-list li .who').allTextContents()) {
      assert.match(text, /^(very likely|possibly) \S+ — \d\.\d\d$|^\S+ or \S+\? — \d\.\d\d$|^unknown — (nearest \S+ \d\.\d\d|nearest match \d\.\d\d)$/, `the match is worded: ${text}`);
    }
    // Waiting and processing apart, the worker linked to its history.
    const facts = (await page.locator('#facts').textContent()) ?? '';
    assert.match(facts, /waited for a worker\d/);
    assert.match(facts, /processing\d/);
    const worker = page.locator('#facts a[data-role="worker"]');
    assert.match((await worker.getAttribute('href')) ?? '', /^\/inspector\.html#instance=[A-Za-z0-9_-]+$/);

    // Hovering a row lights its box and tag; hovering a box lights its row.
    await page.locator('.faces-list li[data-face="1"]').hover();
    const hot = await page.locator('.hot').evaluateAll((els) => els.map((e) => `${e.matches('.face-box') ? 'box' : e.matches('.tag') ? 'tag' : e.matches('li') ? 'row' : 'other'}:${e.getAttribute('data-face')}`).sort());
    assert.deepEqual(hot, ['box:1', 'row:1', 'tag:1']);
    await page.locator('.face-box[data-face="0"]').hover();
    assert.equal(await page.locator('.faces-list li.hot').getAttribute('data-face'), '0');
    assert.equal(await page.locator('.face-box.hot').getAttribute('data-face'), '0');
    await screenshot(page, 'result-sample5-1440');

    await page.setViewportSize(phone);
    await assertNoTagOverlaps(page, 'result page sample5 on a phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the phone page does not scroll sideways (${overflow} px too wide)`);
    await screenshot(page, 'result-sample5-390');
  });

  test('when sample3 is opened on a phone by its address, then its tags do not collide either', async () => {
    const page = await open(`/jobs/${jobIds[1] ?? ''}`, phone);
    await page.locator('#result[data-result="shown"]').waitFor({ timeout: 20_000 });
    await assertNoTagOverlaps(page, 'result page sample3 on a phone');
    await page.setViewportSize(desktop);
    await assertNoTagOverlaps(page, 'result page sample3');
    await screenshot(page, 'result-sample3-1440');
  });

  test('when the replay of a job is stepped with the keyboard alone, then the drawing follows each event', async () => {
    const page = await open(`/jobs/${jobIds[2] ?? ''}`);
    const replay = page.locator('#replay .replay');
    await replay.locator('svg.diagram[data-current="done"]').waitFor({ timeout: 20_000 });
    // Tab to the replay, as a keyboard user would.
    for (let i = 0; i < 60 && !(await replay.evaluate((el) => el === document.activeElement)); i += 1) await page.keyboard.press('Tab');
    assert.equal(await replay.evaluate((el) => el === document.activeElement), true, 'the replay is reachable with Tab');
    const current = () => replay.locator('svg.diagram').getAttribute('data-current');
    await page.keyboard.press('Home');
    assert.equal(await current(), 'queued');
    assert.match((await replay.locator('.replay-caption').textContent()) ?? '', /event 1 \(JobSubmitted\)/);
    await page.keyboard.press('ArrowRight');
    assert.equal(await current(), 'processing');
    await page.keyboard.press('ArrowRight');
    assert.equal(await current(), 'done');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await current(), 'processing');
    // The drawing names the transitions by their events, and the ones taken so far stand out.
    assert.equal(await replay.locator('.edge-label.taken').allTextContents().then((t) => t.sort().join(',')), 'Started,Submitted');
    // The buttons work from the keyboard too.
    await replay.getByRole('button', { name: 'Next event' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await current(), 'done');
    assert.equal(await replay.getByRole('button', { name: 'Next event' }).isDisabled(), true, 'no next after the last event');
    // A state of the drawing jumps to the event that entered it.
    await replay.locator('svg.diagram .node[data-state="processing"]').focus();
    await page.keyboard.press('Enter');
    assert.equal(await current(), 'processing');
    assert.equal(await page.locator('#replay').getAttribute('data-seq'), '2');
    // Changed fields read as pairs, not JSON.
    const started = page.locator('.timeline tr[data-type="JobStarted"] .kv');
    assert.match((await started.textContent()) ?? '', /instanceId/);
    assert.doesNotMatch((await started.textContent()) ?? '', /null|"/);
    await screenshot(page, 'result-replay-1440');
  });

  test('when a result page is reloaded or names no job, then it still answers', async () => {
    const id = jobIds[2] ?? '';
    const page = await open(`/jobs/${id}`);
    await page.locator('#result[data-result="shown"]').waitFor({ timeout: 20_000 });
    await page.reload();
    await page.locator('#result[data-result="shown"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('.faces-list li[data-label="Ada"]').count(), 1);

    const missing = await open('/jobs/no-such-job');
    await missing.locator('#job-error', { hasText: 'There is no job no-such-job' }).waitFor();
    const html = await fetch(new URL('/jobs/x/y', server.url));
    await html.body?.cancel();
    assert.equal(html.status, 404, 'only /jobs/<id> is a page address');
  });

  test('when the history is searched by file name, label and time, then only those jobs show, each opening its result', async () => {
    const page = await open('/history.html');
    await page.waitForFunction(() => document.querySelectorAll('#history tr[data-id]').length === 3);
    await page.getByLabel('File name contains').fill('SAMPLE5');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#history tr[data-id]').length === 1);
    assert.equal(await page.locator('#history tr[data-id]').getAttribute('data-id'), jobIds[0]);
    assert.match(page.url(), /\?file=SAMPLE5$/, 'the search is in the address');

    // Reloaded, the address keeps the search; then label and state narrow it another way.
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#history tr[data-id]').length === 1);
    assert.equal(await page.getByLabel('File name contains').inputValue(), 'SAMPLE5');
    await page.getByLabel('File name contains').fill('');
    await page.getByLabel('Label').fill('ada');
    await page.getByLabel('State').selectOption('done');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#history tr[data-id]').length === 1 && document.querySelector('#history tr[data-id]')?.getAttribute('data-state') === 'done');
    assert.equal(await page.locator('#history tr[data-id]').getAttribute('data-id'), jobIds[2], 'sample1 is the job labelled Ada');

    // A range that starts after every job finds nothing and says so.
    await page.getByLabel('Label').fill('');
    await page.getByLabel('Submitted from').fill('2099-01-01T00:00:00');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('#history .empty-row', { hasText: 'No job matches this search.' }).waitFor();

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#history tr[data-id]').length === 3);
    await screenshot(page, 'history-1440');
    await page.setViewportSize(phone);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the phone history does not scroll sideways (${overflow} px too wide)`);
    assert.equal(await page.locator('#history tr[data-id] td[data-label="state"]').first().isVisible(), true, 'rows become labelled cards');
    await screenshot(page, 'history-390');

    await page.locator('#history tr[data-id] a').first().click();
    await page.waitForURL(/\/jobs\/[A-Za-z0-9_-]+$/);
    await page.locator('#result[data-result="shown"]').waitFor({ timeout: 20_000 });
  });

  test('when an instance is replayed in the inspector, then repeated events are one row with a count and Escape closes it', async () => {
    const page = await open('/inspector.html');
    const worker = await page.evaluate(async (id) => (await (await fetch(`/v1/jobs/${id}`)).json()).instanceId as string, jobIds[2]);
    // Wait until the worker has left: its history is then complete.
    await page.waitForFunction(async (id) => (await (await fetch(`/v1/instances/${id}`)).json()).state === 'terminated', worker, { timeout: 60_000, polling: 250 });
    await page.goto(new URL(`/inspector.html#instance=${worker}`, server.url).href);
    const detail = page.locator('#detail[data-kind="instance"]');
    await detail.locator('svg.diagram[data-current="terminated"]').waitFor();
    const rows = await detail.locator('.timeline tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-type'), Number(tr.getAttribute('data-count'))] as const));
    const events = await page.evaluate(async (id) => (await (await fetch(`/v1/instances/${id}/history`)).json()).steps.length as number, worker);
    assert.equal(rows.reduce((sum, [, n]) => sum + n, 0), events, 'every event is in a row');
    const quiet = await detail.locator('.timeline tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td:nth-child(5)')?.textContent?.includes('→') === false && tr.getAttribute('data-state')));
    for (const [i, state] of quiet.entries()) assert.ok(!(state && quiet[i - 1] === state), `no two quiet rows in ${state} follow each other`);
    assert.ok((await detail.locator('.edge-label').count()) >= 10, 'the transitions are named');
    assert.equal(await detail.locator('.edge-label.taken', { hasText: 'Booted' }).count() >= 1, true);
    await screenshot(page, 'inspector-instance-1440');
    await page.setViewportSize(phone);
    await screenshot(page, 'inspector-instance-390');
    await page.setViewportSize(desktop);

    await detail.locator('.replay').focus();
    await page.keyboard.press('Home');
    assert.equal(await detail.locator('svg.diagram').getAttribute('data-current'), 'requested');
    await page.keyboard.press('Escape');
    await page.locator('#detail').waitFor({ state: 'hidden' });
    assert.equal(new URL(page.url()).hash, '', 'closing forgets the deep link');
  });

  test('when the inspector is opened after the work, then its chart shows the fleet from the stored events, with hover values and ranges', async () => {
    const page = await open('/inspector.html');
    const chart = page.locator('svg.chart[data-range="5m"]');
    await chart.waitFor();
    const peak = Number(await chart.getAttribute('data-peak-instances'));
    assert.ok(peak >= 1, `a tab opened after the work still shows the fleet that did it (peak ${peak})`);
    assert.match((await page.locator('[data-role="chart-peaks"]').textContent()) ?? '', new RegExp(`peak ${peak} instance`));
    const working = chart.locator('path[data-series="working"]');
    assert.equal(await working.count(), 1, 'the working periods are drawn');
    const box = await working.boundingBox();
    assert.ok(box && box.width > 0);
    // Hover in the middle of a working period (measured and moved in one task: the chart redraws every 2 s).
    const tipText = await page.evaluate(() => {
      const path = document.querySelector('svg.chart path[data-series="working"]');
      const svg = document.querySelector('svg.chart');
      const hit = document.querySelector('svg.chart rect.hit');
      // The widest working rectangle: a mouse position is a whole pixel.
      const spans = [...(path?.getAttribute('d') ?? '').matchAll(/M([\d.]+),[\d.]+H([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
      const widest = spans.sort((a, b) => b[1] - b[0] - (a[1] - a[0]))[0];
      if (!svg || !hit || !widest) return null;
      const box = svg.getBoundingClientRect();
      const middle = (widest[0] + widest[1]) / 2;
      hit.dispatchEvent(new MouseEvent('mousemove', { clientX: Math.round(box.left + (middle / 900) * box.width), clientY: box.top + box.height * 0.3, bubbles: true }));
      return document.querySelector('.chart-tip')?.textContent ?? null;
    });
    assert.match(tipText ?? '', /\d\d:\d\d:\d\d · \d+ instances? \(.*working \d/);
    // The same readout from the keyboard alone.
    await page.locator('svg.chart').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    assert.match((await page.locator('.chart-tip:not([hidden])').textContent()) ?? '', /^\d\d:\d\d:\d\d · \d+ instances? .*jobs waiting \d+/);
    await page.keyboard.press('Escape');
    await page.locator('.chart-tip').waitFor({ state: 'hidden' });
    assert.equal(await chart.locator('text.axis-label', { hasText: 'instances' }).count(), 1);
    assert.equal(await chart.locator('text.axis-label', { hasText: 'jobs' }).count(), 1);
    await screenshot(page, 'inspector-chart-1440');

    await page.getByRole('button', { name: '1 hour' }).click();
    await page.locator('svg.chart[data-range="1h"]').waitFor();
    assert.equal(await page.getByRole('button', { name: '1 hour' }).getAttribute('aria-pressed'), 'true');
    await page.setViewportSize(phone);
    const fontPx = await page.locator('svg.chart text').first().evaluate((t) => t.getBoundingClientRect().height);
    assert.ok(fontPx >= 9, `chart text stays legible on a phone (${fontPx.toFixed(1)} px)`);
    await screenshot(page, 'inspector-390');
  });

  test('when face 3 of the group photo is added to a new person, then exactly that face is enrolled; "Not this person" records nothing', async () => {
    const gallery = async () => (await (await fetch(new URL('/v1/gallery', server.url))).json()) as { subjects: Array<{ name: string; examples: Array<{ descriptor: number[]; sourceName?: string }> }> };
    const page = await open(`/jobs/${jobIds[0] ?? ''}`);
    await page.locator('#result[data-result="shown"]').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Add face 3 to a person' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Person', { exact: true }).selectOption({ label: 'New person…' });
    await dialog.getByLabel('Name of the new person').fill('Hedy');
    await screenshot(page, 'result-enrol-1440');
    await dialog.getByRole('button', { name: 'Add face' }).click();
    await page.locator('.faces-list li[data-face="2"] [data-role="enrol-status"]', { hasText: 'Face 3 added to Hedy.' }).waitFor();
    const job = (await (await fetch(new URL(`/v1/jobs/${jobIds[0]}`, server.url))).json()) as { result: { faces: Array<{ descriptor: number[] }> } };
    const hedy = (await gallery()).subjects.find((p) => p.name === 'Hedy');
    assert.equal(hedy?.examples.length, 1);
    assert.deepEqual(hedy?.examples[0]?.descriptor, job.result.faces[2]?.descriptor, 'the face picked, not the largest');
    assert.equal(hedy?.examples[0]?.sourceName, 'sample5.jpg (face 3)');

    // sample1 is Ada: "Not this person" offers everyone but Ada, and closing it records nothing.
    const before = JSON.stringify(await gallery());
    const ada = await open(`/jobs/${jobIds[2] ?? ''}`, phone);
    await ada.locator('#result[data-result="shown"]').waitFor({ timeout: 20_000 });
    await ada.getByRole('button', { name: /^Face \d+ is not Ada$/ }).first().click();
    const picker = ada.getByRole('dialog');
    await picker.getByText('Nothing is recorded until you pick the right person').waitFor();
    const options = await picker.getByLabel('Person', { exact: true }).locator('option').allTextContents();
    assert.deepEqual(options, ['Grace', 'Hedy', 'New person…']);
    await screenshot(ada, 'result-not-this-person-390');
    await ada.keyboard.press('Escape');
    await picker.waitFor({ state: 'hidden' });
    assert.equal(JSON.stringify(await gallery()), before, 'nothing was recorded');
  });
});
