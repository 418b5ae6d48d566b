/**
 * Options shared by the commands that talk to a running server (jobs, dlq): `--url` / `--api-key`
 * checked once here, so a mistake is one usage line; the key may also come from FACEFLEET_API_KEY
 * (so it need not appear in the shell history). And whole-number options such as `--max`.
 */
import type { ApiOptions } from './api.ts';
import { UsageError } from './usageError.ts';

/** The default address: `facefleet start` on this machine. */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:3000';

/** The server options from `--url` (default DEFAULT_SERVER_URL) and `--api-key`; UsageError for a bad URL. */
export function serverOption(values: { url?: string | undefined; 'api-key'?: string | undefined }, env: NodeJS.ProcessEnv = process.env): ApiOptions {
  const text = values.url ?? DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be a URL such as ${DEFAULT_SERVER_URL}, not "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http or https, not ${url.protocol}`);
  const apiKey = values['api-key'] ?? env.FACEFLEET_API_KEY;
  return { url, ...(apiKey ? { apiKey } : {}) };
}

/** A positive whole number option (`--max 5`); UsageError otherwise. */
export function positiveInt(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not "${value}"`);
  return Number(value);
}
