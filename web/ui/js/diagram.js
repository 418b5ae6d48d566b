// @ts-check
/**
 * The machines as small SVG diagrams: a box per state, an arrow per transition, the states a
 * history went through outlined, the transitions it took drawn dark, and the current state filled
 * with its colour. Transitions not in the layout (e.g. any → lost) are added, dashed, when taken.
 */
import { s } from './dom.js';

/**
 * @typedef {{ nodes: Record<string, [number, number]>, edges: Array<[string, string, number, string]>, width: number, height: number, note: string }} Layout
 * An edge is `[from, to, bend, event]`: the bend pushes its middle sideways (pixels of the control
 * point off the straight line) and the event names it on the drawing.
 */

/**
 * Laid out on two rows so that no two arrows cross: the way in on top, the ways out below.
 * @type {Record<'job' | 'instance', Layout>}
 */
export const LAYOUTS = {
  job: {
    width: 660,
    height: 215,
    nodes: {
      new: [60, 50], queued: [230, 50], processing: [420, 50], done: [600, 50],
      cancelled: [230, 160], cancelling: [420, 160], failed: [600, 160],
    },
    edges: [
      ['new', 'queued', 0, 'JobSubmitted'],
      ['queued', 'processing', 14, 'JobStarted'],
      ['processing', 'queued', 14, 'JobRequeued'],
      ['processing', 'done', 0, 'JobCompleted'],
      ['processing', 'failed', 0, 'JobFailed'],
      ['queued', 'failed', -40, 'JobFailed'],
      ['failed', 'queued', -60, 'JobRetried, JobRedriven'],
      ['queued', 'cancelled', 14, 'JobCancelled'],
      ['cancelled', 'queued', 14, 'JobRetried'],
      ['processing', 'cancelling', 0, 'JobCancelRequested'],
      ['cancelling', 'cancelled', 0, 'JobCancelled'],
    ],
    note: 'processing → queued is a retry after a lost lease or worker (attempt + 1); failed or cancelled → queued is a client’s retry or redrive.',
  },
  instance: {
    width: 860,
    height: 240,
    nodes: {
      new: [60, 60], requested: [225, 60], booting: [390, 60], polling: [570, 60], working: [790, 60],
      lost: [60, 190], terminated: [225, 190], terminating: [390, 190], idle: [570, 190],
    },
    edges: [
      ['new', 'requested', 0, 'InstanceRequested'],
      ['requested', 'booting', 0, 'InstanceLaunched'],
      ['booting', 'polling', 0, 'InstanceBooted'],
      ['requested', 'polling', -22, 'InstanceBooted'],
      ['polling', 'working', 14, 'InstanceJobStarted'],
      ['working', 'polling', 14, 'InstanceJobFinished'],
      ['polling', 'idle', 0, 'InstancePolledEmpty'],
      ['idle', 'working', 0, 'InstanceJobStarted'],
      ['idle', 'terminating', 0, 'InstanceTerminating'],
      ['polling', 'terminating', 0, 'InstanceTerminating'],
      ['terminating', 'terminated', 0, 'InstanceTerminated'],
      ['lost', 'terminated', 0, 'InstanceTerminated'],
      ['requested', 'terminated', 0, 'InstanceLaunchFailed'],
    ],
    note: 'Any running state can also become lost (heartbeats stopped) or be terminated by force.',
  },
};

/**
 * The event's name without its stream prefix: `JobStarted` → `Started`.
 * @param {string} type
 */
export function shortEvent(type) {
  return type.replace(/^(Job|Instance)/, '');
}

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
  const [sx, sy] = [start[0] ?? 0, start[1] ?? 0];
  const [ex, ey] = [end[0] ?? 0, end[1] ?? 0];
  // The middle of the (quadratic) curve, where the event's name goes, on the outer side of a bend.
  const mx = 0.25 * sx + 0.5 * cx + 0.25 * ex;
  const my = 0.25 * sy + 0.5 * cy + 0.25 * ey;
  const d = bend === 0 ? `M${f(sx)},${f(sy)} L${f(ex)},${f(ey)}` : `M${f(sx)},${f(sy)} Q${f(cx)},${f(cy)} ${f(ex)},${f(ey)}`;
  return { d, label: [mx + px * Math.sign(bend) * 8, my + py * Math.sign(bend) * 8], vertical: Math.abs(dx) < Math.abs(dy) / 2, side: Math.sign(px * bend), below: py * bend > 0 };
}

let diagramCount = 0;

/**
 * Draws a machine's diagram.
 * @param {'job' | 'instance'} kind
 * @param {{ current: string, visited: Iterable<string>, taken: Iterable<string>, events?: Map<string, string> }} marks
 *   taken holds `from→to` strings; events names a taken transition by the event that took it
 * @param {(state: string) => void} [onState] makes the states buttons (click, Enter or Space)
 * @returns {SVGElement}
 */
export function stateDiagram(kind, marks, onState) {
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
    if (from && to && !layout.edges.some(([a, b]) => a === from && b === to) && layout.nodes[from] && layout.nodes[to]) edges.push([from, to, 0, marks.events?.get(transition) ?? '']);
  }
  const labels = [];
  for (const [from, to, bend, event] of edges) {
    const a = layout.nodes[from];
    const b = layout.nodes[to];
    if (!a || !b) continue;
    const key = `${from}→${to}`;
    const isTaken = taken.has(key);
    const extra = !layout.edges.some(([x, y]) => x === from && y === to);
    const path = edgePath(a, b, bend);
    const name = shortEvent(marks.events?.get(key) ?? event);
    const [lx, ly] = path.label;
    const anchor = path.vertical ? (path.side >= 0 ? 'start' : 'end') : 'middle';
    labels.push(s('text', { class: isTaken ? 'edge-label taken' : 'edge-label', x: (lx + (path.vertical ? 6 * (path.side >= 0 ? 1 : -1) : 0)).toFixed(1), y: (ly + (path.vertical ? 4 : path.below ? 12 : -6)).toFixed(1), 'text-anchor': anchor, dataset: { edge: key } }, name));
    svg.append(
      s('path', {
        class: isTaken ? 'edge taken' : 'edge',
        d: path.d,
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
    const node = s('g', { class: cls, dataset: { state } }, rect, text);
    if (onState) {
      node.setAttribute('role', 'button');
      node.setAttribute('tabindex', '0');
      node.setAttribute('aria-label', `Jump to the event that entered ${state}`);
      node.addEventListener('click', () => onState(state));
      node.addEventListener('keydown', (event) => {
        const key = /** @type {KeyboardEvent} */ (event).key;
        if (key === 'Enter' || key === ' ') {
          event.preventDefault();
          onState(state);
        }
      });
    }
    svg.append(node);
  }
  // Names last, so no box or arrow is drawn over them.
  svg.append(...labels);
  return svg;
}
