/**
 * The two ways of sending an image and learning its label: the course protocol (`POST /`, held
 * open until the job is done, answered `<name>:<label>`) and the v1 API (`POST /v1/jobs`, then the
 * job's final state from the one shared SSE stream `/v1/stream`).
 */
import http from 'node:http';
import { parseClassicAnswer } from './checker.ts';
import { describeError, errorMessage, getJson, multipartBody, request, withRetry, backoffMs } from './http.ts';
import { openEventStream, type EventStream } from './sse.ts';
import type { LoadClock } from './shapes.ts';
import type { Answer, ImageFile, LoadMode } from './types.ts';

/** The answer of one send and how many attempts it took (1 + connection retries). */
export interface SendResult {
  answer: Answer;
  attempts: number;
}

export interface Transport {
  /** Prepares (the v1 transport connects its event stream); rejects when the server cannot be reached. */
  open(): Promise<void>;
  /** Sends one image and resolves with its final answer; never rejects. */
  send(image: ImageFile): Promise<SendResult>;
  /** Releases sockets and the event stream. */
  close(): Promise<void>;
}

export interface TransportOptions {
  baseUrl: URL;
  /** The most requests in flight (sizes the connection pool). */
  concurrency: number;
  /** Connection-error retries per request. */
  retries: number;
  /** How long one request may take, from sending to its final answer. */
  timeoutMs: number;
  clock: LoadClock;
  /** First backoff of the retries (default 200 ms). */
  baseDelayMs?: number;
}

/** The transport for the mode. */
export function createTransport(mode: LoadMode, options: TransportOptions): Transport {
  switch (mode) {
    case 'classic':
      return classicTransport(options);
    case 'v1':
      return v1Transport(options);
    default: {
      const never: never = mode;
      throw new Error(`unknown mode ${String(never)}`);
    }
  }
}

function failure(error: unknown): SendResult {
  const attempts = (error as { attempts?: number } | null)?.attempts ?? 1;
  return { answer: { ok: false, error: describeError(error) }, attempts };
}

function agentFor(options: TransportOptions): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: options.concurrency + 2 });
}

/** The course protocol: multipart `inputFile` to `POST /`, answer `200 text/plain <name>:<label>`. */
export function classicTransport(options: TransportOptions): Transport {
  const agent = agentFor(options);
  const url = new URL('/', options.baseUrl);
  return {
    async open() {},
    async send(image) {
      try {
        const { value, attempts } = await withRetry(
          () => request('POST', url, toBody('inputFile', image), { agent, timeoutMs: options.timeoutMs }),
          { retries: options.retries, clock: options.clock, baseDelayMs: options.baseDelayMs },
        );
        if (value.status !== 200) return { answer: { ok: false, status: value.status, error: `HTTP ${value.status}: ${errorMessage(value)}` }, attempts };
        const parsed = parseClassicAnswer(image.stem, value.body);
        if ('error' in parsed) return { answer: { ok: false, status: value.status, error: parsed.error }, attempts };
        return { answer: { ok: true, status: value.status, label: parsed.label }, attempts };
      } catch (error) {
        return failure(error);
      }
    },
    async close() {
      agent.destroy();
    },
  };
}

function toBody(field: string, image: ImageFile) {
  const { body, contentType } = multipartBody([{ field, fileName: image.name, type: image.type, bytes: image.bytes }]);
  return { bytes: body, contentType };
}

/** The final state of a job as the stream or `GET /v1/jobs/:id` tells it, if it is final. */
export interface FinalJob {
  id: string;
  state: 'done' | 'failed';
  label?: string;
  reason?: string;
}

/**
 * Reads a job row (SSE `{ id, state, context: { label } }` or GET `{ id, state, label }`) and
 * returns it when its state is final (`done`, `failed`, or `cancelled` reported as failed); undefined for anything else.
 */
export function finalJobOf(value: unknown): FinalJob | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const row = value as Record<string, unknown>;
  // `kind` is the stream kind in a change-feed row (`job` | `instance`) and the job kind in a job view
  // (`recognize` | `verify`): only an instance is not a job.
  if (row.kind === 'instance') return undefined;
  if (typeof row.id !== 'string' || (row.state !== 'done' && row.state !== 'failed' && row.state !== 'cancelled')) return undefined;
  const context = (row.context && typeof row.context === 'object' ? row.context : {}) as Record<string, unknown>;
  const pick = (key: string) => (typeof row[key] === 'string' ? (row[key] as string) : typeof context[key] === 'string' ? (context[key] as string) : undefined);
  const label = pick('label');
  // A job someone cancelled meanwhile is an answer too (a failed request for the load run), not a wait until the timeout.
  if (row.state === 'cancelled') return { id: row.id, state: 'failed', reason: `cancelled: ${pick('cancelReason') ?? 'by a client'}` };
  const reason = pick('reason') ?? pick('error') ?? pick('failureReason');
  return { id: row.id, state: row.state, ...(label !== undefined ? { label } : {}), ...(reason !== undefined ? { reason } : {}) };
}

