// @ts-check
/**
 * The inspector: counts and queue depth read every second, the fleet chart drawn from the server's
 * history of the fleet (a range of 5 min, 1 h or 24 h, re-read while the page is open), live tables of
 * jobs and instances (first page read once, then kept current from `GET /v1/stream`), filters by
 * state, and the replayed history of a chosen job or instance (deep-linkable as `#job=<id>`).
 */
import { enc, getJson, showLive, subscribeLive } from './api.js';
import { createFleetChart } from './chart.js';
import { announce, clockTime, h, labelCells, shortId, stateBadge } from './dom.js';
import { renderTimeline } from './timeline.js';

const SAMPLE_MS = 1000;
const PAGE = 200;
const JOB_STATES = ['queued', 'processing', 'cancelling', 'done', 'failed', 'cancelled'];
const INSTANCE_STATES = ['requested', 'booting', 'polling', 'working', 'idle', 'terminating', 'terminated', 'lost'];

/** @type {Map<string, any>} */
const jobs = new Map();
/** @type {Map<string, any>} */
const instances = new Map();
/** @type {{ kind: 'job' | 'instance', id: string, seq: number } | null} */
let open = null;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const jobFilter = /** @type {HTMLSelectElement} */ ($('job-filter'));
const instanceFilter = /** @type {HTMLSelectElement} */ ($('instance-filter'));
const errorBox = $('inspector-error');
const chart = createFleetChart($('chart'));

/** @param {unknown} error */
const words = (error) => (error instanceof Error ? error.message : String(error));

/** @param {string} filter @param {string} state */
const matches = (filter, state) => filter === '' || filter.split(',').includes(state);

// ───── tables ─────

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    renderJobs();
    renderInstances();
    labelCells(/** @type {HTMLTableElement} */ ($('jobs-table')));
    labelCells(/** @type {HTMLTableElement} */ ($('instances-table')));
  }, 120);
}

/**
 * Rows of a map, newest first (ids sort by creation time), filtered, at most PAGE.
 * @param {Map<string, any>} map
 * @param {string} filter
 */
function visibleRows(map, filter) {
  return [...map.values()].filter((r) => matches(filter, r.state)).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, PAGE);
}

/**
 * A table row that opens the item's history when chosen (by its button, or a click anywhere).
 * @param {'job' | 'instance'} kind
 * @param {any} row
 * @param {Array<Node | string>} cells after the first
 */
function itemRow(kind, row, cells) {
  const tr = h(
    'tr',
    { dataset: { id: row.id, state: row.state }, 'aria-selected': String(open?.kind === kind && open.id === row.id) },
    h('td', {}, h('button', { type: 'button', class: 'row-button', title: row.id, 'aria-label': `Show the history of ${kind} ${row.id}` }, shortId(row.id))),
    cells.map((cell) => h('td', {}, cell)),
  );
  tr.addEventListener('click', () => void openItem(kind, row.id));
  return tr;
}

/** @param {HTMLElement} body @param {number} columns @param {string} text */
function emptyRow(body, columns, text) {
  body.replaceChildren(h('tr', { class: 'empty-row' }, h('td', { colspan: columns }, text)));
}

function renderJobs() {
  const body = $('jobs');
  const rows = visibleRows(jobs, jobFilter.value);
  if (rows.length === 0) return emptyRow(body, 7, jobFilter.value ? `No ${jobFilter.value} jobs.` : 'No jobs yet: upload photos on the Upload page.');
  body.replaceChildren(
    ...rows.map((j) =>
      itemRow('job', j, [
        h('a', { href: `/jobs/${enc(j.id)}`, title: `The result of ${j.fileName ?? j.id}`, onclick: (/** @type {Event} */ e) => e.stopPropagation() }, j.fileName ?? 'result'),
        stateBadge(j.state),
        j.label ?? (j.error ? h('span', { class: 'error-text', title: j.error.reason }, j.error.code) : '—'),
        `${j.attempts ?? 0}/${j.maxAttempts ?? 1}`,
        j.instanceId ? h('a', { class: 'mono', href: `#instance=${enc(j.instanceId)}`, title: j.instanceId, onclick: (/** @type {Event} */ e) => e.stopPropagation() }, shortId(j.instanceId)) : '—',
        h('span', { class: 'mono', title: j.updatedAt ?? '' }, clockTime(j.updatedAt, { ms: false })),
      ]),
    ),
  );
}

function renderInstances() {
  const body = $('instances');
  const rows = visibleRows(instances, instanceFilter.value);
  const filterName = instanceFilter.selectedOptions[0]?.textContent ?? '';
  if (rows.length === 0) return emptyRow(body, 6, instanceFilter.value ? `No ${filterName} instances.` : 'No instances yet: the fleet starts when jobs arrive.');
  body.replaceChildren(
    ...rows.map((i) =>
      itemRow('instance', i, [
        stateBadge(i.state),
        String(i.jobsDone ?? 0) + (i.jobsFailed ? ` (+${i.jobsFailed} failed)` : ''),
        h('span', { class: 'mono', title: i.currentJobId ?? '' }, shortId(i.currentJobId)),
        h('span', { class: 'mono', title: i.lastHeartbeatAt ?? '' }, clockTime(i.lastHeartbeatAt, { ms: false })),
        i.terminationReason ? `${i.terminationReason}${i.forced ? ' (forced)' : ''}` : '—',
      ]),
    ),
  );
}

