// @ts-check
/**
 * The upload page: photos dropped or picked are sent one request each (so a refused file is told
 * apart from the rest), each gets a card that follows its job live from `GET /v1/stream`, and a
 * finished job shows its faces boxed on the photo with how sure each name is. Cards stay in the
 * order the photos were chosen (newest last) and survive a reload: the session's job ids are kept
 * in localStorage (recentJobs.js) and read back from the server.
 */
import { ApiError, enc, getJson, postFiles, showLive, subscribeLive } from './api.js';
import { announce, duration, h, stateBadge } from './dom.js';
import { faceLayer, faceList, headline, linkHover } from './faces.js';
import { forgetJobs, readRecentJobs, saveRecentJobs } from './recentJobs.js';

/** Uploads in flight at once; the rest wait their turn. */
const PARALLEL_UPLOADS = 4;
/** States a card still moves on from; every other one (done, failed, refused, or one added later) is final. */
const MOVING = new Set(['uploading', 'loading', 'queued', 'processing', 'cancelling']);
const FINAL = { has: (/** @type {string} */ state) => !MOVING.has(state) };

/**
 * @typedef {object} Card
 * @property {string} key local id of the card
 * @property {File | null} file null for a card read back after a reload
 * @property {string} fileName
 * @property {string | null} jobId
 * @property {any} row the last job row seen
 * @property {string} state uploading | queued | processing | cancelling | done | failed | cancelled | refused
 * @property {number} seq last applied stream seq
 * @property {HTMLLIElement} el
 * @property {string} previewUrl
 * @property {boolean} resultShown
 */

/** @type {Card[]} */
const cards = [];
/** @type {Map<string, Card>} */
const byJob = new Map();
/** Rows that arrived before their upload answered (the stream can be quicker than the POST). */
/** @type {Map<string, any>} */
const early = new Map();
/** @type {Card[]} */
const waiting = [];
let uploading = 0;
let counter = 0;

