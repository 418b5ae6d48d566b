/** `GET /openapi.json`: the OpenAPI 3.1 document, built once from the route registry. */
import Router from '@koa/router';
import { buildOpenApiDocument } from '../openapi/document.ts';
import { allRoutes } from '../openapi/routes.ts';

export function openApiRouter(): Router {
  const router = new Router();
  let document: Record<string, unknown> | undefined;
  router.get('/openapi.json', (ctx) => {
    document ??= buildOpenApiDocument(allRoutes);
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = document;
  });
  return router;
}
