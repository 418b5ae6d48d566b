// @ts-check
/**
 * The fleet chart, drawn from the server's history of the fleet (`GET /v1/fleet/history`), so it
 * shows what happened before the tab was opened. Two panels on one time axis, each with its own
 * labelled scale: instances stacked by state, each state drawn over its real periods (a half-second
 * `working` period is half a second wide), and jobs waiting / being processed as step lines.
 * Hovering shows the values at that moment.
 */
import { clockTime, h, s } from './dom.js';

/**
 * @typedef {{ state: string, from: string, to: string }} Period
 * @typedef {{ at: string, queued: number, processing: number }} BacklogPoint
 * @typedef {{ range: string, from: string, to: string, instances: Array<{ id: string, periods: Period[] }>, backlog: BacklogPoint[], truncated?: { instances: boolean, jobs: boolean } }} FleetHistory
 * @typedef {{ t: number, counts: Record<string, number> }} Slice from `t` to the next slice's `t`
 */

/** Instance states drawn, bottom to top; the colours are far apart in hue and lightness. */
export const INSTANCE_SERIES = [
  { state: 'working', fill: '#1d4ed8', label: 'working' },
  { state: 'polling', fill: '#5eead4', label: 'polling' },
  { state: 'idle', fill: '#facc15', label: 'idle' },
  { state: 'booting', fill: '#a855f7', label: 'booting' },
  { state: 'requested', fill: '#9ca3af', label: 'requested' },
  { state: 'terminating', fill: '#f97316', label: 'terminating' },
];
const JOB_SERIES = [
  { key: 'queued', stroke: '#b45309', dash: '', label: 'jobs waiting' },
  { key: 'processing', stroke: '#111827', dash: '6 4', label: 'jobs being processed' },
];

const W = 900;
const PAD = { left: 56, right: 14 };
const TOP = { y: 14, h: 150 };
const BOTTOM = { y: 200, h: 90 };
const H = 322;
const RANGE_WORDS = /** @type {Record<string, string>} */ ({ '5m': 'last 5 min', '1h': 'last hour', '24h': 'last 24 hours' });

