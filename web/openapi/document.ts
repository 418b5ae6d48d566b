/**
 * The OpenAPI 3.1 document, built from the route registry (routes.ts): each entry's zod schemas
 * become JSON Schema 2020-12 (OpenAPI 3.1's dialect) with `z.toJSONSchema`; schemas named with
 * `.meta({ id })` (Error, Job, …) go to `components.schemas` once and are referenced.
 */
import { z } from 'zod';
import type { HeaderSpec, RouteSpec } from './registry.ts';

type Json = Record<string, unknown>;

export interface DocumentInfo {
  title?: string;
  version?: string;
}

/** `/v1/jobs/:id` → `/v1/jobs/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The same value with every local `#/$defs/X` reference pointing at `#/components/schemas/X`. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/') ? `#/components/schemas/${v.slice('#/$defs/'.length)}` : relink(v);
  }
  return out;
}

/** Builds the document for `routes`. Pure: the same routes give the same document. */
export function buildOpenApiDocument(routes: readonly RouteSpec[], info: DocumentInfo = {}): Json {
  const components: Record<string, Json> = {};
  /** JSON Schema of a zod schema; schemas named with `.meta({ id })` become $refs into components.schemas. */
  const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const json = relink(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' })) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    // Input and output of one named schema differ (defaults, strictness): only outputs are shared.
    for (const [id, def] of Object.entries(defs)) if (io === 'output' || !(id in components)) components[id] = def;
    delete json.$defs;
    delete json.$schema;
    return json;
  };

  const headerObject = (h: HeaderSpec): Json => ({ description: h.description, schema: schemaOf(h.schema, 'input'), ...(h.required ? { required: true } : {}) });
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const parameters: Json[] = [];
    for (const [name, schema] of Object.entries(r.params?.shape ?? {})) {
      parameters.push({ name, in: 'path', required: true, schema: schemaOf(schema as z.ZodType, 'input') });
    }
    for (const [name, schema] of Object.entries(r.query?.shape ?? {})) {
      const s = schema as z.ZodType;
      const json = schemaOf(s, 'input');
      const description = typeof json.description === 'string' ? json.description : undefined;
      parameters.push({ name, in: 'query', required: !s.safeParse(undefined).success, ...(description ? { description } : {}), schema: json });
    }
    for (const [name, h] of Object.entries(r.headers ?? {})) parameters.push({ name, in: 'header', ...headerObject(h) });
    const responses: Record<string, Json> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      const headers = res.headers ? Object.fromEntries(Object.entries(res.headers).map(([name, h]) => [name, headerObject(h)])) : undefined;
      const content = res.schema ? { [res.contentType ?? 'application/json']: { schema: schemaOf(res.schema, 'output') } } : undefined;
      responses[status] = { description: res.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
    }
    const operation: Json = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, ...(r.body.description ? { description: r.body.description } : {}), content: { [r.body.contentType]: { schema: schemaOf(r.body.schema, 'input') } } } } : {}),
      responses,
      // Open when the server has no API key: the empty requirement says a request may carry none.
      security: r.auth ? [{ apiKey: [] }, { bearer: [] }, { session: [] }, {}] : [],
    };
    (paths[openApiPath(r.path)] ??= {})[r.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'facefleet',
      version: info.version ?? '0.1.0',
      description: 'Face recognition as a service that scales itself. Jobs and worker instances are event-sourced state machines; see /inspector.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The API key, when the server is started with one' },
        bearer: { type: 'http', scheme: 'bearer', description: 'The API key as `Authorization: Bearer <key>`' },
        session: { type: 'apiKey', in: 'cookie', name: 'facefleet_session', description: 'The cookie POST /v1/session sets (for pages: EventSource and <img> cannot send headers)' },
      },
    },
  };
}
