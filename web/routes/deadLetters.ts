/**
 * `/v1/dead-letters`: the dead-lettered jobs with their failure reasons (paged: `limit`, `cursor`),
 * and `POST /v1/dead-letters/redrive` with `{ "max": n }` or `{ "jobIds": [...] }` (an empty body:
 * up to 50) which queues them again and answers which were redriven and which were skipped.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { redriveRequestSchema, type ApiServices } from '../../services/api.ts';
import { readJson } from '../json.ts';
import { queryString } from './query.ts';

/** The list query (both optional; the service checks the limit's range). */
export const deadLetterQuerySchema = z.object({ limit: z.string().optional(), cursor: z.string().optional() });

/** The redrive body, as the service checks it (re-exported here for the API description). */
export { redriveRequestSchema };

export function deadLettersRouter(services: ApiServices): Router {
  const router = new Router({ prefix: '/v1/dead-letters' });

  router.get('/', async (ctx) => {
    const query = deadLetterQuerySchema.parse({ limit: queryString(ctx.query.limit), cursor: queryString(ctx.query.cursor) });
    ctx.body = await services.jobs.deadLetters(query);
  });

  router.post('/redrive', async (ctx) => {
    // No body at all means the default (up to 50 dead letters); a body must be JSON.
    const empty = !ctx.request.type && (ctx.request.length ?? 0) === 0;
    const body = empty ? {} : await readJson(ctx);
    ctx.body = await services.jobs.redrive(body);
  });

  return router;
}