/**
 * Reads the first page of a kind for the current filter (the stream keeps it current afterwards).
 * @param {'job' | 'instance'} kind
 */
async function loadList(kind) {
  const filter = kind === 'job' ? jobFilter.value : instanceFilter.value;
  const path = kind === 'job' ? '/v1/jobs' : '/v1/instances';
  const map = kind === 'job' ? jobs : instances;
  try {
    const page = await getJson(`${path}?limit=${PAGE}${filter ? `&state=${enc(filter)}` : ''}`);
    for (const row of page.items ?? []) upsert(map, row);
    scheduleRender();
  } catch (error) {
    errorBox.textContent = `The ${kind}s could not be read: ${words(error)}`;
  }
}

/**
 * Keeps the newer of two versions of a row.
 * @param {Map<string, any>} map
 * @param {any} row
 */
function upsert(map, row) {
  const known = map.get(row.id);
  if (known && typeof known.seq === 'number' && typeof row.seq === 'number' && known.seq > row.seq) return;
  map.set(row.id, row);
}

// ───── counts and chart ─────

/**
 * @param {HTMLElement} list
 * @param {Record<string, number>} counts
 * @param {string[]} order
 */
function renderCounts(list, counts, order) {
  const states = [...order, ...Object.keys(counts).filter((k) => !order.includes(k) && k !== 'new')];
  list.replaceChildren(...states.map((state) => h('li', { dataset: { state } }, stateBadge(state), h('span', { class: 'n' }, String(counts[state] ?? 0)))));
}

async function sample() {
  try {
    const [queues, counts] = await Promise.all([getJson('/v1/queues'), getJson('/v1/counts')]);
    const requests = queues.requests ?? { visible: 0, inFlight: 0 };
    for (const [key, value] of [['visible', requests.visible], ['inFlight', requests.inFlight], ['deadLetters', queues.deadLetters?.visible ?? 0]]) {
      const cell = document.querySelector(`#queue-nums [data-key='${key}']`);
      if (cell) cell.textContent = String(value);
    }
    renderCounts($('job-counts'), counts.jobs ?? {}, JOB_STATES);
    renderCounts($('instance-counts'), counts.instances ?? {}, INSTANCE_STATES);
    if (errorBox.textContent?.startsWith('The counts')) errorBox.textContent = '';
  } catch (error) {
    errorBox.textContent = `The counts could not be read: ${words(error)}`;
  }
}

/** The chart's range, and how often it is re-read (a longer range changes less per pixel). */
let chartRange = '5m';
const CHART_REFRESH_MS = /** @type {Record<string, number>} */ ({ '5m': 2000, '1h': 10_000, '24h': 60_000 });
let chartTimer = 0;
let chartRead = 0;

async function loadChart() {
  window.clearTimeout(chartTimer);
  const mine = ++chartRead;
  try {
    const history = await getJson(`/v1/fleet/history?range=${enc(chartRange)}`);
    if (mine === chartRead) chart.show(history);
    if (errorBox.textContent?.startsWith('The fleet history')) errorBox.textContent = '';
  } catch (error) {
    errorBox.textContent = `The fleet history could not be read: ${words(error)}`;
  }
  if (mine === chartRead) chartTimer = window.setTimeout(() => void loadChart(), CHART_REFRESH_MS[chartRange] ?? 5000);
}

for (const button of document.querySelectorAll('#chart-range button')) {
  button.addEventListener('click', () => {
    chartRange = /** @type {HTMLElement} */ (button).dataset.range ?? '5m';
    for (const other of document.querySelectorAll('#chart-range button')) other.setAttribute('aria-pressed', String(other === button));
    void loadChart();
  });
}

// ───── history ─────

let reloadTimer = 0;

/**
 * Opens the replayed history of a job or an instance.
 * @param {'job' | 'instance'} kind
 * @param {string} id
 * @param {{ focus?: boolean }} [options]
 */
