/** Reading a JSON request body: 415 when it is not JSON, 413 when too large, 400 when invalid. */
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../services/api.ts';

const DEFAULT_LIMIT = 16 * 1024;

/** The parsed JSON body (strict: an object or an array). */
export async function readJson(ctx: Context, limitBytes = DEFAULT_LIMIT): Promise<unknown> {
  if (!ctx.is('application/json')) throw new UnsupportedMediaTypeError('Send the body as application/json.');
  const parser = koaBody({ json: true, jsonStrict: true, jsonLimit: limitBytes, multipart: false, urlencoded: false, text: false, patchNode: false });
  try {
    await parser(ctx, async () => undefined);
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 413) throw new PayloadTooLargeError(`The JSON body is larger than the limit of ${limitBytes} bytes.`);
    if (status === 415) throw new UnsupportedMediaTypeError('The JSON body must be UTF-8.');
    throw new ValidationError('The body is not valid JSON.');
  }
  return ctx.request.body;
}
