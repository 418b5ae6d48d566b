// @ts-check
/**
 * A stream's replay as the pages show it: the machine diagram (current state highlighted, the
 * transitions named by their events) above one row per event — or per run of identical events,
 * collapsed with a count — and controls to step through it: previous / next / play, the arrow keys
 * (Home / End for the ends), and a click on a state of the drawing to jump to the event that
 * entered it. Each step shows the state right after it.
 */
import { clockTime, duration, h, labelCells } from './dom.js';
import { stateDiagram } from './diagram.js';

/** How long play waits on each step. */
const PLAY_MS = 700;

/**
 * @typedef {object} Step
 * @property {number} seq
 * @property {string} type
 * @property {string} at
 * @property {any} data
 * @property {string} stateBefore
 * @property {string} stateAfter
 * @property {Array<[string, unknown, unknown]>} changes
 * @property {{ kind: string, reason: string }} [problem]
 *
 * @typedef {{ id: string, stream: string, state: string, seq: number, steps: Step[], problems?: Array<{ seq: number, type: string, reason: string }> }} History
 *
 * A row of the table: one step, or a run of quiet steps (no state change: polled empty,
 * heartbeats) in one state, with how many of each event type it holds.
 * @typedef {{ first: Step, last: Step, count: number, index: number, quiet: boolean, types: Map<string, number>, steps: Step[] }} Row
 */

/** Context fields every event touches (not worth a line). */
const NOISE = new Set(['updatedAt', 'lastHeartbeatAt', 'emptyPolls']);

/**
 * A stored value in words: times as clock times, ids shortened by the cell, objects as `k: v`.
 * @param {string} field
 * @param {unknown} value
 * @returns {string}
 */
