/**
 * Every HTTP operation of facefleet as a registry entry (see registry.ts). To add a route: write
 * its entry here (method, path, summary, schemas per status) and, in the route, validate with the
 * entry (`parseQuery(routes.listJobs, ctx)`). The contract test (test/unit/web/openapi.test.ts) then
 * calls it and checks the live bodies against the document.
 */
import { z } from 'zod';
import { route, type HeaderSpec, type ResponseSpec, type RouteSpec } from './registry.ts';
import { redriveRequestSchema } from '../../services/api.ts';
import { enrolFromJobRequestSchema } from '../../services/gallery/enrolFromJob.ts';
import {
  addedExamplesSchema,
  cancelOutcomeSchema,
  enrolledFromJobSchema,
  fleetHistorySchema,
  deadLetterPageSchema,
  redriveOutcomeSchema,
  retriedJobSchema,
  countsSchema,
  createSubjectBodySchema,
  errorSchema,
  galleryDocumentSchema,
  healthSchema,
  historySchema,
  instanceListSchema,
  instanceViewSchema,
  jobDetailSchema,
  jobListSchema,
  mergeResultSchema,
  queueDepthsSchema,
  readinessSchema,
  sessionStatusSchema,
  subjectListSchema,
  subjectViewSchema,
  submittedJobsSchema,
} from './schemas.ts';

const errorText: Record<number, string> = {
  400: 'Bad input: a missing or wrong field, parameter or value',
  401: 'The API key is missing, wrong or expired (only when the server has one)',
  404: 'No such resource',
  409: 'The change is not allowed in the current state, or conflicted with another',
  413: 'The body or an image is too large',
  415: 'Not multipart/form-data, not JSON, or a file that is not a JPEG, PNG or WebP image',
  422: 'The job failed, or an example photo has no face',
  429: 'Too many wrong API keys from this client; see Retry-After',
  500: 'Our fault; the message says nothing more',
  503: 'Unavailable: storage full or failing (storage-unavailable), not ready, or too many event streams; see Retry-After',
  504: 'The wait ran out; the job goes on (X-Job-Id names it)',
};

const jobIdHeader: HeaderSpec = { description: 'The job this answer is about', schema: z.string() };
const retryAfter: HeaderSpec = { description: 'Seconds to wait before trying again', schema: z.string() };
const location: HeaderSpec = { description: 'Where the created resource is', schema: z.string() };
const idempotencyKey: Record<string, HeaderSpec> = {
  'Idempotency-Key': { description: 'The same key submits once: a retry answers the first request’s job(s) and writes nothing. 1–200 visible ASCII characters.', schema: z.string().regex(/^[\x21-\x7e]{1,200}$/) },
};

/** The error responses of an operation (401 and 429 added for the ones behind the key, 500 always). */
function errors(auth: boolean, ...statuses: number[]): Record<number, ResponseSpec> {
  const all = new Set([...statuses, ...(auth ? [401, 429] : []), 500]);
  const out: Record<number, ResponseSpec> = {};
  for (const status of [...all].sort((a, b) => a - b)) {
    out[status] = { description: errorText[status] ?? 'Error', schema: errorSchema, ...(status === 429 || status === 503 ? { headers: { 'Retry-After': retryAfter } } : {}) };
  }
  return out;
}

