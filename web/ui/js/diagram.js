// @ts-check
/**
 * The machines as small SVG diagrams: a box per state, an arrow per transition, the states a
 * history went through outlined, the transitions it took drawn dark, and the current state filled
 * with its colour. Transitions not in the layout (e.g. any → lost) are added, dashed, when taken.
 */
import { s } from './dom.js';

/**
 * @typedef {{ nodes: Record<string, [number, number]>, edges: Array<[string, string, number?]>, width: number, height: number, note: string }} Layout
 * The number on an edge bends it (pixels of the control point off the straight line).
 */

/** @type {Record<'job' | 'instance', Layout>} */
export const LAYOUTS = {
  job: {
    width: 540,
    height: 185,
    nodes: {
      new: [60, 50], queued: [190, 50], processing: [330, 50], done: [470, 50],
      cancelled: [190, 125], cancelling: [330, 125], failed: [470, 125],
    },
    edges: [
      ['new', 'queued'],
      ['queued', 'processing', 10],
      ['processing', 'queued', 10],
      ['processing', 'done'],
      ['processing', 'failed'],
      ['queued', 'failed', -30],
      ['failed', 'queued', -45],
      ['queued', 'cancelled', 10],
      ['cancelled', 'queued', 10],
      ['processing', 'cancelling'],
      ['cancelling', 'cancelled'],
    ],
    note: 'processing → queued is a retry after a lost lease or worker (attempt + 1); failed or cancelled → queued is a client’s retry or redrive.',
  },
  instance: {
    width: 680,
    height: 190,
    nodes: {
      new: [60, 50], requested: [180, 50], booting: [300, 50], polling: [420, 50], working: [600, 50],
      lost: [60, 155], terminated: [180, 155], terminating: [300, 155], idle: [420, 155],
    },
    edges: [
      ['new', 'requested'],
      ['requested', 'booting'],
      ['booting', 'polling'],
      ['requested', 'polling', -38],
      ['polling', 'working', 10],
      ['working', 'polling', 10],
      ['polling', 'idle', 10],
      ['idle', 'polling', 10],
      ['idle', 'working'],
      ['idle', 'terminating'],
      ['polling', 'terminating'],
      ['terminating', 'terminated'],
      ['lost', 'terminated'],
      ['requested', 'terminated'],
    ],
    note: 'Any running state can also become lost (heartbeats stopped) or be terminated by force.',
  },
};

const BOX_W = 96;
const BOX_H = 32;

/**
 * Where the segment from a box's centre toward `(dx, dy)` leaves the box.
 * @param {number} dx
 * @param {number} dy
 */
function exitScale(dx, dy) {
  const sx = dx === 0 ? Infinity : BOX_W / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : BOX_H / 2 / Math.abs(dy);
  return Math.min(sx, sy);
}

/**
 * An arrow between two boxes; `bend` pushes the middle sideways (pairs of opposite arrows use the
 * same bend and so separate).
 * @param {[number, number]} from
 * @param {[number, number]} to
 * @param {number} bend
 */
function edgePath(from, to, bend) {
  const [ax, ay] = from;
  const [bx, by] = to;
  const dx = bx - ax;
  const dy = by - ay;
  const len = Math.hypot(dx, dy) || 1;
  // Perpendicular (to the left of the direction of travel).
  const px = -dy / len;
  const py = dx / len;
  const cx = (ax + bx) / 2 + px * bend * 2;
  const cy = (ay + by) / 2 + py * bend * 2;
  const s1 = exitScale(cx - ax, cy - ay);
  const s2 = exitScale(cx - bx, cy - by);
  const start = [ax + (cx - ax) * s1, ay + (cy - ay) * s1];
  const end = [bx + (cx - bx) * s2, by + (cy - by) * s2];
  const f = (/** @type {number} */ n) => n.toFixed(1);
  return bend === 0
    ? `M${f(start[0] ?? 0)},${f(start[1] ?? 0)} L${f(end[0] ?? 0)},${f(end[1] ?? 0)}`
    : `M${f(start[0] ?? 0)},${f(start[1] ?? 0)} Q${f(cx)},${f(cy)} ${f(end[0] ?? 0)},${f(end[1] ?? 0)}`;
}

let diagramCount = 0;

/**
 * Draws a machine's diagram.
 * @param {'job' | 'instance'} kind
 * @param {{ current: string, visited: Iterable<string>, taken: Iterable<string> }} marks
 *   taken holds `from→to` strings
 * @returns {SVGElement}
 */
export function stateDiagram(kind, marks) {
  const layout = LAYOUTS[kind];
  const id = `arrow-${kind}-${++diagramCount}`;
  const visited = new Set(marks.visited);
  const taken = new Set(marks.taken);
  const svg = s('svg', {
    class: 'diagram',
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'img',
    'aria-label': `${kind} machine: current state ${marks.current}; visited ${[...visited].join(', ') || 'none'}`,
    dataset: { current: marks.current },
  });
  svg.append(
    s(
      'defs',
      {},
      s('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#c3cad2' })),
      s('marker', { id: `${id}-taken`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#1b1f24' })),
    ),
  );

  const edges = [...layout.edges];
  for (const transition of taken) {
    const [from, to] = transition.split('→');
    if (from && to && !layout.edges.some(([a, b]) => a === from && b === to) && layout.nodes[from] && layout.nodes[to]) edges.push([from, to, 0]);
  }
  for (const [from, to, bend = 0] of edges) {
    const a = layout.nodes[from];
    const b = layout.nodes[to];
    if (!a || !b) continue;
    const key = `${from}→${to}`;
    const isTaken = taken.has(key);
    const extra = !layout.edges.some(([x, y]) => x === from && y === to);
    svg.append(
      s('path', {
        class: isTaken ? 'edge taken' : 'edge',
        d: edgePath(a, b, bend),
        'marker-end': `url(#${isTaken ? `${id}-taken` : id})`,
        'stroke-dasharray': extra ? '5 4' : undefined,
        dataset: { edge: key },
      }),
    );
  }

  for (const [state, [cx, cy]] of Object.entries(layout.nodes)) {
    const isCurrent = state === marks.current;
    const cls = ['node', visited.has(state) ? 'visited' : '', isCurrent ? 'current' : ''].filter(Boolean).join(' ');
    const rect = s('rect', { x: cx - BOX_W / 2, y: cy - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 8 });
    const text = s('text', { x: cx, y: cy + 4, 'text-anchor': 'middle' }, state);
    if (isCurrent) {
      rect.setAttribute('style', `fill: var(--s-${state}-bg); stroke: var(--s-${state}-ink)`);
      text.setAttribute('style', `fill: var(--s-${state}-ink)`);
    }
    svg.append(s('g', { class: cls, dataset: { state } }, rect, text));
  }
  return svg;
}
