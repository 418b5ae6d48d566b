// @ts-check
/**
 * The result page of one job, `/jobs/<id>` (a deep link: the server answers every such address
 * with this page): the photo with its boxes and non-overlapping tags, each face's name with how sure
 * the match is and the nearest other person, expressions, age and gender, the time spent waiting
 * and processing, the worker that did it (linked to its history), and the job's replay. It follows
 * the job live until it is finished.
 */
import { ApiError, enc, getJson, showLive, subscribeLive } from './api.js';
import { announce, clockTime, duration, h, stateBadge } from './dom.js';
import { openEnrol } from './enrolFace.js';
import { faceLayer, faceList, faceName, headline, linkHover } from './faces.js';
import { renderTimeline } from './timeline.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const match = /^\/jobs\/([A-Za-z0-9_-]{1,128})\/?$/.exec(window.location.pathname);
const jobId = match?.[1] ?? new window.URLSearchParams(window.location.search).get('id') ?? '';
let shownSeq = -1;
let photoShown = false;

/** @type {Promise<number | undefined> | undefined} */
let thresholdRead;
function threshold() {
  thresholdRead ??= getJson('/v1/gallery/subjects').then(
    (g) => (typeof g?.threshold === 'number' ? g.threshold : undefined),
    () => undefined,
  );
  return thresholdRead;
}

/**
 * One `term: value` pair of the facts list.
 * @param {string} term
 * @param {...(Node | string | null)} value
 */
const fact = (term, ...value) => h('div', {}, h('dt', {}, term), h('dd', {}, ...value));

/**
 * Waiting and processing apart, the model's own time, the worker and the attempts.
 * @param {any} job
 */
function facts(job) {
  const t = job.timings ?? {};
  return [
    fact('submitted', clockTime(job.submittedAt, { ms: false })),
    fact('waited for a worker', h('span', { dataset: { role: 'queued-ms' } }, duration(t.queuedMs))),
    fact('processing', h('span', { dataset: { role: 'processing-ms' } }, duration(t.processingMs)), t.modelMs !== null && t.modelMs !== undefined ? ` (model ${duration(t.modelMs)})` : ''),
    fact('total', duration(t.totalMs)),
    fact(
      'worker',
      job.instanceId ? h('a', { class: 'mono', href: `/inspector.html#instance=${enc(job.instanceId)}`, dataset: { role: 'worker' } }, job.instanceId) : '—',
    ),
    fact('attempts', `${job.attempts ?? 0} of ${job.maxAttempts ?? 1}`),
    job.detector ? fact('detector', job.detector) : null,
  ].filter((x) => x !== null);
}

/**
 * "Add to person…" and, for a named face, "Not this person" (which records nothing by itself).
 * @param {import('./faces.js').Face} face
 * @param {number} index
 * @param {import('./faces.js').Result} result
 */
function faceActions(face, index, result) {
  const label = faceName(face);
  const status = h('span', { class: 'enrol-status', role: 'status', dataset: { role: 'enrol-status' } });
  const target = () => ({ jobId, index, label, crop: faceCrop(face, result), done: (/** @type {string} */ words) => (status.textContent = words) });
  return h(
    'span',
    { class: 'face-actions' },
    h('button', { type: 'button', class: 'secondary', 'aria-label': `Add face ${index + 1} to a person`, onclick: () => void openEnrol(target()) }, 'Add to person…'),
    label !== 'unknown'
      ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Face ${index + 1} is not ${label}`, onclick: () => void openEnrol(target(), { notThisPerson: true }) }, 'Not this person')
      : null,
    status,
  );
}

/**
 * The face cut out of the photo shown, for the picker (a CSS crop of the same image).
 * @param {import('./faces.js').Face} face
 * @param {import('./faces.js').Result} result
 */
function faceCrop(face, result) {
  const size = 96;
  const scale = size / Math.max(face.box.width, face.box.height);
  const crop = h('div', { class: 'face-crop', 'aria-hidden': 'true' });
  const img = h('img', { src: `/v1/jobs/${enc(jobId)}/image`, alt: '' });
  img.style.width = `${result.width * scale}px`;
  img.style.height = `${result.height * scale}px`;
  img.style.left = `${-face.box.x * scale + (size - face.box.width * scale) / 2}px`;
  img.style.top = `${-face.box.y * scale + (size - face.box.height * scale) / 2}px`;
  crop.append(img);
  return crop;
}

/** Reads the job (and, when it moved on, its history) and draws what changed. */
async function load() {
  let job;
  try {
    job = await getJson(`/v1/jobs/${enc(jobId)}`);
  } catch (error) {
    $('job-error').textContent = error instanceof ApiError && error.status === 404 ? `There is no job ${jobId}. It may have been removed, or the link is mistyped.` : error instanceof Error ? error.message : String(error);
    document.body.dataset.loaded = 'error';
    return;
  }
  $('job-error').textContent = '';
  if (job.seq === shownSeq) return;
  shownSeq = job.seq;
  document.title = `${job.fileName ?? jobId} · Result · facefleet`;
  $('job-title').textContent = job.fileName ?? `Job ${jobId}`;
  $('job-state').replaceChildren(stateBadge(job.state));
  const resultBox = $('result');
  resultBox.hidden = false;
  resultBox.dataset.state = job.state;

  const photo = $('photo');
  if (!photoShown) {
    photoShown = true;
    photo.replaceChildren(h('img', { src: `/v1/jobs/${enc(jobId)}/image`, alt: `Photo ${job.fileName ?? jobId}` }));
  }
  const result = job.result;
  if (job.state === 'done' && result && Array.isArray(result.faces)) {
    photo.querySelector('.frame')?.remove();
    photo.append(faceLayer(result));
    $('headline').textContent = `${headline(result)} · ${result.faces.length} face${result.faces.length === 1 ? '' : 's'}`;
    $('faces').replaceChildren(faceList(result, { threshold: await threshold(), actions: (face, index) => faceActions(face, index, result) }));
    resultBox.dataset.result = 'shown';
  } else if (job.state === 'failed') {
    $('headline').textContent = '';
    $('faces').replaceChildren(h('p', { class: 'alert' }, job.error?.reason ?? 'The job failed.'));
  } else if (job.state === 'queued' || job.state === 'processing') {
    $('headline').textContent = job.state === 'queued' ? 'Waiting for a worker…' : 'A worker is on it…';
    $('faces').replaceChildren();
  } else {
    $('headline').textContent = job.state === 'done' ? 'Done, but no result is stored.' : `The job is ${job.state}.`;
    $('faces').replaceChildren();
  }
  $('facts').replaceChildren(...facts(job));

  try {
    const story = await getJson(`/v1/jobs/${enc(jobId)}/history`);
    $('replay-panel').hidden = false;
    renderTimeline($('replay'), 'job', story, (kind, id) => {
      window.location.href = kind === 'job' ? `/jobs/${enc(id)}` : `/inspector.html#instance=${enc(id)}`;
    });
  } catch (error) {
    $('replay').replaceChildren(h('p', { class: 'alert', role: 'alert' }, error instanceof Error ? error.message : String(error)));
  }
  document.body.dataset.loaded = job.state;
  announce(`${job.fileName ?? jobId}: ${job.state}`);
}

linkHover($('result'));
if (!jobId) {
  $('job-error').textContent = 'This address names no job: open a result from the upload page or the history.';
} else {
  void load();
  subscribeLive({
    status: showLive,
    job(row) {
      if (row.id === jobId && row.seq !== shownSeq) void load();
    },
    reconnected: () => void load(),
  });
}
