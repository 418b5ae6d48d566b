/**
 * The gallery API of a running facefleet server, over HTTP (`/v1/gallery/...`), as a
 * `GalleryTarget` for the bulk import, plus the whole-gallery export and import. A 4xx answer to a
 * photo is that photo's refusal (its message is the reason); anything else is the server failing.
 */
import { PhotoRefused, type GalleryTarget, type TargetSubject } from './galleryImport.ts';

export interface ServerOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000. */
  url: URL;
  /** Sent as `x-api-key` when the server requires one. */
  apiKey?: string;
  /** Per request; default 120 s (an enrolment runs the model). */
  timeoutMs?: number;
}

/** A server that answered with something other than what was asked (5xx, 401, a broken body…). */
export class ServerError extends Error {
  override name = 'ServerError';
}

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

function client(options: ServerOptions): Fetch {
  return async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (options.apiKey) headers.set('x-api-key', options.apiKey);
    const url = new URL(path, options.url);
    try {
      return await fetch(url, { ...init, headers, signal: AbortSignal.timeout(options.timeoutMs ?? 120_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new ServerError(`${init.method ?? 'GET'} ${url.href} failed: ${reason}`);
    }
  };
}

async function messageOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 200) || response.statusText;
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  if (!response.ok) throw new ServerError(`${what} answered ${response.status}: ${await messageOf(response)}`);
  return response.json();
}

/** The running server at `options.url` as an import target. */
export function httpGalleryTarget(options: ServerOptions): GalleryTarget {
  const call = client(options);
  return {
    async listSubjects(): Promise<TargetSubject[]> {
      const body = (await expectOk(await call('/v1/gallery/subjects'), 'GET /v1/gallery/subjects')) as { subjects?: Array<{ id: string; name: string; examples?: Array<{ sha256?: string | null }> }> };
      return (body.subjects ?? []).map((s) => ({ id: s.id, name: s.name, photos: new Set((s.examples ?? []).flatMap((e) => (e.sha256 ? [e.sha256] : []))) }));
    },
    async createSubject(name) {
      const response = await call('/v1/gallery/subjects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      if (response.status === 400 || response.status === 422) throw new PhotoRefused(`the name ${JSON.stringify(name)} was refused: ${await messageOf(response)}`);
      const body = (await expectOk(response, 'POST /v1/gallery/subjects')) as { id?: unknown };
      if (typeof body.id !== 'string') throw new ServerError('POST /v1/gallery/subjects answered without an id');
      return body.id;
    },
    async deleteSubject(subjectId) {
      const path = `/v1/gallery/subjects/${encodeURIComponent(subjectId)}`;
      const response = await call(path, { method: 'DELETE' });
      if (!response.ok && response.status !== 404) throw new ServerError(`DELETE ${path} answered ${response.status}: ${await messageOf(response)}`);
    },
    async addPhoto(subjectId, photo) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(photo.bytes)]), photo.fileName);
      const path = `/v1/gallery/subjects/${encodeURIComponent(subjectId)}/examples`;
      const response = await call(path, { method: 'POST', body: form });
      if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 403 && response.status !== 404) {
        throw new PhotoRefused(await messageOf(response));
      }
      await expectOk(response, `POST ${path}`);
    },
  };
}

/** The whole gallery document (subjects, examples with descriptors) of the server. */
export async function exportGalleryOverHttp(options: ServerOptions): Promise<unknown> {
  return expectOk(await client(options)('/v1/gallery'), 'GET /v1/gallery');
}

/** Merges a gallery document into the server's; answers what was added. */
export async function importGalleryOverHttp(options: ServerOptions, gallery: unknown): Promise<{ subjectsAdded: number; examplesAdded: number; examplesSkipped: number }> {
  const response = await client(options)('/v1/gallery', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(gallery) });
  if (response.status === 400 || response.status === 413) throw new PhotoRefused(await messageOf(response));
  return (await expectOk(response, 'POST /v1/gallery')) as { subjectsAdded: number; examplesAdded: number; examplesSkipped: number };
}
