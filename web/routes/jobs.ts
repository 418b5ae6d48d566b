/**
 * `/v1/jobs`: submit one or many images (202), list jobs by state, one job (with its result when
 * done), its history (events and the state after each) and its uploaded image; and the job actions:
 * `DELETE /v1/jobs/:id` cancels (200 cancelled, 202 cancelling: the worker holding it stops; 409 when
 * finished), `POST /v1/jobs/:id/retry` queues a failed or cancelled job again (202; 409 otherwise).
 */
import Router from '@koa/router';
import { parseDetector, parseIdempotencyKey, type ApiServices } from '../../services/api.ts';
import type { WebConfig } from '../config.ts';
import { withUpload } from '../upload.ts';
import { parseQuery } from '../openapi/registry.ts';
import { routes } from '../openapi/routes.ts';

export function jobsRouter(services: ApiServices, config: WebConfig): Router {
  const router = new Router({ prefix: '/v1/jobs' });

  router.post('/', async (ctx) => {
    const spec = { fields: ['file'], maxFiles: config.maxFiles, maxBytes: config.maxUploadBytes, uploadDir: config.uploadDir };
    const jobs = await withUpload(ctx, spec, (upload) => {
      const detector = parseDetector(upload.values.detector);
      const idempotencyKey = parseIdempotencyKey(ctx.get('Idempotency-Key'));
      return services.jobs.submit(upload.files, { source: 'v1', field: upload.field, ...(detector ? { detector } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });
    });
    ctx.status = 202;
    if (jobs.length === 1 && jobs[0]) ctx.set('Location', `/v1/jobs/${jobs[0].id}`);
    ctx.body = { jobs };
  });

  router.get('/', async (ctx) => {
    // The registry checks the parameters' shape; the search checks their meaning (dates, ranges).
    ctx.body = await services.jobs.search(parseQuery(routes.listJobs, ctx));
  });

  router.get('/:id', async (ctx) => {
    ctx.body = await services.jobs.get(ctx.params.id ?? '');
  });

  router.get('/:id/history', async (ctx) => {
    ctx.body = await services.jobs.history(ctx.params.id ?? '', parseQuery(routes.jobHistory, ctx));
  });

  router.delete('/:id', async (ctx) => {
    const { outcome, job } = await services.jobs.cancel(ctx.params.id ?? '');
    ctx.status = outcome === 'cancelled' ? 200 : 202;
    ctx.body = { outcome, job };
  });

  router.post('/:id/retry', async (ctx) => {
    const job = await services.jobs.retry(ctx.params.id ?? '');
    ctx.status = 202;
    ctx.set('Location', `/v1/jobs/${job.id}`);
    ctx.body = { job };
  });

  router.get('/:id/image', async (ctx) => {
    const image = await services.jobs.image(ctx.params.id ?? '');
    ctx.set('Cache-Control', 'private, max-age=86400, immutable');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = image.contentType;
    ctx.body = image.body;
  });

  return router;
}
