/** Queue depths, counts by state, health and readiness. */
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

  // 200 when the store, the request queue and the blobs answer; 503 naming the one that did not.
  router.get('/healthz', async (ctx) => {
    const health = await services.health();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = health.ok ? 200 : 503;
    ctx.body = health;
  });

  // For a load balancer: 200 when healthy and not stopping; 503 once `stop` has begun, so traffic
  // drains to other web processes while this one finishes what it holds.
  router.get('/readyz', async (ctx) => {
    const readiness = await services.readiness();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = readiness.ready ? 200 : 503;
    ctx.body = readiness;
  });

  return router;
}