const list = /** @type {HTMLUListElement} */ (document.getElementById('cards'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('file-input'));
const dropzone = /** @type {HTMLElement} */ (document.getElementById('dropzone'));
const summary = /** @type {HTMLElement} */ (document.getElementById('summary'));
const clearButton = /** @type {HTMLButtonElement} */ (document.getElementById('clear-finished'));

/** @param {Card} card */
function render(card) {
  card.el.dataset.state = card.state;
  if (card.jobId) {
    card.el.dataset.jobId = card.jobId;
    const name = card.el.querySelector('.name');
    if (name && name.tagName !== 'A') name.replaceWith(h('a', { class: 'name', href: `/jobs/${enc(card.jobId)}`, title: `Open the result page of ${card.fileName}` }, card.fileName));
  }
  const badge = card.el.querySelector('.state');
  badge?.replaceWith(stateBadge(card.state, card.state));
  updateSummary();
}

/** The session's jobs in the order their photos were chosen. */
function remember() {
  saveRecentJobs(cards.filter((c) => c.jobId).map((c) => ({ id: /** @type {string} */ (c.jobId), fileName: c.fileName })));
}

/**
 * Seconds a waiting card has waited, or a worker has worked, updated every second.
 * @param {Card} card
 */
function elapsed(card) {
  const row = card.row ?? {};
  const since = card.state === 'processing' ? row.startedAt : row.submittedAt;
  const ms = since ? Date.now() - Date.parse(since) : NaN;
  return Number.isFinite(ms) && ms >= 0 ? duration(ms) : '';
}

setInterval(() => {
  for (const card of cards) {
    const clock = card.el.querySelector('[data-role="elapsed"]');
    if (clock && (card.state === 'queued' || card.state === 'processing')) clock.textContent = elapsed(card);
  }
}, 1000);

function updateSummary() {
  if (cards.length === 0) {
    summary.textContent = 'No photos yet.';
    clearButton.hidden = true;
    return;
  }
  /** @type {Record<string, number>} */
  const by = {};
  for (const card of cards) by[card.state] = (by[card.state] ?? 0) + 1;
  const order = ['uploading', 'queued', 'processing', 'cancelling', 'done', 'failed', 'cancelled', 'refused'];
  // A state this page does not know (added later, e.g. cancelled) is counted too, after the rest.
  const parts = [...order, ...Object.keys(by).filter((k) => !order.includes(k))].filter((s) => by[s]).map((s) => `${by[s]} ${s}`);
  summary.textContent = `${cards.length} photo${cards.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
  clearButton.hidden = !cards.some((c) => FINAL.has(c.state));
}

/**
 * @param {Card} card
 * @param {string} message
 */
function showError(card, message) {
  const body = /** @type {HTMLElement} */ (card.el.querySelector('.card-body'));
  body.replaceChildren(h('p', { class: 'alert', role: 'alert' }, message));
}

/**
 * A card for a photo just chosen (`file`) or for a job of this session read back after a reload.
 * @param {{ file: File } | { jobId: string, fileName: string }} from
 * @returns {Card}
 */
function newCard(from) {
  const key = `c${++counter}`;
  const file = 'file' in from ? from.file : null;
  const fileName = file ? file.name : /** @type {{ fileName: string }} */ (from).fileName;
  const jobId = 'jobId' in from ? from.jobId : null;
  const previewUrl = file ? URL.createObjectURL(file) : '';
  const img = h('img', { src: file ? previewUrl : `/v1/jobs/${enc(/** @type {string} */ (jobId))}/image`, alt: `Photo ${fileName}` });
  // A file the browser cannot show (not an image) keeps the card readable without a broken icon.
  img.addEventListener('error', () => img.remove(), { once: true });
  const el = h(
    'li',
    { class: 'card', dataset: { key, fileName, state: file ? 'uploading' : 'loading' } },
    h('div', { class: 'card-head' }, h('span', { class: 'name', title: fileName }, fileName), stateBadge(file ? 'uploading' : 'loading')),
    h('div', { class: 'progress', 'aria-hidden': 'true' }),
    h('div', { class: 'photo' }, h('div', { class: 'photo-fit' }, img)),
    h('div', { class: 'card-body' }, h('p', { class: 'muted' }, file ? 'Uploading…' : 'Reading the job…')),
  );
  /** @type {Card} */
  const card = { key, file, fileName, jobId, row: null, state: file ? 'uploading' : 'loading', seq: 0, el, previewUrl, resultShown: false };
  linkHover(el);
  cards.push(card);
  // Newest last: the cards read in the order the photos were chosen.
  list.append(el);
  updateSummary();
  return card;
}

/** @param {File} file */
function addCard(file) {
  waiting.push(newCard({ file }));
  pump();
}

function pump() {
  while (uploading < PARALLEL_UPLOADS && waiting.length > 0) {
    const card = /** @type {Card} */ (waiting.shift());
    uploading += 1;
    upload(card).finally(() => {
      uploading -= 1;
      pump();
    });
  }
}

/** @param {Card} card */
async function upload(card) {
  try {
    const answer = await postFiles('/v1/jobs', [/** @type {File} */ (card.file)]);
    const job = answer?.jobs?.[0];
    if (!job?.id) throw new ApiError(500, 'bad-answer', 'The server did not return a job for this photo.');
    card.jobId = job.id;
    byJob.set(job.id, card);
    remember();
    applyRow(card, { state: job.state ?? 'queued', seq: 0 });
    const buffered = early.get(job.id);
    if (buffered) applyRow(card, buffered);
    early.delete(job.id);
    // The stream may have passed this job by before we knew its id: read it once to catch up.
    await refresh(card);
  } catch (error) {
    card.state = 'refused';
    render(card);
    showError(card, error instanceof Error ? error.message : String(error));
    announce(`${card.fileName} was refused: ${error instanceof Error ? error.message : ''}`);
  }
}

/**
 * Applies a job row (from the stream or a read); old rows are ignored by their seq.
 * @param {Card} card
 * @param {any} row
 */
function applyRow(card, row) {
  if (typeof row.seq === 'number' && row.seq > 0 && row.seq < card.seq) return;
  if (typeof row.seq === 'number') card.seq = Math.max(card.seq, row.seq);
  const changed = row.state !== card.state;
  card.state = row.state;
  card.row = { ...card.row, ...row };
  render(card);
  const body = /** @type {HTMLElement} */ (card.el.querySelector('.card-body'));
  const clock = () => h('span', { class: 'elapsed mono', dataset: { role: 'elapsed' } }, elapsed(card));
  switch (row.state) {
    case 'queued':
      body.replaceChildren(h('p', { class: 'muted' }, row.attempts > 0 ? `Waiting for a worker (attempt ${row.attempts + 1}) ` : 'Waiting for a worker ', clock()));
      break;
    case 'processing':
      body.replaceChildren(h('p', { class: 'muted' }, 'A worker is on it ', row.instanceId ? workerLink(row.instanceId) : null, ' ', clock()));
      break;
    case 'done':
      if (!card.resultShown) void showResult(card);
      break;
    case 'failed':
      showError(card, row.error?.reason ?? 'The job failed.');
      break;
    case 'cancelling':
      body.replaceChildren(h('p', { class: 'muted' }, 'Cancelled: the worker stops before recording a result…'));
      break;
    case 'cancelled':
      body.replaceChildren(h('p', { class: 'muted' }, `Cancelled${row.cancelReason ? ` (${row.cancelReason})` : ''}.`));
      break;
    case 'uploading':
      break;
    default:
      // A state this page does not know yet: said plainly, nothing assumed.
      body.replaceChildren(h('p', { class: 'muted' }, `The job is ${row.state}.`));
      break;
  }
  if (changed) announce(`${card.fileName}: ${row.state}`);
}

/**
 * The worker instance, linked to its history in the inspector.
 * @param {string} id
 */
function workerLink(id) {
  return h('a', { class: 'mono', href: `/inspector.html#instance=${enc(id)}`, title: `Worker ${id}` }, `…${id.slice(-8)}`);
}

/** @param {Card} card */
async function refresh(card) {
  if (!card.jobId) return;
  try {
    const row = await getJson(`/v1/jobs/${enc(card.jobId)}`);
    applyRow(card, row);
  } catch (error) {
    console.warn('facefleet: could not read job', card.jobId, error);
  }
}

/** @param {Card} card */
async function showResult(card) {
  card.resultShown = true;
  const body = /** @type {HTMLElement} */ (card.el.querySelector('.card-body'));
  body.replaceChildren(h('p', { class: 'muted' }, 'Loading the result…'));
  try {
    const detail = await getJson(`/v1/jobs/${enc(/** @type {string} */ (card.jobId))}`);
    const result = detail.result;
    if (!result || !Array.isArray(result.faces)) {
      body.replaceChildren(h('p', { class: 'muted' }, `Done: ${detail.label ?? 'no result stored'}.`));
      return;
    }
    const photo = /** @type {HTMLElement} */ (card.el.querySelector('.photo-fit'));
    photo.querySelector('.frame')?.remove();
    if (!photo.querySelector('img')) {
      photo.append(h('img', { src: `/v1/jobs/${enc(/** @type {string} */ (card.jobId))}/image`, alt: `Photo ${card.fileName}` }));
    }
    photo.append(faceLayer(result));
    card.el.dataset.label = detail.label ?? '';
    card.el.dataset.result = 'shown';
    const t = detail.timings ?? {};
    body.replaceChildren(
      h('p', { class: 'headline' }, h('strong', {}, headline(result)), h('span', { class: 'muted' }, ` · ${result.faces.length} face${result.faces.length === 1 ? '' : 's'}`)),
      h(
        'p',
        { class: 'timings muted', dataset: { role: 'timings' } },
        `waited ${duration(t.queuedMs)} · processed ${duration(t.processingMs)}`,
        detail.instanceId ? [' by ', workerLink(detail.instanceId)] : null,
      ),
      faceList(result, { threshold: await threshold() }),
      h('p', {}, h('a', { href: `/jobs/${enc(/** @type {string} */ (card.jobId))}` }, 'Open the result page')),
    );
    announce(`${card.fileName}: ${detail.label}`);
  } catch (error) {
    card.resultShown = false;
    showError(card, error instanceof Error ? error.message : String(error));
  }
}

/** @param {FileList | File[] | null} files */
function addFiles(files) {
  if (!files) return;
  for (const file of Array.from(files)) addCard(file);
}

input.addEventListener('change', () => {
  addFiles(input.files);
  input.value = '';
});

for (const type of ['dragenter', 'dragover']) {
  dropzone.addEventListener(type, (event) => {
    event.preventDefault();
    dropzone.dataset.over = 'true';
  });
}
for (const type of ['dragleave', 'drop']) {
  dropzone.addEventListener(type, () => {
    dropzone.dataset.over = 'false';
  });
}
dropzone.addEventListener('drop', (event) => {
  event.preventDefault();
  addFiles(event.dataTransfer?.files ?? null);
});
// A photo dropped beside the zone must not make the browser navigate away to it.
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => {
  event.preventDefault();
  addFiles(event.dataTransfer?.files ?? null);
});

