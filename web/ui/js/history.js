// @ts-check
/**
 * The searchable job history: the filters (state, file name, label, time range) become the query
 * of `GET /v1/jobs` and of the page's own address (so a search can be linked and survives a
 * reload); results are paged with the server's cursor ("Show older jobs"); each row opens the job's
 * result page.
 */
import { enc, getJson } from './api.js';
import { announce, clockTime, duration, h, labelCells, shortId, stateBadge } from './dom.js';

const PAGE = 25;
const FIELDS = /** @type {const} */ (['state', 'file', 'label', 'from', 'to']);

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($('search'));
const body = $('history');
const more = /** @type {HTMLButtonElement} */ ($('more'));
const errorBox = $('search-error');
/** @type {string | undefined} */
let next;
let shown = 0;
let searchNo = 0;

/** @param {string} name */
const input = (name) => /** @type {HTMLInputElement | HTMLSelectElement} */ (form.elements.namedItem(name));

/**
 * A datetime-local value (the viewer's time) as an ISO instant for the API, and back.
 * @param {string} local
 */
const toIso = (local) => (local ? new Date(local).toISOString() : '');
/** @param {string} iso */
function toLocal(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The filters as query parameters (empty ones left out). */
function filters() {
  const params = new window.URLSearchParams();
  for (const name of FIELDS) {
    const raw = input(name).value.trim();
    const value = name === 'from' || name === 'to' ? toIso(raw) : raw;
    if (value) params.set(name, value);
  }
  return params;
}

/** @param {any} j */
function row(j) {
  const t = j.timings ?? {};
  return h(
    'tr',
    { dataset: { id: j.id, state: j.state } },
    h('td', {}, h('a', { href: `/jobs/${enc(j.id)}`, title: `Open the result of ${j.fileName ?? j.id}` }, j.fileName ?? j.id)),
    h('td', {}, stateBadge(j.state)),
    h('td', {}, j.label ?? (j.error ? h('span', { class: 'error-text', title: j.error.reason }, j.error.code) : '—')),
    h('td', {}, j.faces === null || j.faces === undefined ? '—' : String(j.faces)),
    h('td', { class: 'mono' }, j.submittedAt ? `${new Date(j.submittedAt).toLocaleDateString()} ${clockTime(j.submittedAt, { ms: false })}` : '—'),
    h('td', {}, duration(t.queuedMs)),
    h('td', {}, duration(t.processingMs)),
    h('td', {}, j.instanceId ? h('a', { class: 'mono', href: `/inspector.html#instance=${enc(j.instanceId)}`, title: j.instanceId }, shortId(j.instanceId)) : '—'),
  );
}

/**
 * Reads one page: the first of a new search (`append` false) or the next older one.
 * @param {boolean} append
 */
async function load(append) {
  const mine = ++searchNo;
  const params = filters();
  params.set('limit', String(PAGE));
  if (append && next) params.set('cursor', next);
  errorBox.textContent = '';
  more.disabled = true;
  body.setAttribute('aria-busy', 'true');
  try {
    const page = await getJson(`/v1/jobs?${params}`);
    if (mine !== searchNo) return; // a newer search answered first
    const rows = (page.items ?? []).map(row);
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    shown = append ? shown + rows.length : rows.length;
    next = page.next;
    if (shown === 0) body.replaceChildren(h('tr', { class: 'empty-row' }, h('td', { colspan: 8 }, filters().toString() ? 'No job matches this search.' : 'No jobs yet: upload photos on the Upload page.')));
    labelCells(/** @type {HTMLTableElement} */ ($('history-table')));
    more.hidden = !next;
    $('result-count').textContent = `${shown} job${shown === 1 ? '' : 's'} shown${next ? ', more older ones' : ''}`;
    document.body.dataset.loaded = String(searchNo);
    announce($('result-count').textContent ?? '');
  } catch (error) {
    errorBox.textContent = error instanceof Error ? error.message : String(error);
  } finally {
    more.disabled = false;
    body.removeAttribute('aria-busy');
  }
}

/** Puts the filters into the address (linkable, kept on reload) and searches. */
function search() {
  const params = filters();
  window.history.replaceState(null, '', params.toString() ? `?${params}` : window.location.pathname);
  next = undefined;
  void load(false);
}

// The address's filters fill the form first.
const initial = new window.URLSearchParams(window.location.search);
for (const name of FIELDS) {
  const value = initial.get(name);
  if (value) input(name).value = name === 'from' || name === 'to' ? toLocal(value) : value;
}
form.addEventListener('submit', (event) => {
  event.preventDefault();
  search();
});
form.addEventListener('reset', () => setTimeout(search, 0));
input('state').addEventListener('change', search);
more.addEventListener('click', () => void load(true));
void load(false);
