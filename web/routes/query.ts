/** Query-string helpers shared by the routers (routes with a registry entry use parseQuery in web/openapi/registry.ts). */
import { ValidationError } from '../../services/api.ts';

/** A single query value; a repeated parameter is a 400 (say it once). */
export function queryString(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) throw new ValidationError('Give each query parameter at most once.');
  return value;
}