clearButton.addEventListener('click', () => {
  const gone = cards.filter((c) => FINAL.has(c.state));
  for (const card of gone) {
    card.el.remove();
    if (card.previewUrl) URL.revokeObjectURL(card.previewUrl);
    if (card.jobId) byJob.delete(card.jobId);
    cards.splice(cards.indexOf(card), 1);
  }
  forgetJobs(gone.flatMap((c) => (c.jobId ? [c.jobId] : [])));
  updateSummary();
  input.focus();
});

subscribeLive({
  status: showLive,
  job(row) {
    const card = byJob.get(row.id);
    if (card) {
      if (card.state === 'loading') return; // its first read answers with the whole row
      applyRow(card, row);
    } else if (cards.some((c) => c.state === 'uploading')) {
      early.set(row.id, row);
      if (early.size > 500) early.delete(/** @type {string} */ (early.keys().next().value));
    }
  },
  reconnected() {
    for (const card of cards) if (card.jobId && !FINAL.has(card.state)) void refresh(card);
  },
});

/** @type {Promise<number | undefined> | undefined} */
let thresholdRead;
/** The gallery's match threshold (read once), for the words of each match. */
function threshold() {
  thresholdRead ??= getJson('/v1/gallery/subjects').then(
    (g) => (typeof g?.threshold === 'number' ? g.threshold : undefined),
    () => undefined,
  );
  return thresholdRead;
}

// The session's earlier jobs come back after a reload, in their order; a job gone from the server
// is dropped from the list with a word on its card.
for (const { id, fileName } of readRecentJobs()) {
  const card = newCard({ jobId: id, fileName });
  byJob.set(id, card);
  void getJson(`/v1/jobs/${enc(id)}`).then(
    (row) => applyRow(card, row),
    (error) => {
      card.state = 'refused';
      render(card);
      showError(card, error instanceof ApiError && error.status === 404 ? 'This job is no longer stored.' : error instanceof Error ? error.message : String(error));
      if (error instanceof ApiError && error.status === 404) {
        forgetJobs([id]);
        card.jobId = null; // not saved again with the session's jobs
      }
    },
  );
}
