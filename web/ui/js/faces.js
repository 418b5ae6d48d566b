// @ts-check
/**
 * Drawing a recognition result over its photo: one absolutely positioned box per face, placed in
 * percentages of the result's image size, so it follows the photo at whatever size it is shown; a
 * name tag per box placed where it collides with no other tag (tags.js); and the faces in words,
 * each row highlighting its box on hover or focus and the other way round.
 */
import { h } from './dom.js';
import { placeTags } from './tags.js';

/**
 * @typedef {{ x: number, y: number, width: number, height: number }} Box
 * @typedef {{ label: string, distance: number }} Candidate
 * @typedef {{ box: Box, score?: number, label?: string, distance?: number, runnerUp?: Candidate | null, nearest?: Candidate | null, ambiguous?: boolean, expressions?: Record<string, number>, age?: number, gender?: string, genderProbability?: number }} Face
 * @typedef {{ width: number, height: number, faces: Face[] }} Result
 */

/** The gallery's threshold when it sets none (model/gallery.ts DEFAULT_THRESHOLD). */
export const DEFAULT_THRESHOLD = 0.6;
/** Below this share of the threshold a match is "very likely"; above it only "possibly". */
const STRONG_SHARE = 0.75;

/**
 * The most likely expression of a face, or null when none was reported.
 * @param {Face} face
 * @returns {{ name: string, p: number } | null}
 */
export function topExpression(face) {
  let best = null;
  for (const [name, p] of Object.entries(face.expressions ?? {})) {
    if (typeof p === 'number' && (!best || p > best.p)) best = { name, p };
  }
  return best;
}

/**
 * `Ada` or `unknown`, as the worker named the face.
 * @param {Face} face
 */
export function faceName(face) {
  return face.label && face.label !== '' ? face.label : 'unknown';
}

/** @param {number | undefined} d */
const finite = (d) => typeof d === 'number' && Number.isFinite(d);

/**
 * The distance in two decimals, `—` when absent or infinite (an empty gallery).
 * @param {Face} face
 */
export function faceDistance(face) {
  return finite(face.distance) ? /** @type {number} */ (face.distance).toFixed(2) : '—';
}

/**
 * How sure the match is, in words, from the distance and the gallery's threshold:
 * `very likely Ada — 0.21`, `possibly Ada — 0.54`, `unknown — nearest Ada 0.70`. The nearest other
 * person (`runnerUp`, when the worker reports it) follows: `next Grace 0.66`.
 * @param {Face} face
 * @param {number} [threshold]
 * @returns {{ tier: 'strong' | 'possible' | 'ambiguous' | 'unknown', text: string, other: string | null }}
 */
export function matchWords(face, threshold = DEFAULT_THRESHOLD) {
  const name = faceName(face);
  const runnerUp = face.runnerUp ?? null;
  const other = runnerUp && finite(runnerUp.distance) ? `next ${runnerUp.label} ${runnerUp.distance.toFixed(2)}` : null;
  if (name === 'unknown') {
    const nearest = face.nearest ?? runnerUp;
    if (!finite(face.distance)) return { tier: 'unknown', text: 'unknown — nobody in the gallery to compare with', other: null };
    const who = nearest && finite(nearest.distance) ? `${nearest.label} ${nearest.distance.toFixed(2)}` : `match ${faceDistance(face)}`;
    return { tier: 'unknown', text: `unknown — nearest ${who}`, other: null };
  }
  const d = faceDistance(face);
  if (face.ambiguous === true) return { tier: 'ambiguous', text: `${name} or ${runnerUp?.label ?? 'someone else'}? — ${d}`, other };
  const strong = finite(face.distance) && /** @type {number} */ (face.distance) < threshold * STRONG_SHARE;
  return { tier: strong ? 'strong' : 'possible', text: `${strong ? 'very likely' : 'possibly'} ${name} — ${d}`, other };
}

/**
 * The headline of a result: every person found, then how many were not known.
 * @param {Result} result
 */
