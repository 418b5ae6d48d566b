// @ts-check
/**
 * The gallery page: people (subjects) and their example faces. Every change is one API call, then
 * the list is read again, so the page always shows what the server kept. Errors are the server's
 * own sentences, shown next to what caused them.
 */
import { del, enc, getJson, postFiles, postJson } from './api.js';
import { announce, h } from './dom.js';

/**
 * @typedef {{ id: string, box: unknown, sourceName: string | null }} Example
 * @typedef {{ id: string, name: string, exampleCount: number, examples: Example[] }} Subject
 */

const peopleList = /** @type {HTMLUListElement} */ (document.getElementById('people'));
const peopleCount = /** @type {HTMLElement} */ (document.getElementById('people-count'));
const listError = /** @type {HTMLElement} */ (document.getElementById('list-error'));
const addForm = /** @type {HTMLFormElement} */ (document.getElementById('add-person'));
const nameInput = /** @type {HTMLInputElement} */ (document.getElementById('person-name'));
const addError = /** @type {HTMLElement} */ (document.getElementById('add-error'));
const thresholdNote = /** @type {HTMLElement} */ (document.getElementById('threshold'));

/** Messages to show on a person's card after the list is drawn again, by subject id. */
/** @type {Map<string, { text: string, error: boolean }>} */
const notes = new Map();

/** @param {unknown} error */
const words = (error) => (error instanceof Error ? error.message : String(error));

/** @param {string} subjectId @param {string} exampleId */
const thumbUrl = (subjectId, exampleId) => `/v1/gallery/subjects/${enc(subjectId)}/examples/${enc(exampleId)}/image`;

async function load() {
  try {
    const answer = await getJson('/v1/gallery/subjects');
    /** @type {Subject[]} */
    const subjects = Array.isArray(answer) ? answer : answer?.subjects ?? [];
    if (typeof answer?.threshold === 'number') {
      thresholdNote.textContent = `A face is named when its distance to a person is below ${answer.threshold}.`;
    }
    listError.textContent = '';
    draw(subjects);
  } catch (error) {
    listError.textContent = `The gallery could not be read: ${words(error)}`;
  } finally {
    peopleList.setAttribute('aria-busy', 'false');
  }
}

/** @param {Subject[]} subjects */
function draw(subjects) {
  peopleCount.textContent = `(${subjects.length})`;
  if (subjects.length === 0) {
    peopleList.replaceChildren(h('li', { class: 'panel muted' }, 'Nobody yet. Add a person above, then photos of them.'));
    return;
  }
  const sorted = [...subjects].sort((a, b) => a.name.localeCompare(b.name));
  peopleList.replaceChildren(...sorted.map(personCard));
}

/** @param {Subject} subject */
function personCard(subject) {
  const headingId = `person-${subject.id}`;
  const inputId = `photos-${subject.id}`;
  const note = notes.get(subject.id);
  notes.delete(subject.id);
  const status = h('p', { class: note?.error ? 'alert' : 'muted', role: note?.error ? 'alert' : 'status', dataset: { role: 'person-status' } }, note?.text ?? '');
  const fileInput = h('input', { type: 'file', id: inputId, multiple: true, accept: 'image/jpeg,image/png,image/webp', class: 'visually-hidden' });
  const card = h(
    'li',
    { class: 'panel person', dataset: { subjectId: subject.id, name: subject.name }, 'aria-labelledby': headingId },
    h(
      'div',
      { class: 'person-head' },
      h('h3', { id: headingId }, subject.name),
      h('span', { class: 'muted' }, `${subject.examples.length} example${subject.examples.length === 1 ? '' : 's'}`),
      deleteControl(subject),
    ),
    subject.examples.length === 0
      ? h('p', { class: 'muted' }, 'No photos yet: faces cannot be named after this person until one is added.')
      : h('ul', { class: 'examples', 'aria-label': `Example faces of ${subject.name}` }, subject.examples.map((e, i) => exampleItem(subject, e, i))),
    h(
      'div',
      { class: 'add-photos' },
      fileInput,
      h('label', { for: inputId, class: 'button secondary' }, `Add photos of ${subject.name}…`),
      status,
    ),
  );
  fileInput.addEventListener('change', () => {
    const files = Array.from(fileInput.files ?? []);
    fileInput.value = '';
    if (files.length > 0) void addExamples(subject, files, status);
  });
  if (!note) status.textContent = '';
  return card;
}

