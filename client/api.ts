/**
 * The typed HTTP client of our API (fetch-based): the classic `POST /`, `/v1/jobs` (and the job
 * actions: cancel, retry), `/v1/dead-letters`, `/v1/instances`,
 * `/v1/gallery`, `/healthz` and `/readyz`. It speaks HTTP only and imports nothing of the server, so
 * the wire shapes are declared here, as the client reads them. What is built on it: the gallery
 * import (galleryHttp.ts) and the test harness. An answer other than the one asked for throws
 * `ApiError` with the status and the server's message; a connection failure throws it without status.
 */

export interface ApiOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000. */
  url: URL | string;
  /** Sent as `x-api-key` when the server requires one. */
  apiKey?: string;
  /** Per request; default 120 s (an enrolment or a classic request runs the model). */
  timeoutMs?: number;
}

/** The server did not answer what was asked: a 4xx/5xx (`status`, the server's `code` and message), or no answer at all. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    /** The HTTP status; undefined when the request got no answer. */
    readonly status?: number,
    /** The `error.code` of the JSON body, when there was one. */
    readonly code?: string,
    /** The server's own message (the JSON `error.message`, else the text), without the request. */
    readonly reason: string = message,
  ) {
    super(message);
  }

  /** True for the client's own mistakes that name the request's content (not auth, not a missing address). */
  get refused(): boolean {
    return this.status !== undefined && this.status >= 400 && this.status < 500 && ![401, 403, 404].includes(this.status);
  }
}

/** A file to upload. */
export interface FileUpload {
  fileName: string;
  bytes: Uint8Array;
  /** Default application/octet-stream: the server types an upload by its content. */
  type?: string;
}

/** A job as `GET /v1/jobs/:id` answers it. */
export interface Job {
  id: string;
  state: string;
  seq: number;
  fileName: string | null;
  label: string | null;
  faces: number | null;
  attempts: number;
  maxAttempts: number;
  instanceId: string | null;
  error: { code: string; reason: string } | null;
  /** Why it was cancelled (states `cancelling`, `cancelled`). */
  cancelReason?: string | null;
  /** How many times it was retried or redriven. */
  retries?: number;
  result?: unknown;
}

/** What `DELETE /v1/jobs/:id` answers: cancelled at once, or cancelling (the worker holding it stops). */
export interface CancelAnswer {
  outcome: 'cancelled' | 'cancelling';
  job: Job;
}

/** What `POST /v1/dead-letters/redrive` answers. */
export interface RedriveAnswer {
  redriven: string[];
  skipped: Array<{ jobId: string; reason: string }>;
}

/** One page of a list (`next`: the cursor of the next page, absent on the last). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** A worker instance as `GET /v1/instances` lists it. */
export interface Instance {
  id: string;
  state: string;
  providerId: string | null;
  currentJobId: string | null;
  jobsDone: number;
  forced: boolean;
  terminationReason: string | null;
}

export interface Subject {
  id: string;
  name: string;
  examples: Array<{ id: string; sourceName: string | null; sha256: string | null }>;
}

export interface ClassicAnswer {
  status: number;
  /** The plain-text body: `<file name without extension>:<label>` when 200. */
  text: string;
  /** Time to the whole answer. */
  ms: number;
}

export interface Readiness {
  ready: boolean;
  stopping: boolean;
  checks?: Record<string, { ok: boolean; ms: number }>;
}

/** One request to the server, with the key and the timeout; a connection failure as ApiError. */
export type Send = (path: string, init?: RequestInit) => Promise<Response>;

/** The transport every call of the client goes through. */
export function sender(options: ApiOptions): Send {
  return async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (options.apiKey) headers.set('x-api-key', options.apiKey);
    const url = new URL(path, options.url);
    try {
      return await fetch(url, { ...init, headers, signal: AbortSignal.timeout(options.timeoutMs ?? 120_000) });
    } catch (error) {
      // undici puts the reason on `cause`: a system error code (ECONNREFUSED), or only a message ("bad port").
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new ApiError(`${init.method ?? 'GET'} ${url.href} failed: ${reason}`);
    }
  };
}

/** The error the server answered: its JSON `{ error: { code, message } }`, else the text. */
async function errorOf(response: Response, what: string): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let message = text.slice(0, 200) || response.statusText;
  let code: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    if (typeof body.error?.message === 'string') message = body.error.message;
    if (typeof body.error?.code === 'string') code = body.error.code;
  } catch {
    // not JSON: the text itself
  }
  return new ApiError(`${what} answered ${response.status}: ${message}`, response.status, code, message);
}

/** The JSON body of a 2xx answer; ApiError otherwise. */
export async function expectJson<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw await errorOf(response, what);
  return (await response.json()) as T;
}

function form(field: string, files: readonly FileUpload[]): FormData {
  const body = new FormData();
  for (const file of files) body.append(field, new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'application/octet-stream' }), file.fileName);
  return body;
}

