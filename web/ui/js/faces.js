// @ts-check
/**
 * Drawing a recognition result over its photo: one absolutely positioned box per face, placed in
 * percentages of the result's image size, so it follows the photo at whatever size it is shown.
 */
import { h } from './dom.js';

/**
 * @typedef {{ x: number, y: number, width: number, height: number }} Box
 * @typedef {{ box: Box, score?: number, label?: string, distance?: number, expressions?: Record<string, number>, age?: number, gender?: string, genderProbability?: number }} Face
 * @typedef {{ width: number, height: number, faces: Face[] }} Result
 */

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

/**
 * The distance in two decimals, `—` when absent or infinite (an empty gallery).
 * @param {Face} face
 */
export function faceDistance(face) {
  return typeof face.distance === 'number' && Number.isFinite(face.distance) ? face.distance.toFixed(2) : '—';
}

/**
 * The boxes over a photo, as one layer to put on top of the image.
 * @param {Result} result
 * @returns {HTMLElement}
 */
export function faceLayer(result) {
  const frame = h('div', { class: 'frame', 'aria-hidden': 'true' });
  const { width, height } = result;
  if (!(width > 0 && height > 0)) return frame;
  const pct = (/** @type {number} */ v, /** @type {number} */ of) => `${((v / of) * 100).toFixed(3)}%`;
  result.faces.forEach((face, index) => {
    const name = faceName(face);
    const known = name !== 'unknown';
    const box = h('div', {
      // Tags near the top or the right edge go below / leftwards so they stay on the photo.
      class: ['face-box', face.box.y / height < 0.08 ? 'below' : '', (face.box.x + face.box.width) / width > 0.8 ? 'right' : ''].filter(Boolean).join(' '),
      dataset: { known: String(known), face: String(index) },
    });
    box.style.left = pct(face.box.x, width);
    box.style.top = pct(face.box.y, height);
    box.style.width = pct(face.box.width, width);
    box.style.height = pct(face.box.height, height);
    box.append(h('span', { class: 'tag' }, `${index + 1} · ${name}`));
    frame.append(box);
  });
  return frame;
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
 * The faces as a list in words, beside the photo (what a screen reader reads).
 * @param {Result} result
 * @returns {HTMLElement}
 */
export function faceList(result) {
  if (result.faces.length === 0) return h('p', { class: 'muted' }, 'No face found in this photo.');
  return h(
    'ol',
    { class: 'faces-list', 'aria-label': 'Faces found' },
    result.faces.map((face, index) => {
      const expression = topExpression(face);
      const name = faceName(face);
      return h(
        'li',
        { dataset: { label: name } },
        h('span', { class: 'muted' }, `${index + 1}.`),
        ' ',
        h('span', { class: 'who' }, name),
        ' ',
        h('span', { class: 'muted' }, `distance ${faceDistance(face)}`),
        ' ',
        expression ? h('span', {}, `· ${expression.name} ${Math.round(expression.p * 100)}%`) : null,
        ' ',
        ageAndGender(face),
      );
    }),
  );
}
