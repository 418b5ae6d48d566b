// @ts-check
/**
 * A stream's replay as the inspector shows it: the machine diagram (current state highlighted) and
 * one row per event — seq, time, time since the first event, the event, the state before and after,
 * who handled it, and the context fields it changed. Choosing a row replays up to that event: the
 * diagram then shows the state right after it.
 */
import { clockTime, duration, h } from './dom.js';
import { stateDiagram } from './diagram.js';

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
 */

/** @param {unknown} value */
function compact(value) {
  const text = value === undefined ? '—' : JSON.stringify(value);
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
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
  if (typeof d.outcome === 'string') parts.push(h('span', { class: 'muted' }, ` ${d.outcome}`));
  if (kind === 'job' && step.type === 'JobSubmitted') parts.push(h('span', { class: 'muted' }, 'web'));
  // A client's actions: retry, and redrive with the failure it leaves behind.
  if (kind === 'job' && step.type === 'JobRetried') parts.push(h('span', { class: 'muted' }, 'a client'));
  if (kind === 'job' && typeof d.previousReason === 'string') parts.push(h('span', { class: 'muted' }, `redriven; was ${d.previousCode}: ${d.previousReason}`));
  return parts.length ? parts : [h('span', { class: 'muted' }, '—')];
}

/**
 * Draws the history into `container`. `open` is called when a linked job or instance is chosen.
 * @param {HTMLElement} container
 * @param {'job' | 'instance'} kind
 * @param {History} history
 * @param {(kind: 'job' | 'instance', id: string) => void} open
 */
export function renderTimeline(container, kind, history, open) {
  const steps = history.steps;
  const first = steps[0] ? Date.parse(steps[0].at) : NaN;
  const diagramBox = h('div', { class: 'diagram-box' });
  let selected = steps.length - 1;

  /** @param {number} index */
  function showUpTo(index) {
    selected = index;
    const upTo = steps.slice(0, index + 1);
    const current = upTo.at(-1)?.stateAfter ?? 'new';
    const visited = new Set(['new', ...upTo.map((st) => st.stateAfter)]);
    const taken = new Set(upTo.filter((st) => st.stateBefore !== st.stateAfter).map((st) => `${st.stateBefore}→${st.stateAfter}`));
    diagramBox.replaceChildren(stateDiagram(kind, { current, visited, taken }));
    rows.forEach((row, i) => row.setAttribute('aria-current', String(i === index)));
    caption.textContent = index === steps.length - 1 ? `Now: ${current} (after event ${steps[index]?.seq ?? 0} of ${steps.length}).` : `Replayed to event ${steps[index]?.seq}: the ${kind} was ${current}.`;
  }

  const caption = h('p', { class: 'muted', 'aria-live': 'polite', dataset: { role: 'replay-caption' } });
  const rows = steps.map((step, index) => {
    const at = Date.parse(step.at);
    const moved = step.stateBefore !== step.stateAfter;
    return h(
      'tr',
      { dataset: { seq: String(step.seq), type: step.type, state: step.stateAfter } },
      h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `Replay to event ${step.seq}`, onclick: () => showUpTo(index) }, String(step.seq))),
      h('td', { class: 'mono' }, clockTime(step.at)),
      h('td', { class: 'mono' }, Number.isFinite(at - first) ? `+${duration(at - first)}` : '—'),
      h('td', {}, step.type),
      h(
        'td',
        {},
        moved ? [h('span', { class: 'state', dataset: { state: step.stateBefore } }, step.stateBefore), ' → '] : null,
        h('span', { class: 'state', dataset: { state: step.stateAfter } }, step.stateAfter),
      ),
      h('td', {}, handledBy(kind, step, open)),
      h(
        'td',
        { class: step.problem ? 'problem' : 'changes' },
        step.problem
          ? `${step.problem.kind}: ${step.problem.reason}`
          : step.changes.filter(([field]) => field !== 'updatedAt').map(([field, before, after]) => `${field}: ${compact(before)} → ${compact(after)}`).join('; ') || '—',
      ),
    );
  });

  const problems = history.problems ?? [];
  const warning = problems.length
    ? h('p', { class: 'alert', role: 'alert' }, `This history has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => `seq ${p.seq} ${p.type}: ${p.reason}`).join('; ')}`)
    : '';
  container.replaceChildren(
    diagramBox,
    caption,
    warning,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'timeline', 'aria-label': `Events of ${kind} ${history.id}` },
        h('thead', {}, h('tr', {}, ['#', 'time', 'since start', 'event', 'state after', kind === 'job' ? 'worker' : 'job / by', 'changed'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows),
      ),
    ),
  );
  if (steps.length > 0) showUpTo(selected);
  else diagramBox.replaceChildren(stateDiagram(kind, { current: 'new', visited: ['new'], taken: [] }));
}
