// @ts-check
/**
 * The JSON API as the pages use it: fetch helpers that turn `{ error: { code, message } }` answers
 * into an ApiError carrying the server's own words, and one live subscription to `GET /v1/stream`.
 */

/** An answer with a 4xx/5xx status; `message` is the server's sentence. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** @type {Record<number, string>} Words for statuses whose body says nothing (a proxy, a crash). */
const statusWords = {
  400: 'The request was not accepted.',
  404: 'Not found.',
  413: 'The file is too large.',
  415: 'The file is not a JPEG, PNG or WebP image.',
  422: 'The image could not be used.',
  429: 'Too many requests; try again in a moment.',
  500: 'The server failed to handle the request.',
  503: 'The service is not available right now.',
};

/**
 * Turns a failed response into an ApiError with the best words available.
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
async function toError(response) {
  let code = `http-${response.status}`;
  let message = statusWords[response.status] ?? `The server answered ${response.status} ${response.statusText}.`;
  try {
    const body = await response.json();
    if (body && typeof body === 'object' && body.error && typeof body.error.message === 'string') {
      message = body.error.message;
      if (typeof body.error.code === 'string') code = body.error.code;
    }
  } catch {
    // not JSON: keep the status words
  }
  return new ApiError(response.status, code, message);
}

/**
 * Sends a request and parses the JSON answer; throws ApiError for a failed status and for a network
 * failure (status 0).
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
export async function request(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, ...init });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') ?? '';
  return type.includes('json') ? response.json() : null;
}

/** @param {string} path */
export const getJson = (path) => request(path);

/**
 * @param {string} path
 * @param {unknown} body
 */
export const postJson = (path, body) =>
  request(path, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * Posts files as multipart, each under `field`.
 * @param {string} path
 * @param {File[]} files
 * @param {string} [field]
 */
export function postFiles(path, files, field = 'file') {
  const form = new FormData();
  for (const file of files) form.append(field, file, file.name);
  return request(path, { method: 'POST', body: form });
}

/** @param {string} path */
export const del = (path) => request(path, { method: 'DELETE' });

/** @param {string} id */
export const enc = (id) => encodeURIComponent(id);

/**
 * A row from the stream: the routes send the client view of the row (`JobView` / `InstanceView`);
 * a `{ row }` envelope is unwrapped too.
 * @param {string} data
 * @returns {any}
 */
function parseRow(data) {
  const value = JSON.parse(data);
  return value && typeof value === 'object' && value.row && typeof value.row === 'object' ? value.row : value;
}

/**
 * @typedef {object} LiveHandlers
 * @property {(row: any) => void} [job] a job row changed
 * @property {(row: any) => void} [instance] an instance row changed
 * @property {(live: boolean) => void} [status] the connection opened (true) or dropped (false)
 * @property {() => void} [reconnected] opened again after a drop: re-read what may have been missed
 */

/**
 * Subscribes to `GET /v1/stream`. EventSource reconnects by itself; `reconnected` tells the page to
 * catch up. Returns a function that closes the stream.
 * @param {LiveHandlers} handlers
 * @returns {() => void}
 */
export function subscribeLive(handlers) {
  const source = new EventSource('/v1/stream');
  let opened = false;
  let dropped = false;
  source.addEventListener('open', () => {
    handlers.status?.(true);
    if (opened && dropped) handlers.reconnected?.();
    opened = true;
    dropped = false;
  });
  source.addEventListener('error', () => {
    dropped = true;
    handlers.status?.(false);
  });
  for (const kind of /** @type {const} */ (['job', 'instance'])) {
    source.addEventListener(kind, (event) => {
      const handler = handlers[kind];
      if (!handler) return;
      try {
        handler(parseRow(/** @type {MessageEvent} */ (event).data));
      } catch (error) {
        console.warn(`facefleet: a ${kind} event could not be read`, error);
      }
    });
  }
  return () => source.close();
}

/**
 * Shows the stream's state in the header's live indicator, if the page has one.
 * @param {boolean} live
 */
export function showLive(live) {
  const el = document.getElementById('live-status');
  if (!el) return;
  el.dataset.live = live ? 'on' : 'off';
  el.textContent = live ? 'Live' : 'Reconnecting…';
}
