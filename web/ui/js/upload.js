// @ts-check
/**
 * The upload page: photos dropped or picked are sent one request each (so a refused file is told
 * apart from the rest), each gets a card that follows its job live from `GET /v1/stream`, and a
 * finished job shows its faces boxed on the photo with the name, distance and top expression.
 */
import { ApiError, enc, getJson, postFiles, showLive, subscribeLive } from './api.js';
import { announce, duration, h, stateBadge } from './dom.js';
import { faceLayer, faceList } from './faces.js';

/** Uploads in flight at once; the rest wait their turn. */
const PARALLEL_UPLOADS = 4;
const FINAL = new Set(['done', 'failed', 'cancelled', 'refused']);

/**
 * @typedef {object} Card
 * @property {string} key local id of the card
 * @property {File} file
 * @property {string | null} jobId
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
  if (card.jobId) card.el.dataset.jobId = card.jobId;
  const badge = card.el.querySelector('.state');
  const words = card.state === 'uploading' ? 'uploading' : card.state;
  badge?.replaceWith(stateBadge(card.state, words));
  updateSummary();
}

function updateSummary() {
  if (cards.length === 0) {
    summary.textContent = 'No photos yet.';
    clearButton.hidden = true;
    return;
  }
  /** @type {Record<string, number>} */
  const by = {};
  for (const card of cards) by[card.state] = (by[card.state] ?? 0) + 1;
  const parts = ['uploading', 'queued', 'processing', 'cancelling', 'done', 'failed', 'cancelled', 'refused'].filter((s) => by[s]).map((s) => `${by[s]} ${s}`);
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

/** @param {File} file */
function addCard(file) {
  const key = `c${++counter}`;
  const previewUrl = URL.createObjectURL(file);
  const img = h('img', { src: previewUrl, alt: `Photo ${file.name}` });
  // A file the browser cannot show (not an image) keeps the card readable without a broken icon.
  img.addEventListener('error', () => img.remove(), { once: true });
  const el = h(
    'li',
    { class: 'card', dataset: { key, fileName: file.name, state: 'uploading' } },
    h('div', { class: 'card-head' }, h('span', { class: 'name', title: file.name }, file.name), stateBadge('uploading')),
    h('div', { class: 'progress', 'aria-hidden': 'true' }),
    h('div', { class: 'photo' }, img),
    h('div', { class: 'card-body' }, h('p', { class: 'muted' }, 'Uploading…')),
  );
  /** @type {Card} */
  const card = { key, file, jobId: null, state: 'uploading', seq: 0, el, previewUrl, resultShown: false };
  cards.push(card);
  list.prepend(el);
  updateSummary();
  waiting.push(card);
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
    const answer = await postFiles('/v1/jobs', [card.file]);
    const job = answer?.jobs?.[0];
    if (!job?.id) throw new ApiError(500, 'bad-answer', 'The server did not return a job for this photo.');
    card.jobId = job.id;
    byJob.set(job.id, card);
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
    announce(`${card.file.name} was refused: ${error instanceof Error ? error.message : ''}`);
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
  render(card);
  const body = /** @type {HTMLElement} */ (card.el.querySelector('.card-body'));
  switch (row.state) {
    case 'queued':
      body.replaceChildren(h('p', { class: 'muted' }, row.attempts > 0 ? `Waiting for a worker (attempt ${row.attempts + 1})…` : 'Waiting for a worker…'));
      break;
    case 'processing':
      body.replaceChildren(h('p', { class: 'muted' }, row.instanceId ? `A worker is on it (${row.instanceId}).` : 'A worker is on it…'));
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
    default:
      break;
  }
  if (changed) announce(`${card.file.name}: ${row.state}`);
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
    const photo = /** @type {HTMLElement} */ (card.el.querySelector('.photo'));
    photo.querySelector('.frame')?.remove();
    if (!photo.querySelector('img')) {
      photo.append(h('img', { src: `/v1/jobs/${enc(/** @type {string} */ (card.jobId))}/image`, alt: `Photo ${card.file.name}` }));
    }
    photo.append(faceLayer(result));
    card.el.dataset.label = detail.label ?? '';
    card.el.dataset.result = 'shown';
    const took = detail.timings?.totalMs;
    body.replaceChildren(
      h('p', {}, h('strong', {}, detail.label ?? '—'), h('span', { class: 'muted' }, ` · ${result.faces.length} face${result.faces.length === 1 ? '' : 's'} · ${duration(took)}`)),
      faceList(result),
    );
    announce(`${card.file.name}: ${detail.label}`);
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
  for (const card of cards.filter((c) => FINAL.has(c.state))) {
    card.el.remove();
    URL.revokeObjectURL(card.previewUrl);
    if (card.jobId) byJob.delete(card.jobId);
    cards.splice(cards.indexOf(card), 1);
  }
  updateSummary();
  input.focus();
});

subscribeLive({
  status: showLive,
  job(row) {
    const card = byJob.get(row.id);
    if (card) applyRow(card, row);
    else if (cards.some((c) => c.state === 'uploading')) {
      early.set(row.id, row);
      if (early.size > 500) early.delete(/** @type {string} */ (early.keys().next().value));
    }
  },
  reconnected() {
    for (const card of cards) if (card.jobId && !FINAL.has(card.state)) void refresh(card);
  },
});