const jsonBody = (value: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
const segment = encodeURIComponent;

/** The API of the server at `options.url`. */
export function createApiClient(options: ApiOptions) {
  const send = sender(options);
  return {
    /** The classic course client: `POST /` with `inputFile`, waits for the label. Any status is an answer. */
    async classic(file: FileUpload): Promise<ClassicAnswer> {
      const started = performance.now();
      const response = await send('/', { method: 'POST', body: form('inputFile', [file]) });
      return { status: response.status, text: await response.text(), ms: performance.now() - started };
    },

    /** `POST /v1/jobs`: one job per file, in the order sent. */
    async submitJobs(files: readonly FileUpload[], detector?: 'ssd' | 'tiny'): Promise<Array<{ id: string; state: string; fileName: string }>> {
      const body = form('file', files);
      if (detector) body.append('detector', detector);
      return (await expectJson<{ jobs: Array<{ id: string; state: string; fileName: string }> }>(await send('/v1/jobs', { method: 'POST', body }), 'POST /v1/jobs')).jobs;
    },

    /** One job, with its result once done. */
    async getJob(jobId: string): Promise<Job> {
      return expectJson(await send(`/v1/jobs/${segment(jobId)}`), `GET /v1/jobs/${jobId}`);
    },

    /** One page of jobs, newest first, optionally of some states (`queued,processing`). */
    async listJobs(query: { state?: string; limit?: number; cursor?: string } = {}): Promise<Page<Job>> {
      const params = new URLSearchParams();
      if (query.state) params.set('state', query.state);
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.cursor) params.set('cursor', query.cursor);
      const path = `/v1/jobs${params.size ? `?${params}` : ''}`;
      return expectJson(await send(path), `GET ${path}`);
    },

    /** `DELETE /v1/jobs/:id`: cancels a queued or processing job (a finished one: ApiError 409). */
    async cancelJob(jobId: string): Promise<CancelAnswer> {
      const path = `/v1/jobs/${segment(jobId)}`;
      return expectJson(await send(path, { method: 'DELETE' }), `DELETE ${path}`);
    },

    /** `POST /v1/jobs/:id/retry`: queues a failed or cancelled job again (otherwise ApiError 409). */
    async retryJob(jobId: string): Promise<Job> {
      const path = `/v1/jobs/${segment(jobId)}/retry`;
      return (await expectJson<{ job: Job }>(await send(path, { method: 'POST' }), `POST ${path}`)).job;
    },

    /** One page of the dead-lettered jobs, with their failure reasons. */
    async listDeadLetters(query: { limit?: number; cursor?: string } = {}): Promise<Page<Job>> {
      const params = new URLSearchParams();
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.cursor) params.set('cursor', query.cursor);
      const path = `/v1/dead-letters${params.size ? `?${params}` : ''}`;
      return expectJson(await send(path), `GET ${path}`);
    },

    /** Sends dead letters back to the request queue: up to `max` (server default 50), or the named jobs. */
    async redriveDeadLetters(request: { max?: number; jobIds?: string[] } = {}): Promise<RedriveAnswer> {
      return expectJson(await send('/v1/dead-letters/redrive', jsonBody(request)), 'POST /v1/dead-letters/redrive');
    },

    /** Every instance (all pages). */
    async listInstances(): Promise<Instance[]> {
      const rows: Instance[] = [];
      let cursor: string | undefined;
      do {
        const path = `/v1/instances?limit=500${cursor ? `&cursor=${segment(cursor)}` : ''}`;
        const page = await expectJson<{ items: Instance[]; next?: string }>(await send(path), `GET ${path}`);
        rows.push(...page.items);
        cursor = page.next;
      } while (cursor);
      return rows;
    },

    gallery: {
      async listSubjects(): Promise<Subject[]> {
        return (await expectJson<{ subjects?: Subject[] }>(await send('/v1/gallery/subjects'), 'GET /v1/gallery/subjects')).subjects ?? [];
      },
      /** Creates a subject; resolves to its id. */
      async createSubject(name: string): Promise<string> {
        const body = await expectJson<{ id?: unknown }>(await send('/v1/gallery/subjects', jsonBody({ name })), 'POST /v1/gallery/subjects');
        if (typeof body.id !== 'string') throw new ApiError('POST /v1/gallery/subjects answered without an id');
        return body.id;
      },
      /** Deletes a subject; one that is already gone is fine. */
      async deleteSubject(subjectId: string): Promise<void> {
        const path = `/v1/gallery/subjects/${segment(subjectId)}`;
        const response = await send(path, { method: 'DELETE' });
        if (!response.ok && response.status !== 404) throw await errorOf(response, `DELETE ${path}`);
      },
      /** Enrols photos as examples of a subject (all or nothing). */
      async addExamples(subjectId: string, files: readonly FileUpload[]): Promise<Array<{ id: string; duplicate: boolean; faceCount: number }>> {
        const path = `/v1/gallery/subjects/${segment(subjectId)}/examples`;
        return (await expectJson<{ examples: Array<{ id: string; duplicate: boolean; faceCount: number }> }>(await send(path, { method: 'POST', body: form('file', files) }), `POST ${path}`)).examples;
      },
      /** The whole gallery document (subjects, examples with descriptors). */
      async exportGallery(): Promise<unknown> {
        return expectJson(await send('/v1/gallery'), 'GET /v1/gallery');
      },
      /** Merges a gallery document into the server's; answers what was added. */
      async importGallery(document: unknown): Promise<{ subjectsAdded: number; examplesAdded: number; examplesSkipped: number }> {
        return expectJson(await send('/v1/gallery', jsonBody(document)), 'POST /v1/gallery');
      },
    },

    /** `/readyz`: whether a load balancer should send traffic (a 503 is an answer, not an error). */
    async readiness(): Promise<{ status: number } & Readiness> {
      const response = await send('/readyz');
      return { status: response.status, ...((await response.json()) as Readiness) };
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
