/**
 * `POST /v1/verify`: are two faces one person? Multipart photo `a` and either photo `b` or a text
 * field `subjectId` (a gallery subject). A job of kind `verify` that the fleet computes like any
 * other. The answer is always the job as GET /v1/jobs/:id shows it (with `Location` and `X-Job-Id`):
 * 202 while it is queued or processing; with `?wait=<seconds>`, 200 once it is done (its `result`:
 * `label` same/different/no-face, `distance`, `same`, `threshold`, both boxes) or failed — still 202
 * with the job as it is when the wait runs out first.
 */
import Router from '@koa/router';
import { parseDetector, ValidationError, type ApiServices } from '../../services/api.ts';
import type { WebConfig } from '../config.ts';
import { withUpload } from '../upload.ts';
import { parseQuery } from '../openapi/registry.ts';
import { routes } from '../openapi/routes.ts';

export function verifyRouter(services: ApiServices, config: WebConfig): Router {
  const router = new Router();
  router.post('/v1/verify', async (ctx) => {
    const { wait } = parseQuery(routes.verify, ctx);
    const maxWait = Math.max(1, Math.floor(config.classicTimeoutMs / 1000));
    if (wait !== undefined && wait > maxWait) throw new ValidationError(`wait must be at most ${maxWait} seconds (the longest this server holds a request).`);
    const spec = { fields: ['a', 'b'], maxFiles: 2, maxBytes: config.maxUploadBytes, uploadDir: config.uploadDir };
    const job = await withUpload(ctx, spec, (upload) => {
      const [a, ...moreA] = upload.byField.a ?? [];
      const [b, ...moreB] = upload.byField.b ?? [];
      if (!a) throw new ValidationError('Send the photo to verify as a file in the multipart field "a".');
      if (moreA.length || moreB.length) throw new ValidationError('Send one photo in "a" and at most one in "b".');
      const detector = parseDetector(upload.values.detector);
      const subjectId = upload.values.subjectId;
      return services.jobs.verify({ a, ...(b ? { b } : {}), ...(subjectId !== undefined ? { subjectId } : {}), ...(detector ? { detector } : {}) });
    });
    ctx.set('Location', `/v1/jobs/${job.id}`);
    ctx.set('X-Job-Id', job.id);
    if (wait === undefined) {
      ctx.status = 202;
      ctx.body = await services.jobs.get(job.id);
      return;
    }
    const gone = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableFinished) gone.abort(new Error('the client closed the connection'));
    };
    ctx.res.once('close', onClose);
    try {
      const detail = await services.jobs.getWhenFinished(job.id, { signal: gone.signal, timeoutMs: wait * 1000 });
      ctx.status = detail.state === 'done' || detail.state === 'failed' ? 200 : 202;
      ctx.body = detail;
    } catch (error) {
      if (gone.signal.aborted) return;
      throw error;
    } finally {
      ctx.res.off('close', onClose);
    }
  });
  return router;
}
