/**
 * `/v1/jobs`: submit one or many images (202), list jobs by state, one job (with its result when
 * done), its history (events and the state after each) and its uploaded image.
 */
import Router from '@koa/router';
import { parseDetector, parseIdempotencyKey, type ApiServices } from '../../services/api.ts';
import type { WebConfig } from '../config.ts';
import { withUpload } from '../upload.ts';
import { queryString } from './query.ts';

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
    ctx.body = await services.jobs.search({
      state: queryString(ctx.query.state),
      limit: queryString(ctx.query.limit),
      cursor: queryString(ctx.query.cursor),
      file: queryString(ctx.query.file),
      label: queryString(ctx.query.label),
      from: queryString(ctx.query.from),
      to: queryString(ctx.query.to),
    });
  });

  router.get('/:id', async (ctx) => {
    ctx.body = await services.jobs.get(ctx.params.id ?? '');
  });

  router.get('/:id/history', async (ctx) => {
    ctx.body = await services.jobs.history(ctx.params.id ?? '', { from: queryString(ctx.query.from), limit: queryString(ctx.query.limit) });
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
