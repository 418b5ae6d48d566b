// @ts-check
/**
 * A few DOM helpers shared by the pages: element building without innerHTML (user text is always
 * set as text), SVG elements, state badges and short times.
 */

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 */

/**
 * Builds an element. `attrs` keys starting with `on` add listeners; `dataset`, `text` and `class`
 * are shortcuts; false/null/undefined attributes are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Builds an SVG element (attributes set as they are).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Record<string, any>} attrs
 */
function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'dataset') Object.assign(/** @type {HTMLElement} */ (el).dataset, value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'class') el.setAttribute('class', String(value));
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

/**
 * @param {Element} el
 * @param {(Child | Child[])[]} children
 */
function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
}

/**
 * A coloured badge for a machine state (colours in css/app.css by `data-state`).
 * @param {string} state
 * @param {string} [text]
 */
export function stateBadge(state, text = state) {
  return h('span', { class: 'state', dataset: { state } }, text);
}

/**
 * A clock time with seconds (and milliseconds unless `ms` is false), in the viewer's time zone.
 * @param {string | null | undefined} iso
 * @param {{ ms?: boolean }} [options]
 */
export function clockTime(iso, options = {}) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');
  const hms = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return options.ms === false ? hms : `${hms}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * A duration in words: `850 ms`, `2.4 s`, `3 min 05 s`.
 * @param {number | null | undefined} ms
 */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  return `${min} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/**
 * The last characters of a long id, enough to tell rows apart.
 * @param {string | null | undefined} id
 */
export function shortId(id) {
  if (!id) return '—';
  return id.length > 10 ? `…${id.slice(-8)}` : id;
}

/**
 * Tells screen readers about a change through the page's polite live region.
 * @param {string} message
 */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
}

/**
 * Copies each column's heading onto its cells (`data-label`), so that on a phone, where the CSS
 * turns the rows of a `.cardify` table into cards, every value keeps its name.
 * @param {HTMLTableElement | null} table
 */
export function labelCells(table) {
  if (!table) return;
  const names = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent ?? '');
  for (const row of Array.from(table.querySelectorAll('tbody tr'))) {
    Array.from(row.children).forEach((cell, i) => {
      if (names[i] !== undefined) /** @type {HTMLElement} */ (cell).dataset.label = names[i];
    });
  }
}