function answerOf(job: FinalJob, status: number): Answer {
  if (job.state === 'done') {
    return job.label === undefined ? { ok: false, status, jobId: job.id, error: 'the job is done but has no label' } : { ok: true, status, label: job.label, jobId: job.id };
  }
  return { ok: false, status, jobId: job.id, error: `the job failed${job.reason ? `: ${job.reason}` : ''}` };
}

/**
 * The v1 API: `POST /v1/jobs` (field `file`) → 202 `{ jobs: [{ id }] }`, then the job's final
 * state from the shared event stream. Finals that arrive before their submit returns are kept, so
 * none is missed; after a reconnection, and when a job's time is up, the pending jobs are read
 * once with `GET /v1/jobs/:id` in case their event went by while disconnected.
 */
export function v1Transport(options: TransportOptions): Transport {
  const agent = agentFor(options);
  const jobsUrl = new URL('/v1/jobs', options.baseUrl);
  const finals = new Map<string, FinalJob>();
  const waiting = new Map<string, (job: FinalJob) => void>();
  let stream: EventStream | undefined;

  const settle = (job: FinalJob) => {
    const resolve = waiting.get(job.id);
    if (resolve) {
      waiting.delete(job.id);
      resolve(job);
    } else {
      // Finals of jobs not (yet) ours: kept for a submit still waiting for its 202; other
      // clients' jobs also pass by, so only the most recent ones are kept.
      finals.set(job.id, job);
      if (finals.size > 10_000) finals.delete(finals.keys().next().value!);
    }
  };

  const lookUp = async (id: string): Promise<FinalJob | undefined> => {
    try {
      return finalJobOf(await getJson(new URL(`/v1/jobs/${encodeURIComponent(id)}`, options.baseUrl), { agent, timeoutMs: 10_000 }));
    } catch {
      return undefined;
    }
  };

  return {
    async open() {
      let lastError: Error | undefined;
      stream = openEventStream(new URL('/v1/stream', options.baseUrl), {
        onEvent(event) {
          if (event.event !== 'job' && event.event !== 'message') return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(event.data);
          } catch {
            return;
          }
          const job = finalJobOf(parsed);
          if (job) settle(job);
        },
        onOpen({ reconnect }) {
          if (!reconnect) return;
          for (const id of [...waiting.keys()]) {
            void lookUp(id).then((job) => job && settle(job));
          }
        },
        onError(error) {
          lastError = error;
        },
        reconnectDelayMs: options.baseDelayMs ?? 200,
      });
      // Give the stream as long as the retries of a request would take.
      let budget = 2000;
      for (let r = 1; r <= options.retries; r += 1) budget += backoffMs(r, options.baseDelayMs);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), budget)));
      const outcome = await Promise.race([stream.ready.then(() => 'ready' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        stream.close();
        throw new Error(`cannot open the event stream ${new URL('/v1/stream', options.baseUrl).href}: ${lastError ? describeError(lastError) : 'no answer'}`);
      }
    },
    async send(image) {
      let attempts = 1;
      let status = 0;
      let id: string;
      try {
        const submitted = await withRetry(() => request('POST', jobsUrl, toBody('file', image), { agent, timeoutMs: options.timeoutMs }), {
          retries: options.retries,
          clock: options.clock,
          baseDelayMs: options.baseDelayMs,
        });
        attempts = submitted.attempts;
        status = submitted.value.status;
        if (status < 200 || status >= 300) return { answer: { ok: false, status, error: `HTTP ${status}: ${errorMessage(submitted.value)}` }, attempts };
        const body = JSON.parse(submitted.value.body) as { jobs?: Array<{ id?: unknown }> };
        const first = body.jobs?.[0]?.id;
        if (typeof first !== 'string') return { answer: { ok: false, status, error: 'the answer to POST /v1/jobs has no jobs[0].id' }, attempts };
        id = first;
      } catch (error) {
        return failure(error);
      }
      const early = finals.get(id);
      if (early) {
        finals.delete(id);
        return { answer: answerOf(early, status), attempts };
      }
      const job = await new Promise<FinalJob | undefined>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          void lookUp(id).then(resolve);
        }, options.timeoutMs);
        waiting.set(id, (job) => {
          clearTimeout(timer);
          resolve(job);
        });
      });
      if (!job) return { answer: { ok: false, status, jobId: id, error: `job ${id} was not final within ${options.timeoutMs} ms` }, attempts };
      return { answer: answerOf(job, status), attempts };
    },
    async close() {
      stream?.close();
      agent.destroy();
      finals.clear();
    },
  };
}
