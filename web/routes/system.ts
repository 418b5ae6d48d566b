/** Queue depths, counts by state, liveness. */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';

export function systemRouter(services: ApiServices): Router {
  const router = new Router();

  router.get('/v1/queues', async (ctx) => {
    ctx.body = await services.queues.depths();
  });

  router.get('/v1/counts', async (ctx) => {
    ctx.body = await services.counts();
  });

  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ok: true };
  });

  return router;
}
