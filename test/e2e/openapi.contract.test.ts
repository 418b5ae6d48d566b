/**
 * The OpenAPI contract: `GET /openapi.json` of a real running facefleet (startFacefleet in this
 * process, real workers, an API key) is a structurally valid OpenAPI 3.1 document whose every schema
 * is valid JSON Schema 2020-12; then every operation it lists is called for real — a success and an
 * error case — and each live answer must have a status the document lists for that operation, its
 * content type, and a body that validates against the document's schema for that status (ajv's
 * 2020-12 validator). And the other way round: every route the app's routers serve is in the document.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type Router from '@koa/router';
import { createAuth } from '../../web/auth.ts';
import { classicRouter } from '../../web/routes/classic.ts';
import { deadLettersRouter } from '../../web/routes/deadLetters.ts';
import { fleetRouter } from '../../web/routes/fleet.ts';
import { galleryFromJobRouter } from '../../web/routes/galleryFromJob.ts';
import { galleryDocumentRouter, galleryRouter } from '../../web/routes/gallery.ts';
import { instancesRouter } from '../../web/routes/instances.ts';
import { jobsRouter } from '../../web/routes/jobs.ts';
import { openApiRouter } from '../../web/routes/openapi.ts';
import { streamRouter } from '../../web/routes/stream.ts';
import { systemRouter } from '../../web/routes/system.ts';
import { verifyRouter } from '../../web/routes/verify.ts';
import type { WebConfig } from '../../web/config.ts';
import { demoPhoto, eventually } from '../support/facefleetProcess.ts';
import { startInProcess, type InProcessFacefleet } from '../support/facefleetInProcess.ts';

// ajv 8 (JSON Schema 2020-12) as installed for ajv-formats; the top-level ajv is eslint's v6.
const requireFromAjvFormats = createRequire(createRequire(import.meta.url).resolve('ajv-formats'));
type ValidateFn = ((data: unknown) => boolean) & { errors?: unknown[] | null };
interface AjvLike {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ValidateFn;
  validateSchema(schema: object): boolean;
  errors?: unknown;
}
const Ajv2020 = requireFromAjvFormats('ajv/dist/2020') as new (options: object) => AjvLike;

type Json = Record<string, unknown>;
const KEY = 'contract-test-key-0123456789';
const DOC_ID = 'https://facefleet.invalid/openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** `/v1/jobs/{id}` → a regex for concrete paths. */
const templateRegex = (template: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

describe('given a running facefleet with an API key', () => {
  let ff: InProcessFacefleet;
  let doc: Json;
  let ajv: AjvLike;
  /** operationId → statuses seen live. */
  const seen = new Map<string, Set<number>>();
  const templates: Array<{ template: string; regex: RegExp }> = [];

  before(async () => {
    ff = await startInProcess({ env: { FACEFLEET_CAP: '2', FACEFLEET_API_KEY: KEY } });
    const response = await fetch(`${ff.url}/openapi.json`);
    assert.equal(response.status, 200);
    doc = (await response.json()) as Json;
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ ...doc, $id: DOC_ID }, DOC_ID);
    for (const template of Object.keys(doc.paths as Json)) templates.push({ template, regex: templateRegex(template) });
    // Most specific first: a literal segment beats a parameter.
    templates.sort((a, b) => (b.template.match(/\{/g)?.length ?? 0) < (a.template.match(/\{/g)?.length ?? 0) ? 1 : -1);
  });
  after(async () => {
    await ff?.stop();
    ff?.cleanup();
  });

  /** Calls the server and checks the answer against the document; resolves to the response and its body. */
  async function call(method: string, path: string, init: { key?: boolean; body?: BodyInit; headers?: Record<string, string>; stream?: boolean } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key !== false) headers['x-api-key'] = KEY;
    const aborter = new AbortController();
    const response = await fetch(`${ff.url}${path}`, { method, headers, ...(init.body ? { body: init.body } : {}), signal: aborter.signal });
    const pathOnly = path.split('?')[0] ?? path;
    const match = templates.find((t) => t.regex.test(pathOnly));
    assert.ok(match, `${method} ${pathOnly} is in the document`);
    const operation = (doc.paths as Record<string, Record<string, Json>>)[match.template]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${match.template} is documented`);
    const status = response.status;
    const responses = operation.responses as Record<string, Json>;
    const documented = responses[String(status)];
    assert.ok(documented, `${method} ${path} answered ${status}, which the document lists for it (${Object.keys(responses).join(', ')})`);
    const operationId = String(operation.operationId);
    if (!seen.has(operationId)) seen.set(operationId, new Set());
    seen.get(operationId)?.add(status);
    const content = documented.content as Record<string, { schema: Json }> | undefined;
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!content) {
      assert.equal((await response.arrayBuffer()).byteLength, 0, `${method} ${path} ${status} has no body`);
      return { response, body: undefined as unknown };
    }
    const [declared] = Object.keys(content);
    assert.ok(declared);
    const typeMatches = declared.endsWith('/*') ? contentType.startsWith(declared.slice(0, -1)) : contentType === declared;
    assert.ok(typeMatches, `${method} ${path} ${status}: content type ${contentType}, documented ${declared}`);
    let body: unknown;
    if (init.stream) {
      aborter.abort();
      return { response, body };
    }
    if (declared === 'application/json') body = await response.json();
    else if (declared.startsWith('text/')) body = await response.text();
    else {
      await response.arrayBuffer();
      return { response, body };
    }
    const ref = `${DOC_ID}#${pointer('', 'paths', match.template, method.toLowerCase(), 'responses', String(status), 'content', declared, 'schema')}`;
    const validate = ajv.compile({ $ref: ref });
    assert.ok(validate(body), `${method} ${path} ${status}: the body matches the document: ${JSON.stringify(validate.errors)?.slice(0, 1500)}\n${JSON.stringify(body)?.slice(0, 500)}`);
    return { response, body };
  }

  const photo = (n: number, field = 'file', more: Record<string, string> = {}) => {
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(readFileSync(demoPhoto(n)))], { type: 'image/jpeg' }), `sample${n}.jpg`);
    for (const [k, v] of Object.entries(more)) form.append(k, v);
    return form;
  };

  it('then /openapi.json is an OpenAPI 3.1 document: info, paths, operations, parameters, responses, refs and security all well formed', () => {
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    const info = doc.info as Json;
    assert.equal(typeof info.title, 'string');
    assert.equal(typeof info.version, 'string');
    const components = doc.components as { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
    for (const [name, scheme] of Object.entries(components.securitySchemes)) {
      assert.ok(['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes(String(scheme.type)), `${name}: type`);
      if (scheme.type === 'apiKey') assert.ok(['query', 'header', 'cookie'].includes(String(scheme.in)) && typeof scheme.name === 'string', `${name}: in and name`);
      if (scheme.type === 'http') assert.equal(typeof scheme.scheme, 'string');
    }
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      assert.match(path, /^\//);
      for (const [method, op] of Object.entries(item)) {
        assert.ok(METHODS.includes(method), `${path}: ${method} is an HTTP method`);
        assert.ok(typeof op.operationId === 'string' && !operationIds.has(op.operationId), `${method} ${path}: a unique operationId`);
        operationIds.add(op.operationId as string);
        const parameters = (op.parameters ?? []) as Json[];
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        for (const name of inPath) assert.ok(parameters.some((p) => p.in === 'path' && p.name === name && p.required === true), `${method} ${path}: path parameter ${name} declared and required`);
        for (const p of parameters) {
          assert.ok(['query', 'header', 'path', 'cookie'].includes(String(p.in)), `${method} ${path}: parameter ${String(p.name)} in`);
          assert.ok(p.schema && typeof p.schema === 'object', `${method} ${path}: parameter ${String(p.name)} has a schema`);
          if (p.in === 'path') assert.ok(inPath.includes(String(p.name)), `${method} ${path}: path parameter ${String(p.name)} is in the path`);
        }
        const responses = op.responses as Record<string, Json>;
        assert.ok(Object.keys(responses).length > 0, `${method} ${path}: responses`);
        for (const [status, response] of Object.entries(responses)) {
          assert.match(status, /^([1-5][0-9X]{2}|default)$/, `${method} ${path}: status ${status}`);
          assert.equal(typeof response.description, 'string', `${method} ${path} ${status}: description`);
        }
        for (const requirement of (op.security ?? []) as Json[]) for (const name of Object.keys(requirement)) assert.ok(components.securitySchemes[name], `${method} ${path}: security scheme ${name} exists`);
      }
    }
    // Every $ref points at something in the document; every schema is valid JSON Schema 2020-12.
    const refs: string[] = [];
    const schemas: Json[] = [];
    const walk = (value: unknown, key?: string): void => {
      if (Array.isArray(value)) return value.forEach((v) => walk(v));
      if (typeof value !== 'object' || value === null) return;
      if (key === 'schema') schemas.push(value as Json);
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string') refs.push(v);
        walk(v, k);
      }
    };
    walk(doc);
    for (const ref of refs) {
      assert.match(ref, /^#\//);
      const target = ref.slice(2).split('/').reduce<unknown>((node, part) => (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      assert.ok(target !== undefined, `${ref} resolves`);
    }
    const metaCheck = new Ajv2020({ strict: false, validateFormats: false });
    for (const schema of [...schemas, ...Object.values(components.schemas)]) assert.ok(metaCheck.validateSchema(schema), `a valid 2020-12 schema: ${JSON.stringify(metaCheck.errors)}`);
    assert.ok(schemas.length > 50);
  });

  it('then every route the app serves is in the document', () => {
    const config: WebConfig = { maxUploadBytes: 1, maxFiles: 1, classicTimeoutMs: 1, uploadDir: '/nonexistent', sseHeartbeatMs: 1, maxStreamClients: 1, maxStreamBufferedBytes: 1 };
    const services = ff.running.services;
    const routers: Router[] = [
      classicRouter(services, config), jobsRouter(services, config), verifyRouter(services, config), galleryRouter(services, config), galleryDocumentRouter(services),
      instancesRouter(services), systemRouter(services), streamRouter(services, config), openApiRouter(), createAuth({}).router, deadLettersRouter(services),
      fleetRouter(services), galleryFromJobRouter(services),
    ];
    const served: string[] = [];
    for (const router of routers) {
      for (const layer of router.stack) for (const method of layer.methods) if (method !== 'HEAD') served.push(`${method.toLowerCase()} ${String(layer.path).replace(/(.)\/$/, '$1').replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) for (const method of Object.keys(item)) documented.add(`${method} ${path}`);
    const missing = served.filter((r) => !documented.has(r));
    assert.deepEqual(missing, [], 'served routes missing from the document');
    assert.ok(documented.has('get /metrics'), 'the metrics middleware too');
  });

  it('then every operation answers, in a success and an error case, as the document says', async () => {
    // The open ones.
    await call('GET', '/openapi.json', { key: false });
    await call('GET', '/healthz', { key: false });
    await call('GET', '/readyz', { key: false });
    await call('GET', '/v1/session', { key: false });
    await call('POST', '/v1/session');
    await call('POST', '/v1/session', { key: false, headers: { 'x-api-key': 'not-the-key-at-all' } });
    await call('DELETE', '/v1/session');
    await call('GET', '/metrics');
    await call('GET', '/metrics', { key: false });

    // Gallery.
    const created = await call('POST', '/v1/gallery/subjects', { body: JSON.stringify({ name: 'person2' }), headers: { 'content-type': 'application/json' } });
    assert.equal(created.response.status, 201);
    await call('POST', '/v1/gallery/subjects', { body: JSON.stringify({ name: '' }), headers: { 'content-type': 'application/json' } });
    const subjectId = (created.body as { id: string }).id;
    const added = await call('POST', `/v1/gallery/subjects/${subjectId}/examples`, { body: photo(2) });
    assert.equal(added.response.status, 201);
    await call('POST', '/v1/gallery/subjects/nobody/examples', { body: photo(2) });
    const exampleId = (added.body as { examples: Array<{ id: string }> }).examples[0]?.id ?? '';
    await call('GET', '/v1/gallery/subjects');
    await call('GET', '/v1/gallery/subjects', { key: false });
    await call('GET', `/v1/gallery/subjects/${subjectId}/examples/${exampleId}/image`);
    await call('GET', `/v1/gallery/subjects/${subjectId}/examples/nope/image`);
    const exported = await call('GET', '/v1/gallery');
    await call('GET', '/v1/gallery', { key: false });
    await call('POST', '/v1/gallery', { body: JSON.stringify(exported.body), headers: { 'content-type': 'application/json' } });
    await call('POST', '/v1/gallery', { body: '{not json', headers: { 'content-type': 'application/json' } });

    // Jobs: the classic answer, a v1 job, a verification.
    const classic = await call('POST', '/', { body: photo(2, 'inputFile'), headers: { 'Idempotency-Key': 'contract-1' } });
    assert.equal(classic.body, 'sample2:person2');
    assert.ok(classic.response.headers.get('x-job-id'));
    await call('POST', '/', { body: photo(2, 'wrongField') });
    const submitted = await call('POST', '/v1/jobs', { body: photo(3) });
    assert.equal(submitted.response.status, 202);
    assert.ok(submitted.response.headers.get('location'));
    await call('POST', '/v1/jobs', { body: '{}', headers: { 'content-type': 'application/json' } });
    const jobId = (submitted.body as { jobs: Array<{ id: string }> }).jobs[0]?.id ?? '';
    await eventually('the job to finish', async () => {
      const { body } = await call('GET', `/v1/jobs/${jobId}`);
      return (body as { state: string }).state === 'done' ? body : undefined;
    });
    await call('GET', '/v1/jobs/no-such-job');
    await call('GET', '/v1/jobs');
    await call('GET', '/v1/jobs?limit=abc');
    await call('GET', `/v1/jobs/${jobId}/history`);
    await call('GET', `/v1/jobs/${jobId}/history?from=0`);
    await call('GET', `/v1/jobs/${jobId}/image`);
    await call('GET', '/v1/jobs/no-such-job/image');
    // Job actions: cancel (at once or cooperatively), refused on a finished job; retry the cancelled one.
    const toCancel = ((await call('POST', '/v1/jobs', { body: photo(4) })).body as { jobs: Array<{ id: string }> }).jobs[0]?.id ?? '';
    const cancelled = await call('DELETE', `/v1/jobs/${toCancel}`);
    assert.ok([200, 202].includes(cancelled.response.status));
    await call('DELETE', `/v1/jobs/${jobId}`);
    await call('DELETE', '/v1/jobs/no-such-job');
    await eventually('the cancellation to land', async () => ((await call('GET', `/v1/jobs/${toCancel}`)).body as { state: string }).state === 'cancelled' || undefined);
    await call('POST', `/v1/jobs/${toCancel}/retry`);
    await call('POST', `/v1/jobs/${jobId}/retry`);
    await call('POST', '/v1/jobs/no-such-job/retry');
    await call('GET', '/v1/dead-letters');
    await call('GET', '/v1/dead-letters?limit=abc');
    await call('POST', '/v1/dead-letters/redrive', { body: '{}', headers: { 'content-type': 'application/json' } });
    await call('POST', '/v1/dead-letters/redrive', { body: '{"max":0}', headers: { 'content-type': 'application/json' } });
    const verified = await call('POST', '/v1/verify?wait=60', { body: photo(2, 'a', { subjectId }) });
    assert.equal((verified.body as { label: string }).label, 'same');
    await call('POST', '/v1/verify', { body: photo(2, 'a') });

    // Instances, system, the stream.
    const instances = await call('GET', '/v1/instances');
    await call('GET', '/v1/instances?limit=0');
    const instanceId = (instances.body as { items: Array<{ id: string }> }).items[0]?.id ?? '';
    await call('GET', `/v1/instances/${instanceId}`);
    await call('GET', '/v1/instances/no-such-instance');
    await call('GET', `/v1/instances/${instanceId}/history`);
    await call('GET', '/v1/instances/no-such-instance/history');
    await call('GET', '/v1/fleet/history?range=1h');
    await call('GET', '/v1/fleet/history?range=7d');
    const json = { 'content-type': 'application/json' };
    await call('POST', `/v1/gallery/subjects/${subjectId}/examples/from-job`, { body: JSON.stringify({ jobId, faceIndex: 0 }), headers: json });
    await call('POST', `/v1/gallery/subjects/${subjectId}/examples/from-job`, { body: JSON.stringify({ jobId, faceIndex: -1 }), headers: json });
    await call('GET', '/v1/jobs?file=SAMPLE&from=2020-01-01T00:00:00Z');
    await call('GET', '/v1/jobs?from=yesterday');
    await call('GET', '/v1/queues');
    await call('GET', '/v1/queues', { key: false });
    await call('GET', '/v1/counts');
    await call('GET', '/v1/counts', { key: false });
    await call('GET', '/v1/stream', { stream: true });
    await call('GET', '/v1/stream', { key: false });

    // Deletions last.
    await call('DELETE', `/v1/gallery/subjects/${subjectId}/examples/${exampleId}`);
    await call('DELETE', `/v1/gallery/subjects/${subjectId}/examples/${exampleId}`);
    await call('DELETE', `/v1/gallery/subjects/${subjectId}`);
    await call('DELETE', `/v1/gallery/subjects/${subjectId}`);

    // Every operation was called with a success; each that lists a 4xx was seen answering one.
    for (const item of Object.values(doc.paths as Record<string, Record<string, Json>>)) {
      for (const op of Object.values(item)) {
        const statuses = [...(seen.get(String(op.operationId)) ?? [])];
        assert.ok(statuses.some((s) => s < 300), `${String(op.operationId)} answered a success (saw ${statuses.join(', ') || 'nothing'})`);
        const lists4xx = Object.keys(op.responses as Json).some((s) => s.startsWith('4'));
        const open = ['health', 'ready', 'getSession', 'closeSession', 'openapi'].includes(String(op.operationId));
        if (lists4xx && !open) assert.ok(statuses.some((s) => s >= 400 && s < 500), `${String(op.operationId)} answered an error (saw ${statuses.join(', ')})`);
      }
    }
  });
});
