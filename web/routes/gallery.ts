/**
 * `/v1/gallery/subjects`: the people the fleet can name, and their example faces (enrolled from
 * uploaded photos: the largest face's descriptor is kept, and a crop of it for thumbnails).
 */
import Router from '@koa/router';
import type { ApiServices } from '../../services/api.ts';
import type { WebConfig } from '../config.ts';
import { readJson } from '../json.ts';
import { withUpload } from '../upload.ts';

/** The largest gallery document `POST /v1/gallery` takes (about 15,000 examples). */
const GALLERY_DOCUMENT_LIMIT = 40 * 1024 * 1024;

/** `/v1/gallery`: the whole gallery document, descriptors included — export, and import by merging. */
export function galleryDocumentRouter(services: ApiServices): Router {
  const router = new Router({ prefix: '/v1/gallery' });
  router.get('/', async (ctx) => {
    ctx.set('Content-Disposition', 'attachment; filename="gallery.json"');
    ctx.body = await services.gallery.exportGallery();
  });
  router.post('/', async (ctx) => {
    ctx.body = await services.gallery.mergeGallery(await readJson(ctx, GALLERY_DOCUMENT_LIMIT));
  });
  return router;
}

export function galleryRouter(services: ApiServices, config: WebConfig): Router {
  const router = new Router({ prefix: '/v1/gallery/subjects' });

  router.get('/', async (ctx) => {
    ctx.body = await services.gallery.listSubjects();
  });

  router.post('/', async (ctx) => {
    const body = await readJson(ctx);
    const name = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { name?: unknown }).name : undefined;
    const subject = await services.gallery.createSubject(name);
    ctx.status = 201;
    ctx.set('Location', `/v1/gallery/subjects/${subject.id}`);
    ctx.body = subject;
  });

  router.delete('/:id', async (ctx) => {
    await services.gallery.deleteSubject(ctx.params.id ?? '');
    ctx.status = 204;
  });

  router.post('/:id/examples', async (ctx) => {
    const spec = { fields: ['file'], maxFiles: config.maxFiles, maxBytes: config.maxUploadBytes, uploadDir: config.uploadDir };
    const examples = await withUpload(ctx, spec, (upload) => services.gallery.addExamples(ctx.params.id ?? '', upload.files));
    ctx.status = 201;
    ctx.body = { examples };
  });

  router.delete('/:id/examples/:exampleId', async (ctx) => {
    await services.gallery.deleteExample(ctx.params.id ?? '', ctx.params.exampleId ?? '');
    ctx.status = 204;
  });

  router.get('/:id/examples/:exampleId/image', async (ctx) => {
    const image = await services.gallery.exampleImage(ctx.params.id ?? '', ctx.params.exampleId ?? '');
    ctx.set('Cache-Control', 'private, max-age=86400, immutable');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = image.contentType;
    ctx.body = image.body;
  });

  return router;
}