/** A round axis top at or above `max` (at least 2). @param {number} max */
function niceMax(max) {
  if (max <= 2) return 2;
  if (max <= 4) return 4;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

/**
 * The instance counts per state between every two moments something changed. Pure.
 * @param {FleetHistory} history
 * @returns {Slice[]}
 */
export function instanceSlices(history) {
  /** @type {Array<[number, string, number]>} */
  const edges = [];
  for (const instance of history.instances) {
    for (const p of instance.periods) edges.push([Date.parse(p.from), p.state, +1], [Date.parse(p.to), p.state, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
  /** @type {Record<string, number>} */
  const counts = {};
  /** @type {Slice[]} */
  const slices = [{ t: Date.parse(history.from), counts: {} }];
  for (const [t, state, d] of edges) {
    counts[state] = (counts[state] ?? 0) + d;
    const last = /** @type {Slice} */ (slices.at(-1));
    if (last.t === t) last.counts = { ...counts };
    else slices.push({ t, counts: { ...counts } });
  }
  return slices;
}

/** @param {Record<string, number>} counts */
const total = (counts) => INSTANCE_SERIES.reduce((sum, series) => sum + (counts[series.state] ?? 0), 0);

/**
 * The last item whose time is at or before `t`.
 * @template T
 * @param {T[]} items
 * @param {(item: T) => number} time
 * @param {number} t
 * @returns {T | undefined}
 */
function at(items, time, t) {
  let found;
  for (const item of items) {
    if (time(item) <= t) found = item;
    else break;
  }
  return found;
}

/**
 * A chart bound to an element; `show(history)` draws it.
 * @param {HTMLElement} container
 */
export function createFleetChart(container) {
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc', 'aria-describedby': 'chart-tip' });
  const title = s('title', { id: 'chart-title' }, 'Instances by state and jobs waiting over time');
  const desc = s('desc', { id: 'chart-desc' }, 'Loading the fleet history…');
  const plot = s('g');
  const cursor = s('line', { class: 'cursor', y1: TOP.y, y2: BOTTOM.y + BOTTOM.h, visibility: 'hidden' });
  const hit = s('rect', { class: 'hit', x: PAD.left, y: TOP.y, width: W - PAD.left - PAD.right, height: BOTTOM.y + BOTTOM.h - TOP.y, fill: 'transparent' });
  svg.append(title, desc, plot, cursor, hit);
  const tip = h('div', { class: 'chart-tip', id: 'chart-tip', role: 'status', hidden: true });
  const peaks = h('p', { class: 'muted', dataset: { role: 'chart-peaks' } });
  const legend = h(
    'ul',
    { class: 'legend' },
    INSTANCE_SERIES.map((series) => h('li', {}, swatch(series.fill, true), `instances ${series.label}`)),
    JOB_SERIES.map((series) => h('li', {}, swatch(series.stroke, false, series.dash !== ''), series.label)),
  );
  container.replaceChildren(h('div', { class: 'chart-wrap' }, svg, tip), legend, peaks);

  /** @type {{ history: FleetHistory, slices: Slice[], x: (t: number) => number, t: (x: number) => number } | null} */
  let drawn = null;

  /** @param {FleetHistory} history */
  function show(history) {
    const from = Date.parse(history.from);
    const to = Date.parse(history.to);
    const span = Math.max(1, to - from);
    const x0 = PAD.left;
    const x1 = W - PAD.right;
    const x = (/** @type {number} */ t) => x0 + ((t - from) / span) * (x1 - x0);
    const slices = instanceSlices(history);
    const backlog = history.backlog;
    const peakInstances = Math.max(0, ...slices.map((sl) => total(sl.counts)));
    const peakBacklog = Math.max(0, ...backlog.map((p) => p.queued + p.processing));
    const topI = niceMax(peakInstances);
    const topJ = niceMax(Math.max(...backlog.map((p) => Math.max(p.queued, p.processing)), 0));
    const yI = (/** @type {number} */ v) => TOP.y + TOP.h - (v / topI) * TOP.h;
    const yJ = (/** @type {number} */ v) => BOTTOM.y + BOTTOM.h - (v / topJ) * BOTTOM.h;
    const parts = [];

    // Scales: one per panel, each named.
    for (const [panel, top, y, name] of /** @type {Array<[typeof TOP, number, (v: number) => number, string]>} */ ([[TOP, topI, yI, 'instances'], [BOTTOM, topJ, yJ, 'jobs']])) {
      for (let i = 0; i <= 2; i += 1) {
        const v = (top / 2) * i;
        parts.push(s('line', { class: 'grid', x1: x0, x2: x1, y1: y(v), y2: y(v) }));
        parts.push(s('text', { x: x0 - 6, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(1)));
      }
      parts.push(s('line', { class: 'axis', x1: x0, x2: x0, y1: panel.y, y2: panel.y + panel.h }));
      parts.push(s('line', { class: 'axis', x1: x0, x2: x1, y1: panel.y + panel.h, y2: panel.y + panel.h }));
      const cy = panel.y + panel.h / 2;
      parts.push(s('text', { class: 'axis-label', x: 14, y: cy, 'text-anchor': 'middle', transform: `rotate(-90 14 ${cy})` }, name));
    }
    // Time: ticks every step, labelled relative to now.
    const minutes = span / 60_000;
    const stepMin = minutes <= 6 ? 1 : minutes <= 70 ? 10 : 240;
    for (let m = 0; m <= minutes + 1e-9; m += stepMin) {
      const tx = x(to - m * 60_000);
      parts.push(s('line', { class: 'grid', x1: tx, x2: tx, y1: TOP.y, y2: BOTTOM.y + BOTTOM.h }));
      const label = m === 0 ? 'now' : m < 60 ? `−${m} min` : `−${m / 60} h`;
      parts.push(s('text', { x: tx, y: H - 10, 'text-anchor': tx - x0 < 24 ? 'start' : tx > x1 - 10 ? 'end' : 'middle' }, label));
    }
    parts.push(s('text', { class: 'axis-label', x: (x0 + x1) / 2, y: BOTTOM.y - 12, 'text-anchor': 'middle' }, 'time'));

    // Instances: one path per state, a rectangle per slice where the state has instances.
    const base = slices.map(() => 0);
    for (const series of INSTANCE_SERIES) {
      let d = '';
      slices.forEach((slice, i) => {
        const n = slice.counts[series.state] ?? 0;
        const below = base[i] ?? 0;
        base[i] = below + n;
        if (n <= 0) return;
        const a = x(slice.t);
        const b = x(slices[i + 1]?.t ?? to);
        d += `M${a.toFixed(2)},${yI(below).toFixed(1)}H${b.toFixed(2)}V${yI(below + n).toFixed(1)}H${a.toFixed(2)}Z`;
      });
      if (d) parts.push(s('path', { d, fill: series.fill, dataset: { series: series.state } }));
    }
    // Jobs: step lines.
    for (const series of JOB_SERIES) {
      const key = /** @type {'queued' | 'processing'} */ (series.key);
      /** @type {string[]} */
      const points = [];
      backlog.forEach((p, i) => {
        const a = x(Date.parse(p.at));
        const b = x(backlog[i + 1] ? Date.parse(/** @type {BacklogPoint} */ (backlog[i + 1]).at) : to);
        points.push(`${a.toFixed(2)},${yJ(p[key]).toFixed(1)}`, `${b.toFixed(2)},${yJ(p[key]).toFixed(1)}`);
      });
      parts.push(s('polyline', { points: points.join(' '), fill: 'none', stroke: series.stroke, 'stroke-width': 2, 'stroke-dasharray': series.dash || undefined, dataset: { series: key } }));
    }
    plot.replaceChildren(...parts);

    const now = slices.at(-1)?.counts ?? {};
    const active = total(now);
    const last = backlog.at(-1) ?? { queued: 0, processing: 0 };
    svg.dataset.instances = String(active);
    svg.dataset.peakInstances = String(peakInstances);
    svg.dataset.backlog = String(last.queued + last.processing);
    svg.dataset.range = history.range;
    const words = RANGE_WORDS[history.range] ?? history.range;
    const cut = history.truncated?.instances || history.truncated?.jobs ? ' (only the newest instances and jobs were read)' : '';
    const text = `Now ${active} instance${active === 1 ? '' : 's'}, ${last.queued} job${last.queued === 1 ? '' : 's'} waiting and ${last.processing} being processed; peak ${peakInstances} instance${peakInstances === 1 ? '' : 's'} and a backlog of ${peakBacklog} (${words})${cut}.`;
    desc.textContent = text;
    peaks.textContent = text;
    drawn = { history, slices, x, t: (/** @type {number} */ px) => from + ((px - x0) / (x1 - x0)) * span };
    if (readoutX !== null) readout(readoutX);
  }

  /** Where the readout is, in viewBox units (null: hidden). */
  /** @type {number | null} */
  let readoutX = null;

  /**
   * Shows the values at viewBox position `px` (clamped to the plot).
   * @param {number} px
   */
  function readout(px) {
    if (!drawn) return;
    px = Math.max(PAD.left, Math.min(W - PAD.right, px));
    readoutX = px;
    const t = drawn.t(px);
    const slice = at(drawn.slices, (sl) => sl.t, t);
    const point = at(drawn.history.backlog, (p) => Date.parse(p.at), t);
    const counts = slice?.counts ?? {};
    cursor.setAttribute('x1', px.toFixed(1));
    cursor.setAttribute('x2', px.toFixed(1));
    cursor.setAttribute('visibility', 'visible');
    const states = INSTANCE_SERIES.filter((series) => (counts[series.state] ?? 0) > 0).map((series) => `${series.label} ${counts[series.state]}`);
    tip.replaceChildren(
      h('strong', {}, clockTime(new Date(t).toISOString(), { ms: false })),
      h('span', {}, ` · ${total(counts)} instance${total(counts) === 1 ? '' : 's'}${states.length ? ` (${states.join(', ')})` : ''}`),
      h('span', {}, ` · jobs waiting ${point?.queued ?? 0}, being processed ${point?.processing ?? 0}`),
    );
    tip.hidden = false;
    const box = svg.getBoundingClientRect();
    const left = (px / W) * box.width;
    tip.style.left = `${Math.min(Math.max(0, left + 12), Math.max(0, box.width - 280))}px`;
  }

  function hideReadout() {
    readoutX = null;
    cursor.setAttribute('visibility', 'hidden');
    tip.hidden = true;
  }

  hit.addEventListener('mousemove', (event) => {
    const box = svg.getBoundingClientRect();
    readout(((/** @type {MouseEvent} */ (event).clientX - box.left) / box.width) * W);
  });
  hit.addEventListener('mouseleave', hideReadout);
  // The same readout from the keyboard: arrows move it by 1/100 of the range, Home / End jump.
  svg.setAttribute('tabindex', '0');
  svg.addEventListener('keydown', (event) => {
    const step = (W - PAD.left - PAD.right) / 100;
    const from = readoutX ?? W - PAD.right;
    /** @type {Record<string, number>} */
    const moves = { ArrowLeft: from - step, ArrowRight: from + step, Home: PAD.left, End: W - PAD.right };
    const key = /** @type {KeyboardEvent} */ (event).key;
    if (key in moves) {
      event.preventDefault();
      readout(/** @type {number} */ (moves[key]));
    } else if (key === 'Escape') hideReadout();
  });
  svg.addEventListener('blur', hideReadout);

  return { show, element: svg };
}

/**
 * @param {string} colour
 * @param {boolean} area
 * @param {boolean} [dashed]
 */
function swatch(colour, area, dashed = false) {
  const el = h('span', { class: area ? 'swatch area' : 'swatch', 'aria-hidden': 'true' });
  el.style.background = dashed ? `repeating-linear-gradient(90deg, ${colour} 0 6px, transparent 6px 10px)` : colour;
  return el;
}