export function headline(result) {
  const names = [...new Set(result.faces.map(faceName).filter((n) => n !== 'unknown'))];
  const unknown = result.faces.filter((f) => faceName(f) === 'unknown').length;
  if (result.faces.length === 0) return 'No face found';
  const parts = names.length ? [names.join(', ')] : [];
  if (unknown) parts.push(`${unknown} unknown`);
  return parts.join(' · ');
}

/**
 * The boxes over a photo, as one layer to put on top of the image. Tags are placed once the layer
 * is laid out and again whenever it changes size.
 * @param {Result} result
 * @returns {HTMLElement}
 */
export function faceLayer(result) {
  const frame = h('div', { class: 'frame' });
  const { width, height } = result;
  if (!(width > 0 && height > 0)) return frame;
  const pct = (/** @type {number} */ v, /** @type {number} */ of) => `${((v / of) * 100).toFixed(3)}%`;
  result.faces.forEach((face, index) => {
    const name = faceName(face);
    const box = h('div', { class: 'face-box', dataset: { known: String(name !== 'unknown'), face: String(index) }, 'aria-hidden': 'true' });
    box.style.left = pct(face.box.x, width);
    box.style.top = pct(face.box.y, height);
    box.style.width = pct(face.box.width, width);
    box.style.height = pct(face.box.height, height);
    const tag = h('span', { class: 'tag', dataset: { face: String(index) } }, `${index + 1} · ${name}`);
    frame.append(box, tag);
  });
  new window.ResizeObserver(() => placeTags(frame)).observe(frame);
  return frame;
}

/**
 * Lights a face's box, tag and row together.
 * @param {HTMLElement} root where the photo and the list live
 * @param {string | null} index the face, or null for none
 */
function highlight(root, index) {
  for (const el of root.querySelectorAll('[data-face]')) el.classList.toggle('hot', index !== null && /** @type {HTMLElement} */ (el).dataset.face === index);
}

/**
 * Hovering (or focusing) a face's row lights its box, and hovering a box lights its row.
 * @param {HTMLElement} root
 */
export function linkHover(root) {
  const over = (/** @type {Event} */ event) => {
    const el = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (event.target).closest?.('[data-face]'));
    highlight(root, el ? (el.dataset.face ?? null) : null);
  };
  root.addEventListener('mouseover', over);
  root.addEventListener('focusin', over);
  root.addEventListener('mouseleave', () => highlight(root, null));
  root.addEventListener('focusout', () => highlight(root, null));
}

/**
 * "about 24 · female 97%", or null when the result has no age and gender (older results).
 * @param {Face} face
 * @returns {HTMLElement | null}
 */
function ageAndGender(face) {
  if (typeof face.age !== 'number' || typeof face.gender !== 'string') return null;
  const probability = typeof face.genderProbability === 'number' ? ` ${Math.round(face.genderProbability * 100)}%` : '';
  return h('span', { class: 'muted' }, `· about ${Math.round(face.age)} · ${face.gender}${probability}`);
}

/**
 * The faces as a list in words, beside the photo (what a screen reader reads). `actions`, when
 * given, adds controls to each row (the result page's "Add to person…").
 * @param {Result} result
 * @param {{ threshold?: number, actions?: (face: Face, index: number) => HTMLElement | null }} [options]
 * @returns {HTMLElement}
 */
export function faceList(result, options = {}) {
  if (result.faces.length === 0) return h('p', { class: 'muted' }, 'No face found in this photo.');
  return h(
    'ol',
    { class: 'faces-list', 'aria-label': 'Faces found' },
    result.faces.map((face, index) => {
      const expression = topExpression(face);
      const words = matchWords(face, options.threshold);
      return h(
        'li',
        { dataset: { label: faceName(face), face: String(index), tier: words.tier }, tabindex: '0' },
        h('span', { class: 'muted' }, `${index + 1}.`),
        ' ',
        h('span', { class: 'who' }, words.text),
        words.other ? h('span', { class: 'muted' }, `· ${words.other}`) : null,
        ' ',
        expression ? h('span', {}, `· ${expression.name} ${Math.round(expression.p * 100)}%`) : null,
        ' ',
        ageAndGender(face),
        options.actions?.(face, index) ?? null,
      );
    }),
  );
}