const idParam = z.object({ id: z.string().describe('A job, instance or subject id') });
/** A whole number in [min, max] written in plain decimal digits (not 0x10, 1e2 or " 5 "). */
const wholeIn = (name: string, min: number, max: number) => {
  const error = `${name} must be an integer from ${min} to ${max}.`;
  return z.string().regex(/^[0-9]{1,9}$/, { error }).refine((v) => Number(v) >= min && Number(v) <= max, { error });
};
const listQuery = z.object({
  state: z.string().optional().describe('Only these states, comma-separated'),
  limit: wholeIn('limit', 1, 500).optional().describe('Page size (1–500)'),
  cursor: z.string().optional().describe('The `next` of the previous page'),
});
const historyQuery = z.object({
  from: wholeIn('from', 1, 999_999_999).optional().describe('First seq (default 1)'),
  limit: wholeIn('limit', 1, 5000).optional().describe('Most steps (1–5000, default 1000)'),
});
const image = (description: string): ResponseSpec => ({ description, contentType: 'image/*', schema: z.string().meta({ format: 'binary' }) });
const multipart = (description: string, shape: z.ZodRawShape) => ({ contentType: 'multipart/form-data', description, schema: z.object(shape) });
const file = z.string().meta({ format: 'binary' });
const detector = z.enum(['ssd', 'tiny']).optional().describe('Face detector (default: the server’s)');

