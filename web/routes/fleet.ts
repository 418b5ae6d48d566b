/** `/v1/fleet/history`: the fleet's state periods and backlog over a past range, for the inspector's chart. */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';
import { queryString } from './query.ts';

export function fleetRouter(services: ApiServices): Router {
  const router = new Router({ prefix: '/v1/fleet' });
  router.get('/history', async (ctx) => {
    ctx.body = await services.instances.fleetHistory(queryString(ctx.query.range));
  });
  return router;
}
