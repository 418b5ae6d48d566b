// @ts-check
/**
 * The fleet chart: a hand-drawn SVG of the last minutes, one sample a second. Instances are stacked
 * areas by state (so the scale-out and the return to zero show as a hill); the request queue's
 * visible and in-flight messages are lines on top.
 */
import { h, s } from './dom.js';

/**
 * @typedef {object} Sample
 * @property {number} t epoch ms
 * @property {number} visible request messages waiting
 * @property {number} inFlight request messages being worked on
 * @property {Record<string, number>} instances instances by state
 */

/** Instance states drawn, bottom to top, with their fill and a darker line. */
export const INSTANCE_SERIES = [
  { state: 'working', fill: '#93c5fd', label: 'instances working' },
  { state: 'polling', fill: '#67e8f9', label: 'instances polling' },
  { state: 'idle', fill: '#fcd34d', label: 'instances idle' },
  { state: 'booting', fill: '#c4b5fd', label: 'instances booting' },
  { state: 'requested', fill: '#d0d5dd', label: 'instances requested' },
  { state: 'terminating', fill: '#fdba74', label: 'instances terminating' },
];
const QUEUE_SERIES = [
  { key: 'visible', stroke: '#b54708', dash: '', label: 'queue: visible' },
  { key: 'inFlight', stroke: '#1e3a8a', dash: '6 4', label: 'queue: in flight' },
];

const W = 900;
const H = 260;
const PAD = { left: 40, right: 12, top: 12, bottom: 26 };

/** Instances that hold capacity (every drawn state). */
/** @param {Sample} sample */
export function activeInstances(sample) {
  return INSTANCE_SERIES.reduce((sum, series) => sum + (sample.instances[series.state] ?? 0), 0);
}

/** A round axis top at or above `max` (at least 4). @param {number} max */
function niceMax(max) {
  if (max <= 4) return 4;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

/**
 * A chart bound to an element: `add(sample)` then it redraws itself.
 * @param {HTMLElement} container
 * @param {{ windowSeconds?: number }} [options]
 */
export function createFleetChart(container, options = {}) {
  const windowMs = (options.windowSeconds ?? 300) * 1000;
  /** @type {Sample[]} */
  const samples = [];
  let peakInstances = 0;
  let peakBacklog = 0;

  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  const title = s('title', { id: 'chart-title' }, 'Queue depth and instances by state over time');
  const desc = s('desc', { id: 'chart-desc' }, 'No samples yet.');
  const plot = s('g');
  svg.append(title, desc, plot);
  const peaks = h('p', { class: 'muted', dataset: { role: 'chart-peaks' } });
  const legend = h(
    'ul',
    { class: 'legend' },
    INSTANCE_SERIES.map((series) => h('li', {}, swatch(series.fill, true), series.label)),
    QUEUE_SERIES.map((series) => h('li', {}, swatch(series.stroke, false, series.dash !== ''), series.label)),
  );
  container.replaceChildren(h('div', { class: 'chart-wrap' }, svg), legend, peaks);

  /** @param {Sample} sample */
  function add(sample) {
    samples.push(sample);
    while (samples.length > 0 && /** @type {Sample} */ (samples[0]).t < sample.t - windowMs) samples.shift();
    const active = activeInstances(sample);
    peakInstances = Math.max(peakInstances, active);
    peakBacklog = Math.max(peakBacklog, sample.visible + sample.inFlight);
    svg.dataset.instances = String(active);
    svg.dataset.peakInstances = String(peakInstances);
    svg.dataset.backlog = String(sample.visible + sample.inFlight);
    desc.textContent = `Now: ${sample.visible} waiting, ${sample.inFlight} in flight, ${active} instances running. Peak: ${peakInstances} instances, backlog ${peakBacklog}.`;
    peaks.textContent = `Now ${active} instance${active === 1 ? '' : 's'} and a backlog of ${sample.visible + sample.inFlight}; peak ${peakInstances} instance${peakInstances === 1 ? '' : 's'}, backlog ${peakBacklog} (last ${Math.round(windowMs / 60000)} min).`;
    draw(sample.t);
  }

  /** @param {number} now */
  function draw(now) {
    const x0 = PAD.left;
    const x1 = W - PAD.right;
    const y0 = H - PAD.bottom;
    const y1 = PAD.top;
    const top = niceMax(Math.max(1, ...samples.map((p) => Math.max(activeInstances(p), p.visible, p.inFlight))));
    // The time axis grows with the data, from one minute up to the whole window.
    const span = Math.min(windowMs, Math.max(60_000, now - (samples[0]?.t ?? now)));
    const x = (/** @type {number} */ t) => x1 - ((now - t) / span) * (x1 - x0);
    const y = (/** @type {number} */ v) => y0 - (v / top) * (y0 - y1);
    const parts = [];

    for (let i = 0; i <= 4; i += 1) {
      const v = (top / 4) * i;
      parts.push(s('line', { class: 'grid', x1: x0, x2: x1, y1: y(v), y2: y(v) }));
      parts.push(s('text', { x: x0 - 6, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(1)));
    }
    const step = [10, 15, 30, 60, 120].find((st) => span / 1000 / st <= 6) ?? 300;
    for (let sec = 0; sec * 1000 <= span; sec += step) {
      const tx = x(now - sec * 1000);
      parts.push(s('line', { class: 'grid', x1: tx, x2: tx, y1: y1, y2: y0 }));
      const label = sec === 0 ? 'now' : sec < 120 ? `−${sec} s` : `−${sec / 60} min`;
      parts.push(s('text', { x: tx, y: H - 8, 'text-anchor': tx - x0 < 20 ? 'start' : 'middle' }, label));
    }
    parts.push(s('line', { class: 'axis', x1: x0, x2: x1, y1: y0, y2: y0 }));
    parts.push(s('line', { class: 'axis', x1: x0, x2: x0, y1: y1, y2: y0 }));

    if (samples.length > 0) {
      // Stacked areas: each state's band sits on the sum of the states below it.
      const base = samples.map(() => 0);
      for (const series of INSTANCE_SERIES) {
        const tops = samples.map((p, i) => (base[i] ?? 0) + (p.instances[series.state] ?? 0));
        if (tops.some((v, i) => v !== base[i])) {
          const upper = samples.map((p, i) => `${x(p.t).toFixed(1)},${y(tops[i] ?? 0).toFixed(1)}`);
          const lower = samples.map((p, i) => `${x(p.t).toFixed(1)},${y(base[i] ?? 0).toFixed(1)}`).reverse();
          parts.push(s('polygon', { points: [...upper, ...lower].join(' '), fill: series.fill, 'fill-opacity': 0.85, dataset: { series: series.state } }));
        }
        tops.forEach((v, i) => (base[i] = v));
      }
      for (const series of QUEUE_SERIES) {
        const points = samples.map((p) => `${x(p.t).toFixed(1)},${y(p[/** @type {'visible' | 'inFlight'} */ (series.key)]).toFixed(1)}`);
        parts.push(s('polyline', { points: points.join(' '), fill: 'none', stroke: series.stroke, 'stroke-width': 2.2, 'stroke-dasharray': series.dash || undefined, 'stroke-linejoin': 'round', dataset: { series: series.key } }));
      }
    }
    plot.replaceChildren(...parts);
  }

  draw(Date.now());
  return { add, samples, element: svg };
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