/**
 * @param {Subject} subject
 * @param {Example} example
 * @param {number} index
 */
function exampleItem(subject, example, index) {
  const label = example.sourceName ?? `photo ${index + 1}`;
  return h(
    'li',
    { class: 'example', dataset: { exampleId: example.id } },
    h('img', { src: thumbUrl(subject.id, example.id), alt: `Face of ${subject.name} from ${label}`, width: 112, height: 112, loading: 'lazy' }),
    h('span', { class: 'source', title: label }, label),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        'aria-label': `Remove example ${label} of ${subject.name}`,
        onclick: async (/** @type {Event} */ event) => {
          const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
          button.disabled = true;
          try {
            await del(`/v1/gallery/subjects/${enc(subject.id)}/examples/${enc(example.id)}`);
            notes.set(subject.id, { text: `Removed ${label}.`, error: false });
            announce(`Removed example ${label} of ${subject.name}`);
          } catch (error) {
            notes.set(subject.id, { text: words(error), error: true });
          }
          await load();
        },
      },
      'Remove',
    ),
  );
}

/**
 * Deleting a person asks once more in place (no modal dialog).
 * @param {Subject} subject
 */
function deleteControl(subject) {
  const box = h('span', { class: 'row' });
  const ask = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${subject.name}` }, 'Delete person');
  ask.addEventListener('click', () => {
    const count = subject.examples.length;
    const yes = h('button', { type: 'button', class: 'danger' }, `Yes, delete ${subject.name}${count ? ` and ${count} photo${count === 1 ? '' : 's'}` : ''}`);
    const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await del(`/v1/gallery/subjects/${enc(subject.id)}`);
        announce(`Deleted ${subject.name}`);
        await load();
        nameInput.focus();
      } catch (error) {
        notes.set(subject.id, { text: words(error), error: true });
        await load();
      }
    });
    no.addEventListener('click', () => {
      box.replaceChildren(ask);
      ask.focus();
    });
    box.replaceChildren(yes, no);
    yes.focus();
  });
  box.append(ask);
  return box;
}

/**
 * @param {Subject} subject
 * @param {File[]} files
 * @param {HTMLElement} status
 */
async function addExamples(subject, files, status) {
  const names = files.map((f) => f.name).join(', ');
  status.className = 'busy';
  status.setAttribute('role', 'status');
  status.textContent = `Finding the face in ${names}…`;
  const card = status.closest('.person');
  card?.setAttribute('aria-busy', 'true');
  try {
    const answer = await postFiles(`/v1/gallery/subjects/${enc(subject.id)}/examples`, files);
    /** @type {Array<{ faceCount?: number, sourceName?: string | null }>} */
    const added = Array.isArray(answer) ? answer : answer?.examples ?? answer?.added ?? [];
    const crowded = added.filter((e) => (e.faceCount ?? 1) > 1);
    const extra = crowded.length > 0 ? ` (${crowded.map((e) => `${e.faceCount} faces in ${e.sourceName ?? 'a photo'}`).join(', ')}: the largest was kept)` : '';
    notes.set(subject.id, { text: `Added ${files.length} photo${files.length === 1 ? '' : 's'}${extra}.`, error: false });
    announce(`Added ${names} to ${subject.name}`);
  } catch (error) {
    notes.set(subject.id, { text: words(error), error: true });
  }
  await load();
}

addForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (name === '') {
    addError.textContent = 'Type a name first.';
    nameInput.setAttribute('aria-invalid', 'true');
    nameInput.focus();
    return;
  }
  const button = /** @type {HTMLButtonElement} */ (addForm.querySelector('button'));
  button.disabled = true;
  try {
    const subject = await postJson('/v1/gallery/subjects', { name });
    addError.textContent = '';
    nameInput.removeAttribute('aria-invalid');
    nameInput.value = '';
    if (subject?.id) notes.set(subject.id, { text: `Now add a photo of ${name}.`, error: false });
    announce(`Added ${name}`);
    await load();
    if (subject?.id) document.getElementById(`photos-${subject.id}`)?.focus();
  } catch (error) {
    addError.textContent = words(error);
    nameInput.setAttribute('aria-invalid', 'true');
    nameInput.focus();
  } finally {
    button.disabled = false;
  }
});

void load();
