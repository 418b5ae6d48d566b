/** `/v1/instances`: the worker fleet — paged list, one instance, its history. */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';
import { parseQuery } from '../openapi/registry.ts';
import { routes } from '../openapi/routes.ts';

export function instancesRouter(services: ApiServices): Router {
  const router = new Router({ prefix: '/v1/instances' });

  router.get('/', async (ctx) => {
    ctx.body = await services.instances.list(parseQuery(routes.listInstances, ctx));
  });

  router.get('/:id', async (ctx) => {
    ctx.body = await services.instances.get(ctx.params.id ?? '');
  });

  router.get('/:id/history', async (ctx) => {
    ctx.body = await services.instances.history(ctx.params.id ?? '', parseQuery(routes.instanceHistory, ctx));
  });

  return router;
}