export function readable(field, value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') {
    if ((/At$|Since$/.test(field) || /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) && !Number.isNaN(Date.parse(value))) return clockTime(value);
    return value.length > 60 ? `${value.slice(0, 59)}…` : value;
  }
  if (typeof value === 'number') return /Ms$/.test(field) ? duration(value) : String(Math.round(value * 1000) / 1000);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') {
    const text = Object.entries(/** @type {Record<string, unknown>} */ (value))
      .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? '…' : String(v)}`)
      .join(', ');
    return text.length > 80 ? `${text.slice(0, 79)}…` : text || '—';
  }
  return String(value);
}

/**
 * The fields a row's events changed, as a list of `field  before → after` pairs (first values:
 * only after); over a run, each field from its first before to its last after.
 * @param {Step[]} steps
 */
function changeList(steps) {
  /** @type {Map<string, [string, unknown, unknown]>} */
  const merged = new Map();
  for (const step of steps) {
    for (const [field, before, after] of step.changes) merged.set(field, [field, merged.get(field)?.[1] ?? before, after]);
  }
  const changes = [...merged.values()].filter(([field]) => !NOISE.has(field));
  if (changes.length === 0) return h('span', { class: 'muted' }, '—');
  return h(
    'dl',
    { class: 'kv' },
    changes.map(([field, before, after]) =>
      h(
        'div',
        { dataset: { field } },
        h('dt', {}, field),
        h('dd', {}, before === null || before === undefined ? readable(field, after) : `${readable(field, before)} → ${readable(field, after)}`),
      ),
    ),
  );
}

/**
 * Who handled the event: the worker instance for a job event, the job for an instance event, or
 * what the data says instead (supervisor, reason).
 * @param {'job' | 'instance'} kind
 * @param {Step} step
 * @param {(kind: 'job' | 'instance', id: string) => void} open
 */
function handledBy(kind, step, open) {
  const d = step.data && typeof step.data === 'object' ? step.data : {};
  const link = (/** @type {'job' | 'instance'} */ k, /** @type {string} */ id, /** @type {string} */ prefix) =>
    h('button', { type: 'button', class: 'link mono', onclick: () => open(k, id), 'aria-label': `Open ${k} ${id}` }, `${prefix}${id}`);
  const parts = [];
  if (kind === 'job' && typeof d.instanceId === 'string') parts.push(link('instance', d.instanceId, ''));
  if (kind === 'instance' && typeof d.jobId === 'string') parts.push(link('job', d.jobId, 'job '));
  if (typeof d.by === 'string') parts.push(h('span', {}, ` by ${d.by}`));
  if (typeof d.reason === 'string') parts.push(h('span', { class: 'muted' }, ` ${d.reason}`));
  // A failed launch: how long the supervisor then launched nothing (its backoff).
  if (typeof d.backoffMs === 'number') parts.push(h('span', { class: 'muted' }, ` · next launch in ${(d.backoffMs / 1000).toFixed(1)} s`));
  if (typeof d.outcome === 'string') parts.push(h('span', { class: 'muted' }, ` ${d.outcome}`));
  if (kind === 'job' && step.type === 'JobSubmitted') parts.push(h('span', { class: 'muted' }, 'web'));
  // A client's actions: retry, and redrive with the failure it leaves behind.
  if (kind === 'job' && step.type === 'JobRetried') parts.push(h('span', { class: 'muted' }, 'a client'));
  if (kind === 'job' && typeof d.previousReason === 'string') parts.push(h('span', { class: 'muted' }, `redriven; was ${d.previousCode}: ${d.previousReason}`));
  return parts.length ? parts : [h('span', { class: 'muted' }, '—')];
}

/**
 * Consecutive events that leave the state as it was (polled empty, heartbeats) become one row with
 * a count per event type; an event that moves the state is always a row of its own. Pure.
 * @param {Step[]} steps
 * @returns {Row[]}
 */
export function collapseSteps(steps) {
  /** @type {Row[]} */
  const rows = [];
  for (const step of steps) {
    const last = rows.at(-1);
    const quiet = step.stateBefore === step.stateAfter && !step.problem;
    if (last && quiet && last.quiet && last.last.stateAfter === step.stateAfter) {
      last.last = step;
      last.count += 1;
      last.types.set(step.type, (last.types.get(step.type) ?? 0) + 1);
      last.steps.push(step);
    } else rows.push({ first: step, last: step, count: 1, index: rows.length, quiet, types: new Map([[step.type, 1]]), steps: [step] });
  }
  return rows;
}

/**
 * Draws the history into `container` with its step controls. `open` is called when a linked job or
 * instance is chosen; `onClose`, when given, is what Escape does.
 * @param {HTMLElement} container
 * @param {'job' | 'instance'} kind
 * @param {History} history
 * @param {(kind: 'job' | 'instance', id: string) => void} open
 * @param {{ onClose?: () => void }} [options]
 */
export function renderTimeline(container, kind, history, open, options = {}) {
  const steps = history.steps;
  const groups = collapseSteps(steps);
  const first = steps[0] ? Date.parse(steps[0].at) : NaN;
  const diagramBox = h('div', { class: 'diagram-box' });
  let selected = groups.length - 1;
  let playing = 0;

  const caption = h('p', { class: 'replay-caption', 'aria-live': 'polite', dataset: { role: 'replay-caption' } });
  const previous = h('button', { type: 'button', class: 'secondary', 'aria-label': 'Previous event', onclick: () => jumpTo(selected - 1) }, '◀ Previous');
  const play = h('button', { type: 'button', class: 'secondary', 'aria-label': 'Play', onclick: () => togglePlay() }, '▶ Play');
  const next = h('button', { type: 'button', class: 'secondary', 'aria-label': 'Next event', onclick: () => jumpTo(selected + 1) }, 'Next ▶');
  const position = h('span', { class: 'muted replay-position' });
  const controls = h('div', { class: 'replay-controls', role: 'group', 'aria-label': 'Replay' }, previous, play, next, position);

  /** @param {number} index */
  function jumpTo(index) {
    stopPlay();
    go(index, true);
  }

  /**
   * Shows the state right after row `index` (clamped); `reveal` scrolls its row into view (not on
   * the first drawing, which must not move the page).
   * @param {number} index
   * @param {boolean} [reveal]
   */
  function go(index, reveal = false) {
    if (groups.length === 0) return;
    selected = Math.max(0, Math.min(groups.length - 1, index));
    const group = /** @type {Row} */ (groups[selected]);
    const upTo = steps.filter((st) => st.seq <= group.last.seq);
    const current = upTo.at(-1)?.stateAfter ?? 'new';
    const visited = new Set(['new', ...upTo.map((st) => st.stateAfter)]);
    const moves = upTo.filter((st) => st.stateBefore !== st.stateAfter);
    const taken = new Set(moves.map((st) => `${st.stateBefore}→${st.stateAfter}`));
    const events = new Map(moves.map((st) => [`${st.stateBefore}→${st.stateAfter}`, st.type]));
    diagramBox.replaceChildren(stateDiagram(kind, { current, visited, taken, events }, enteredBy));
    rows.forEach((row, i) => row.setAttribute('aria-current', String(i === selected)));
    if (reveal) rows[selected]?.scrollIntoView?.({ block: 'nearest' });
    previous.disabled = selected === 0;
    next.disabled = selected === groups.length - 1;
    position.textContent = `event ${group.last.seq} of ${steps.at(-1)?.seq ?? 0}`;
    container.dataset.seq = String(group.last.seq);
    caption.textContent =
      selected === groups.length - 1 ? `Now: ${current} (after event ${group.last.seq}, ${group.last.type}).` : `Replayed to event ${group.last.seq} (${group.last.type}): the ${kind} was ${current}.`;
    if (selected === groups.length - 1) stopPlay();
  }

  /**
   * Jumps to the first event that entered `state` (a click on the drawing).
   * @param {string} state
   */
  function enteredBy(state) {
    const index = groups.findIndex((g) => g.first.stateAfter === state && g.first.stateBefore !== state);
    if (index >= 0) jumpTo(index);
    else caption.textContent = `No event of this history entered ${state}.`;
  }

  function stopPlay() {
    if (playing) window.clearInterval(playing);
    playing = 0;
    play.textContent = '▶ Play';
    play.setAttribute('aria-label', 'Play');
  }

  function togglePlay() {
    if (playing) return stopPlay();
    if (selected >= groups.length - 1) go(0);
    play.textContent = '❚❚ Pause';
    play.setAttribute('aria-label', 'Pause');
    playing = window.setInterval(() => go(selected + 1, true), PLAY_MS);
  }

  const rows = groups.map((group, index) => {
    const step = group.first;
    const at = Date.parse(step.at);
    const moved = step.stateBefore !== step.stateAfter;
    const repeated = group.count > 1;
    return h(
      'tr',
      { dataset: { seq: String(step.seq), type: step.type, types: [...group.types.keys()].join(' '), state: step.stateAfter, count: String(group.count) } },
      h(
        'td',
        {},
        h(
          'button',
          { type: 'button', class: 'link', 'aria-label': `Replay to event ${group.last.seq}`, onclick: () => jumpTo(index) },
          repeated ? `${step.seq}–${group.last.seq}` : String(step.seq),
        ),
      ),
      h('td', { class: 'mono' }, clockTime(step.at)),
      h('td', { class: 'mono' }, Number.isFinite(at - first) ? `+${duration(at - first)}` : '—'),
      h(
        'td',
        {},
        repeated
          ? [...group.types].flatMap(([type, n], i) => [i > 0 ? h('br') : null, type, h('span', { class: 'count', title: `${n} of these in a row` }, ` ×${n}`)])
          : step.type,
      ),
      h(
        'td',
        {},
        moved ? [h('span', { class: 'state', dataset: { state: step.stateBefore } }, step.stateBefore), ' → '] : null,
        h('span', { class: 'state', dataset: { state: step.stateAfter } }, step.stateAfter),
      ),
      h('td', {}, handledBy(kind, step, open)),
      h('td', { class: step.problem ? 'problem' : 'changes' }, step.problem ? `${step.problem.kind}: ${step.problem.reason}` : changeList(group.steps)),
    );
  });

  const problems = history.problems ?? [];
  const warning = problems.length
    ? h('p', { class: 'alert', role: 'alert' }, `This history has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => `seq ${p.seq} ${p.type}: ${p.reason}`).join('; ')}`)
    : '';
  const region = h(
    'div',
    { class: 'replay', tabindex: '0', role: 'region', 'aria-label': `Replay of ${kind} ${history.id}: arrow keys step, Home and End jump, Escape closes` },
    controls,
    diagramBox,
    caption,
  );
  region.addEventListener('keydown', (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target.closest('input, select, textarea')) return;
    const moves = /** @type {Record<string, () => number>} */ ({ ArrowLeft: () => selected - 1, ArrowUp: () => selected - 1, ArrowRight: () => selected + 1, ArrowDown: () => selected + 1, Home: () => 0, End: () => groups.length - 1 });
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      jumpTo(move());
    } else if (event.key === 'Escape' && options.onClose) {
      event.preventDefault();
      stopPlay();
      options.onClose();
    }
  });
  container.replaceChildren(
    region,
    warning,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'timeline cardify', 'aria-label': `Events of ${kind} ${history.id}` },
        h('thead', {}, h('tr', {}, ['#', 'time', 'since start', 'event', 'state after', kind === 'job' ? 'worker' : 'job / by', 'changed'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows),
      ),
    ),
  );
  labelCells(container.querySelector('table'));
  if (groups.length > 0) go(selected);
  else {
    diagramBox.replaceChildren(stateDiagram(kind, { current: 'new', visited: ['new'], taken: [] }));
    controls.hidden = true;
  }
}
