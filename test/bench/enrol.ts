/**
 * Enrolling people through the v1 gallery API before a load run, so that answers have names to
 * check: `POST /v1/gallery/subjects { name }` → `{ id }`, then the photo to
 * `POST /v1/gallery/subjects/:id/examples` (multipart `file`).
 */
import { errorMessage, getJson, multipartBody, postJson, request } from '../../client/load/http.ts';
import type { ImageFile } from '../../client/load/types.ts';

/** One person to enrol from one photo. */
export interface Enrolment {
  name: string;
  image: ImageFile;
}

/** The subjects already in the gallery (`GET /v1/gallery/subjects` → `{ subjects: [{ id, name }] }`), name → id. */
async function existingSubjects(baseUrl: URL): Promise<Map<string, string>> {
  const listed = (await getJson(new URL('/v1/gallery/subjects', baseUrl), { timeoutMs: 30_000 })) as { subjects?: unknown; items?: unknown };
  const rows = Array.isArray(listed.subjects) ? listed.subjects : Array.isArray(listed.items) ? listed.items : [];
  const byName = new Map<string, string>();
  for (const row of rows as Array<{ id?: unknown; name?: unknown }>) if (typeof row.id === 'string' && typeof row.name === 'string') byName.set(row.name, row.id);
  return byName;
}

/**
 * Makes sure each person is a subject (reusing one of the same name) and adds the photo as an
 * example; resolves to name → subject id. Rejects with the server's message.
 */
export async function enrolSubjects(baseUrl: URL, people: readonly Enrolment[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const existing = await existingSubjects(baseUrl);
  for (const person of people) {
    const subject = existing.has(person.name)
      ? { id: existing.get(person.name) }
      : ((await postJson(new URL('/v1/gallery/subjects', baseUrl), { name: person.name }, { timeoutMs: 30_000 })) as { id?: unknown });
    if (typeof subject.id !== 'string') throw new Error(`POST /v1/gallery/subjects for ${person.name} answered without an id`);
    const { body, contentType } = multipartBody([{ field: 'file', fileName: person.image.name, type: person.image.type, bytes: person.image.bytes }]);
    const path = `/v1/gallery/subjects/${encodeURIComponent(subject.id)}/examples`;
    const answer = await request('POST', new URL(path, baseUrl), { bytes: body, contentType }, { timeoutMs: 120_000 });
    if (answer.status < 200 || answer.status >= 300) throw new Error(`POST ${path} (${person.image.name}) answered ${answer.status}: ${errorMessage(answer)}`);
    ids.set(person.name, subject.id);
  }
  return ids;
}
