/**
 * `GET /v1/stream` — Server-Sent Events: `event: job` / `event: instance` with the read model row (in
 * client shape) of every state change, a heartbeat comment every 15 s; the subscription is dropped
 * when the client goes away.
 */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';
import type { WebConfig } from '../config.ts';
import { openSse } from '../sse.ts';

export function streamRouter(services: ApiServices, config: WebConfig): Router {
  const router = new Router();
  router.get('/v1/stream', async (ctx) => {
    await services.feed.ready(); // changes from here on are delivered
    let unsubscribe = () => {};
    const sse = openSse(ctx, { heartbeatMs: config.sseHeartbeatMs, onClose: () => unsubscribe() });
    unsubscribe = services.onChange((change) => sse.send(change.kind, change.row));
  });
  return router;
}
