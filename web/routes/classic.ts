/**
 * `POST /` — the classic course client: one image in the multipart field `inputFile` (older clients:
 * `myfile`); the request is held until the job is done and answered in plain text
 * `<file name without extension>:<label>`. A failed job is a 422, a wait past the timeout a 504;
 * both carry `X-Job-Id`. A retry with the same `Idempotency-Key` waits for the same job.
 */
import Router from '@koa/router';
import { parseIdempotencyKey, type ApiServices } from '../../services/api.ts';
import type { WebConfig } from '../config.ts';
import { withUpload } from '../upload.ts';

export function classicRouter(services: ApiServices, config: WebConfig): Router {
  const router = new Router();
  router.post('/', async (ctx) => {
    const spec = { fields: ['inputFile', 'myfile'], maxFiles: 1, maxBytes: config.maxUploadBytes, uploadDir: config.uploadDir };
    // The temp file is gone once the job is submitted; only then do we wait.
    const job = await withUpload(ctx, spec, (upload) => services.jobs.submitClassic(upload.files, upload.field, parseIdempotencyKey(ctx.get('Idempotency-Key'))));
    const gone = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableFinished) gone.abort(new Error('the client closed the connection'));
    };
    ctx.res.once('close', onClose);
    try {
      const answer = await services.jobs.classicAnswer(job, { signal: gone.signal, timeoutMs: config.classicTimeoutMs });
      ctx.set('X-Job-Id', answer.jobId);
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = answer.text;
    } catch (error) {
      // Nobody is listening any more: the job goes on, there is no one to answer (and nothing to log).
      if (gone.signal.aborted) return;
      throw error;
    } finally {
      ctx.res.off('close', onClose);
    }
  });
  return router;
}
