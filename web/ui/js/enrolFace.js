// @ts-check
/**
 * Acting on a face of a result (the result page): "Add to person…" enrols that very face into an
 * existing person or a new one (`POST /v1/gallery/subjects/:id/examples/from-job`, which keeps the
 * face's own descriptor: in a group photo it is the face picked, never silently the largest); "Not
 * this person" records nothing by itself, it only opens the same picker without the name the face
 * got, so the user can say who it really is.
 */
import { ApiError, enc, getJson, postJson } from './api.js';
import { announce, h } from './dom.js';

const NEW = '__new__';
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @typedef {{ jobId: string, index: number, label: string, crop: HTMLElement | null, done: (name: string) => void }} Target
 */

/** @type {Target | null} */
let target = null;

/**
 * Opens the picker for one face.
 * @param {Target} face
 * @param {{ notThisPerson?: boolean }} [options]
 */
export async function openEnrol(face, options = {}) {
  target = face;
  const dialog = /** @type {HTMLDialogElement} */ ($('enrol-dialog'));
  const select = /** @type {HTMLSelectElement} */ ($('enrol-person'));
  const known = face.label !== 'unknown';
  $('enrol-title').textContent = options.notThisPerson ? `Face ${face.index + 1} is not ${face.label}: who is it?` : `Add face ${face.index + 1} to a person`;
  $('enrol-note').textContent = options.notThisPerson
    ? 'Nothing is recorded until you pick the right person and add the face.'
    : 'This face (and only this one) becomes an example of the person, so their next photos are named better.';
  $('enrol-error').textContent = '';
  $('enrol-face').replaceChildren(face.crop ?? '');
  /** @type {Array<{ id: string, name: string }>} */
  let people = [];
  try {
    people = (await getJson('/v1/gallery/subjects')).subjects ?? [];
  } catch (error) {
    $('enrol-error').textContent = error instanceof Error ? error.message : String(error);
  }
  const choices = people.filter((p) => !(options.notThisPerson && known && p.name === face.label));
  select.replaceChildren(
    ...choices.map((p) => h('option', { value: p.id, selected: !options.notThisPerson && p.name === face.label }, p.name)),
    h('option', { value: NEW, selected: choices.length === 0 }, 'New person…'),
  );
  showNewName();
  if (!dialog.open) dialog.showModal();
  select.focus();
}

function showNewName() {
  const isNew = /** @type {HTMLSelectElement} */ ($('enrol-person')).value === NEW;
  $('enrol-new').hidden = !isNew;
}

/** Enrols the chosen face into the chosen (or new) person. */
async function submit() {
  if (!target) return;
  const select = /** @type {HTMLSelectElement} */ ($('enrol-person'));
  const nameInput = /** @type {HTMLInputElement} */ ($('enrol-name'));
  const button = /** @type {HTMLButtonElement} */ ($('enrol-submit'));
  $('enrol-error').textContent = '';
  button.disabled = true;
  try {
    let subjectId = select.value;
    let name = select.selectedOptions[0]?.textContent ?? '';
    if (subjectId === NEW) {
      name = nameInput.value.trim();
      if (!name) throw new ApiError(400, 'validation', 'Type the name of the new person.');
      subjectId = (await postJson('/v1/gallery/subjects', { name })).id;
    }
    const answer = await postJson(`/v1/gallery/subjects/${enc(subjectId)}/examples/from-job`, { jobId: target.jobId, faceIndex: target.index });
    const words = answer?.example?.duplicate ? `Face ${target.index + 1} already was an example of ${name}.` : `Face ${target.index + 1} added to ${name}.`;
    target.done(words);
    announce(words);
    /** @type {HTMLDialogElement} */ ($('enrol-dialog')).close();
    nameInput.value = '';
  } catch (error) {
    $('enrol-error').textContent = error instanceof Error ? error.message : String(error);
  } finally {
    button.disabled = false;
  }
}

$('enrol-person').addEventListener('change', showNewName);
$('enrol-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void submit();
});
$('enrol-cancel').addEventListener('click', () => /** @type {HTMLDialogElement} */ ($('enrol-dialog')).close());
