/**
 * `POST /v1/gallery/subjects/:id/examples/from-job` with JSON `{ jobId, faceIndex }`: the face a
 * user picked on a result page becomes an example of the subject (201; 200 when it already was).
 */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';
import { readJson } from '../json.ts';

export function galleryFromJobRouter(services: ApiServices): Router {
  const router = new Router({ prefix: '/v1/gallery/subjects' });
  router.post('/:id/examples/from-job', async (ctx) => {
    const example = await services.enrolFaceFromJob(ctx.params.id ?? '', await readJson(ctx));
    ctx.status = example.duplicate ? 200 : 201;
    ctx.body = { example };
  });
  return router;
}
