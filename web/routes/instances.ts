/** `/v1/instances`: the worker fleet — paged list, one instance, its history. */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';
import { queryString } from './query.ts';

export function instancesRouter(services: ApiServices): Router {
  const router = new Router({ prefix: '/v1/instances' });

  router.get('/', async (ctx) => {
    ctx.body = await services.instances.list({
      state: queryString(ctx.query.state),
      limit: queryString(ctx.query.limit),
      cursor: queryString(ctx.query.cursor),
    });
  });

  router.get('/:id', async (ctx) => {
    ctx.body = await services.instances.get(ctx.params.id ?? '');
  });

  router.get('/:id/history', async (ctx) => {
    ctx.body = await services.instances.history(ctx.params.id ?? '', { from: queryString(ctx.query.from), limit: queryString(ctx.query.limit) });
  });

  return router;
}