async function openItem(kind, id, options = { focus: true }) {
  const panel = $('detail');
  const isNew = open?.kind !== kind || open?.id !== id;
  open = { kind, id, seq: 0 };
  window.history.replaceState(null, '', `#${kind}=${encodeURIComponent(id)}`);
  panel.hidden = false;
  $('detail-title').textContent = `${kind === 'job' ? 'Job' : 'Instance'} ${id}`;
  if (isNew) $('detail-body').replaceChildren(h('p', { class: 'muted' }, 'Replaying its events…'));
  scheduleRender();
  const base = kind === 'job' ? `/v1/jobs/${enc(id)}` : `/v1/instances/${enc(id)}`;
  try {
    const [detail, story] = await Promise.all([getJson(base), getJson(`${base}/history`)]);
    if (open?.kind !== kind || open.id !== id) return; // another item was chosen meanwhile
    open.seq = story.seq ?? 0;
    $('detail-state').replaceChildren(stateBadge(story.state));
    $('detail-summary').textContent = summary(kind, detail, story);
    renderTimeline($('detail-body'), kind, story, (k, other) => void openItem(k, other), { onClose: closeDetail });
    const resultLink = $('detail-result');
    resultLink.hidden = kind !== 'job';
    resultLink.setAttribute('href', kind === 'job' ? `/jobs/${enc(id)}` : '#');
    panel.dataset.kind = kind;
    panel.dataset.id = id;
    panel.dataset.state = story.state;
    if (isNew) {
      announce(`${kind} ${id}: ${story.steps.length} events, now ${story.state}`);
      if (options.focus) /** @type {HTMLElement} */ (panel.querySelector('.replay') ?? panel).focus();
    }
  } catch (error) {
    $('detail-body').replaceChildren(h('p', { class: 'alert', role: 'alert' }, words(error)));
  }
}

/**
 * One line about the item above its timeline.
 * @param {'job' | 'instance'} kind
 * @param {any} d
 * @param {any} story
 */
function summary(kind, d, story) {
  const events = `${story.steps.length} event${story.steps.length === 1 ? '' : 's'}`;
  if (kind === 'job') {
    const parts = [d.fileName ?? 'no file name', events, `attempt ${d.attempts ?? 0} of ${d.maxAttempts ?? 1}`];
    if (d.label) parts.push(`label ${d.label}`);
    if (d.faces !== null && d.faces !== undefined) parts.push(`${d.faces} face${d.faces === 1 ? '' : 's'}`);
    if (d.error) parts.push(`error ${d.error.code}: ${d.error.reason}`);
    if (d.cancelReason) parts.push(`${d.state === 'cancelling' ? 'cancel requested' : 'cancelled'}: ${d.cancelReason}`);
    if (d.retries) parts.push(`retried ${d.retries}×`);
    return parts.join(' · ');
  }
  const parts = [d.backend ?? 'instance', events, `${d.jobsDone ?? 0} jobs done`];
  if (d.providerId) parts.push(`provider id ${d.providerId}`);
  if (d.modelLoadMs !== null && d.modelLoadMs !== undefined) parts.push(`model loaded in ${Math.round(d.modelLoadMs)} ms`);
  if (d.terminationReason) parts.push(`ended: ${d.terminationReason}${d.forced ? ' (forced)' : ''}`);
  return parts.join(' · ');
}

/**
 * A change to the open item re-reads its history (at most a few times a second).
 * @param {'job' | 'instance'} kind
 * @param {any} row
 */
function maybeReload(kind, row) {
  if (!open || open.kind !== kind || open.id !== row.id || (row.seq ?? 0) <= open.seq) return;
  clearTimeout(reloadTimer);
  reloadTimer = window.setTimeout(() => open && void openItem(open.kind, open.id, { focus: false }), 250);
}

function openFromHash() {
  const match = /^#(job|instance)=(.+)$/.exec(window.location.hash);
  if (match) void openItem(/** @type {'job' | 'instance'} */ (match[1]), decodeURIComponent(match[2] ?? ''), { focus: false });
}

// ───── wiring ─────

function closeDetail() {
  const was = open;
  open = null;
  $('detail').hidden = true;
  window.history.replaceState(null, '', window.location.pathname);
  scheduleRender();
  // Focus goes back to the row the history was opened from.
  const selector = was ? `#${was.kind === 'job' ? 'jobs' : 'instances'} tr[data-id='${window.CSS.escape(was.id)}'] button` : '';
  if (selector) setTimeout(() => /** @type {HTMLElement | null} */ (document.querySelector(selector))?.focus(), 150);
}
$('detail-close').addEventListener('click', closeDetail);
// Escape closes the history from anywhere inside it (the replay region handles it too).
$('detail').addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !event.defaultPrevented) {
    event.preventDefault();
    closeDetail();
  }
});
jobFilter.addEventListener('change', () => {
  renderJobs();
  void loadList('job');
});
instanceFilter.addEventListener('change', () => {
  renderInstances();
  void loadList('instance');
});
window.addEventListener('hashchange', openFromHash);

subscribeLive({
  status: showLive,
  job(row) {
    upsert(jobs, row);
    maybeReload('job', row);
    scheduleRender();
  },
  instance(row) {
    upsert(instances, row);
    maybeReload('instance', row);
    scheduleRender();
  },
  reconnected() {
    void loadList('job');
    void loadList('instance');
  },
});

renderJobs();
renderInstances();
void loadList('job');
void loadList('instance');
void sample();
setInterval(() => void sample(), SAMPLE_MS);
void loadChart();
openFromHash();
