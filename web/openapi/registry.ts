/**
 * The route registry: one entry per HTTP operation — method, path, summary, the zod schemas of its
 * path parameters, query, request headers and body, and of each response by status (with its
 * headers). The same entries build `GET /openapi.json` (document.ts) and validate requests in the
 * routes (`parseQuery`), so the document cannot drift from what the routes accept.
 *
 * Adding a route to the document is one entry in `routes` (web/openapi/routes.ts).
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import { ValidationError } from '../../services/api.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface HeaderSpec {
  description: string;
  schema: z.ZodType;
  required?: boolean;
}

export interface ResponseSpec {
  description: string;
  /** Default `application/json` when `schema` is given; none for an empty body (204). */
  contentType?: string;
  schema?: z.ZodType;
  headers?: Record<string, HeaderSpec>;
}

export interface RouteSpec {
  method: Method;
  /** Koa style: `/v1/jobs/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Needs the API key when one is configured (every write, every /v1 read). */
  auth: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers such as Idempotency-Key. */
  headers?: Record<string, HeaderSpec>;
  body?: { contentType: string; schema: z.ZodType; description?: string };
  responses: Record<number, ResponseSpec>;
}

/** Declares a route (identity: it types the literal). */
export function route<S extends RouteSpec>(spec: S): S {
  return spec;
}

/** The request's query parsed by the route's query schema: ValidationError (400) naming the first problem. */
export function parseQuery<T extends z.ZodObject>(spec: { query?: T }, ctx: Pick<Context, 'query'>): z.output<T> {
  if (!spec.query) throw new Error('this route declares no query schema');
  for (const [name, value] of Object.entries(ctx.query)) {
    if (Array.isArray(value)) throw new ValidationError(`Give each query parameter at most once (${JSON.stringify(name.slice(0, 40))} was repeated).`);
  }
  const parsed = spec.query.safeParse(ctx.query);
  if (parsed.success) return parsed.data;
  // The schemas' messages name their parameter ("limit must be …").
  throw new ValidationError(parsed.error.issues[0]?.message ?? 'The query is not valid.');
}
