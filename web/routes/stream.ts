/**
 * `GET /v1/stream` — Server-Sent Events: `event: job` / `event: instance` with the read model row (in
 * client shape) of every state change, a heartbeat comment every 15 s; the subscription is dropped
 * when the client goes away. At most `maxStreamClients` at once (503 + Retry-After beyond), and a
 * client that stops reading is disconnected once `maxStreamBufferedBytes` wait for it.
 */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';
import type { WebConfig } from '../config.ts';
import { openSse } from '../sse.ts';

export function streamRouter(services: ApiServices, config: WebConfig): Router {
  const router = new Router();
  let open = 0;
  router.get('/v1/stream', async (ctx) => {
    if (open >= config.maxStreamClients) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = { error: { code: 'unavailable', message: `${config.maxStreamClients} event streams are open, the most this server keeps; try again shortly.` } };
      return;
    }
    open += 1;
    let counted = true;
    await services.feed.ready(); // changes from here on are delivered
    let unsubscribe = () => {};
    const sse = openSse(ctx, {
      heartbeatMs: config.sseHeartbeatMs,
      maxBufferedBytes: config.maxStreamBufferedBytes,
      onClose: () => {
        unsubscribe();
        if (counted) open -= 1;
        counted = false;
      },
    });
    unsubscribe = services.onChange((change) => sse.send(change.kind, change.row));
  });
  return router;
}