export const routes = {
  classic: route({
    method: 'post', path: '/', operationId: 'classicRecognize', tag: 'classic', auth: true,
    summary: 'The course client: one photo, held until its job is done, answered `<file name>:<label>`',
    headers: idempotencyKey,
    body: multipart('The photo in `inputFile` (older clients: `myfile`)', { inputFile: file }),
    responses: {
      200: { description: '`<file name without extension>:<label>`', contentType: 'text/plain', schema: z.string(), headers: { 'X-Job-Id': jobIdHeader } },
      ...errors(true, 400, 413, 415, 503),
      422: { description: errorText[422] ?? '', schema: errorSchema, headers: { 'X-Job-Id': jobIdHeader } },
      504: { description: errorText[504] ?? '', schema: errorSchema, headers: { 'X-Job-Id': jobIdHeader } },
    },
  }),
  submitJobs: route({
    method: 'post', path: '/v1/jobs', operationId: 'submitJobs', tag: 'jobs', auth: true,
    summary: 'Submit one or many photos as recognition jobs',
    headers: idempotencyKey,
    body: multipart('Photos in `file` (repeat the field for several), optional `detector`', { file: z.union([file, z.array(file)]), detector }),
    responses: { 202: { description: 'Queued', schema: submittedJobsSchema, headers: { Location: location } }, ...errors(true, 400, 413, 415, 503) },
  }),
  listJobs: route({
    method: 'get', path: '/v1/jobs', operationId: 'listJobs', tag: 'jobs', auth: true,
    summary: 'Jobs, newest first, one page; searched by file name, label and submission time when those are given (at most 2,000 jobs read per request)',
    query: listQuery.extend({
      file: z.string().optional().describe('Part of the file name, any case'),
      label: z.string().optional().describe('The job’s label, any case'),
      from: z.string().optional().describe('Submitted at or after (ISO 8601)'),
      to: z.string().optional().describe('Submitted before (ISO 8601)'),
    }),
    responses: { 200: { description: 'A page', schema: jobListSchema }, ...errors(true, 400) },
  }),
  getJob: route({
    method: 'get', path: '/v1/jobs/:id', operationId: 'getJob', tag: 'jobs', auth: true, summary: 'One job, with its result once done',
    params: idParam, responses: { 200: { description: 'The job', schema: jobDetailSchema }, ...errors(true, 404) },
  }),
  jobHistory: route({
    method: 'get', path: '/v1/jobs/:id/history', operationId: 'getJobHistory', tag: 'jobs', auth: true, summary: 'The job’s events and the state after each (a replay)',
    params: idParam, query: historyQuery, responses: { 200: { description: 'One page of steps', schema: historySchema }, ...errors(true, 400, 404) },
  }),
  cancelJob: route({
    method: 'delete', path: '/v1/jobs/:id', operationId: 'cancelJob', tag: 'jobs', auth: true,
    summary: 'Cancel a job: a queued one at once (never processed), a processing one cooperatively (its worker records the cancellation instead of a result)',
    params: idParam,
    responses: {
      200: { description: 'Cancelled', schema: cancelOutcomeSchema },
      202: { description: 'Cancel requested: a worker holds it', schema: cancelOutcomeSchema },
      ...errors(true, 404),
      409: { description: 'The job is finished (done or failed): job-finished', schema: errorSchema, headers: { 'X-Job-Id': jobIdHeader } },
    },
  }),
  retryJob: route({
    method: 'post', path: '/v1/jobs/:id/retry', operationId: 'retryJob', tag: 'jobs', auth: true,
    summary: 'Run a failed or cancelled job again as a new attempt series (its history kept)',
    params: idParam,
    responses: {
      202: { description: 'Queued again', schema: retriedJobSchema, headers: { Location: location } },
      ...errors(true, 404),
      409: { description: 'Not failed or cancelled: not-retryable', schema: errorSchema, headers: { 'X-Job-Id': jobIdHeader } },
    },
  }),
  listDeadLetters: route({
    method: 'get', path: '/v1/dead-letters', operationId: 'listDeadLetters', tag: 'jobs', auth: true,
    summary: 'Jobs failed because their message was dead-lettered, with the reasons',
    query: z.object({ limit: z.string().optional().describe('Page size (1–500, default 50)'), cursor: z.string().optional() }),
    responses: { 200: { description: 'A page', schema: deadLetterPageSchema }, ...errors(true, 400) },
  }),
  redriveDeadLetters: route({
    method: 'post', path: '/v1/dead-letters/redrive', operationId: 'redriveDeadLetters', tag: 'jobs', auth: true,
    summary: 'Send dead-lettered jobs back to the request queue (failed → queued, the reason recorded): up to `max`, or these `jobIds`; no body: up to 50',
    body: { contentType: 'application/json', description: '`{max}` or `{jobIds}`', schema: redriveRequestSchema },
    responses: { 200: { description: 'What was redriven and what was skipped', schema: redriveOutcomeSchema }, ...errors(true, 400, 415) },
  }),
  jobImage: route({
    method: 'get', path: '/v1/jobs/:id/image', operationId: 'getJobImage', tag: 'jobs', auth: true, summary: 'The uploaded photo',
    params: idParam, responses: { 200: image('The photo as uploaded'), ...errors(true, 404) },
  }),
  verify: route({
    method: 'post', path: '/v1/verify', operationId: 'verify', tag: 'jobs', auth: true,
    summary: 'Are two faces one person? Photo `a` against photo `b` or a gallery subject, as a job',
    description: 'The largest face of each photo (or the subject’s examples, by mean distance) are compared at the match threshold. The job’s label is same, different or no-face.',
    query: z.object({
      wait: z
        .string()
        .regex(/^\d{1,6}(\.\d{1,3})?$/, { error: 'wait must be a number of seconds, such as 30 or 2.5.' })
        .transform(Number)
        .refine((n) => n > 0, { error: 'wait must be above 0 seconds.' })
        .optional()
        .describe('Seconds to wait for the result (at most the classic timeout, 120 s by default)'),
    }),
    body: multipart('`a` and either `b` or `subjectId`; optional `detector`', { a: file, b: file.optional(), subjectId: z.string().optional(), detector }),
    responses: {
      200: { description: 'Finished (with ?wait=): done with its result, or failed', schema: jobDetailSchema, headers: { Location: location, 'X-Job-Id': jobIdHeader } },
      202: { description: 'Queued or processing', schema: jobDetailSchema, headers: { Location: location, 'X-Job-Id': jobIdHeader } },
      ...errors(true, 400, 404, 413, 415, 503),
    },
  }),
  fleetHistory: route({
    method: 'get', path: '/v1/fleet/history', operationId: 'getFleetHistory', tag: 'instances', auth: true,
    summary: 'The fleet over a time range from its stored events: each instance’s state periods and the backlog (the inspector’s chart)',
    query: z.object({ range: z.enum(['5m', '1h', '24h']).optional().describe('How far back (default 5m)') }),
    responses: { 200: { description: 'The history', schema: fleetHistorySchema }, ...errors(true, 400) },
  }),
  listInstances: route({
    method: 'get', path: '/v1/instances', operationId: 'listInstances', tag: 'instances', auth: true, summary: 'Worker instances, one page',
    query: listQuery, responses: { 200: { description: 'A page', schema: instanceListSchema }, ...errors(true, 400) },
  }),
  getInstance: route({
    method: 'get', path: '/v1/instances/:id', operationId: 'getInstance', tag: 'instances', auth: true, summary: 'One instance',
    params: idParam, responses: { 200: { description: 'The instance', schema: instanceViewSchema }, ...errors(true, 404) },
  }),
  instanceHistory: route({
    method: 'get', path: '/v1/instances/:id/history', operationId: 'getInstanceHistory', tag: 'instances', auth: true, summary: 'The instance’s events and states',
    params: idParam, query: historyQuery, responses: { 200: { description: 'One page of steps', schema: historySchema }, ...errors(true, 400, 404) },
  }),
  listSubjects: route({
    method: 'get', path: '/v1/gallery/subjects', operationId: 'listSubjects', tag: 'gallery', auth: true, summary: 'The people the fleet can name',
    responses: { 200: { description: 'Subjects and their examples', schema: subjectListSchema }, ...errors(true) },
  }),
  createSubject: route({
    method: 'post', path: '/v1/gallery/subjects', operationId: 'createSubject', tag: 'gallery', auth: true, summary: 'A new subject',
    body: { contentType: 'application/json', schema: createSubjectBodySchema },
    responses: { 201: { description: 'Created', schema: subjectViewSchema, headers: { Location: location } }, ...errors(true, 400, 413, 415) },
  }),
  deleteSubject: route({
    method: 'delete', path: '/v1/gallery/subjects/:id', operationId: 'deleteSubject', tag: 'gallery', auth: true, summary: 'Remove a subject and its examples',
    params: idParam, responses: { 204: { description: 'Removed' }, ...errors(true, 404) },
  }),
  enrolFromJob: route({
    method: 'post', path: '/v1/gallery/subjects/:id/examples/from-job', operationId: 'enrolFaceFromJob', tag: 'gallery', auth: true,
    summary: 'Enrol one face of a finished job (its stored descriptor and box, not the largest face; no model run)',
    params: idParam,
    body: { contentType: 'application/json', description: '`{ jobId, faceIndex }`', schema: enrolFromJobRequestSchema },
    responses: {
      201: { description: 'Enrolled', schema: enrolledFromJobSchema },
      200: { description: 'The subject already had this face (nothing added)', schema: enrolledFromJobSchema },
      ...errors(true, 400, 404, 415, 503),
    },
  }),
  addExamples: route({
    method: 'post', path: '/v1/gallery/subjects/:id/examples', operationId: 'addExamples', tag: 'gallery', auth: true, summary: 'Enrol photos: the largest face of each',
    params: idParam, body: multipart('Photos in `file`', { file: z.union([file, z.array(file)]) }),
    responses: { 201: { description: 'Enrolled', schema: addedExamplesSchema }, ...errors(true, 400, 404, 413, 415, 422, 503) },
  }),
  deleteExample: route({
    method: 'delete', path: '/v1/gallery/subjects/:id/examples/:exampleId', operationId: 'deleteExample', tag: 'gallery', auth: true, summary: 'Remove one example',
    params: z.object({ id: z.string(), exampleId: z.string() }), responses: { 204: { description: 'Removed' }, ...errors(true, 404) },
  }),
  exampleImage: route({
    method: 'get', path: '/v1/gallery/subjects/:id/examples/:exampleId/image', operationId: 'getExampleImage', tag: 'gallery', auth: true, summary: 'The crop of an example face',
    params: z.object({ id: z.string(), exampleId: z.string() }), responses: { 200: image('The face crop'), ...errors(true, 404) },
  }),
  exportGallery: route({
    method: 'get', path: '/v1/gallery', operationId: 'exportGallery', tag: 'gallery', auth: true, summary: 'The whole gallery document, descriptors included',
    responses: { 200: { description: 'The document', schema: galleryDocumentSchema }, ...errors(true) },
  }),
  importGallery: route({
    method: 'post', path: '/v1/gallery', operationId: 'importGallery', tag: 'gallery', auth: true, summary: 'Merge a gallery document',
    body: { contentType: 'application/json', schema: galleryDocumentSchema },
    responses: { 200: { description: 'What was added', schema: mergeResultSchema }, ...errors(true, 400, 413, 415) },
  }),
  queues: route({
    method: 'get', path: '/v1/queues', operationId: 'getQueueDepths', tag: 'system', auth: true, summary: 'Queue depths',
    responses: { 200: { description: 'Visible and in-flight messages per queue', schema: queueDepthsSchema }, ...errors(true) },
  }),
  counts: route({
    method: 'get', path: '/v1/counts', operationId: 'getCounts', tag: 'system', auth: true, summary: 'Jobs and instances by state',
    responses: { 200: { description: 'Counts', schema: countsSchema }, ...errors(true) },
  }),
  stream: route({
    method: 'get', path: '/v1/stream', operationId: 'stream', tag: 'system', auth: true,
    summary: 'Server-Sent Events: `event: job` / `event: instance` with the row (Job / Instance) of every change',
    responses: {
      200: { description: 'An event stream that stays open', contentType: 'text/event-stream', schema: z.string() },
      503: { description: errorText[503] ?? '', schema: errorSchema, headers: { 'Retry-After': retryAfter } },
      ...errors(true),
    },
  }),
  session: route({
    method: 'get', path: '/v1/session', operationId: 'getSession', tag: 'auth', auth: false, summary: 'Whether a key is needed and whether this client has one',
    responses: { 200: { description: 'Session status', schema: sessionStatusSchema }, ...errors(false) },
  }),
  openSession: route({
    method: 'post', path: '/v1/session', operationId: 'openSession', tag: 'auth', auth: true, summary: 'Trade the API key (in a header) for the session cookie',
    responses: { 204: { description: 'Set-Cookie: facefleet_session', headers: { 'Set-Cookie': { description: 'facefleet_session, HttpOnly, SameSite=Strict', schema: z.string() } } }, ...errors(true) },
  }),
  closeSession: route({
    method: 'delete', path: '/v1/session', operationId: 'closeSession', tag: 'auth', auth: false, summary: 'Clear the session cookie',
    responses: { 204: { description: 'Cleared' }, ...errors(false) },
  }),
  healthz: route({
    method: 'get', path: '/healthz', operationId: 'health', tag: 'system', auth: false, summary: 'Whether the store, the request queue and the blobs answer',
    responses: { 200: { description: 'Healthy', schema: healthSchema }, 503: { description: 'A check failed', schema: healthSchema }, ...errors(false) },
  }),
  readyz: route({
    method: 'get', path: '/readyz', operationId: 'ready', tag: 'system', auth: false, summary: 'Whether a load balancer should send traffic here',
    responses: { 200: { description: 'Ready', schema: readinessSchema }, 503: { description: 'Not ready (stopping or unhealthy)', schema: readinessSchema }, ...errors(false) },
  }),
  metrics: route({
    method: 'get', path: '/metrics', operationId: 'metrics', tag: 'system', auth: true, summary: 'Prometheus metrics (404 when the server does not serve them)',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain', schema: z.string() }, ...errors(true, 404) },
  }),
  openapi: route({
    method: 'get', path: '/openapi.json', operationId: 'openapi', tag: 'system', auth: false, summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) }, ...errors(false) },
  }),
} satisfies Record<string, RouteSpec>;

/** Every operation, in document order. */
export const allRoutes: readonly RouteSpec[] = Object.values(routes);
