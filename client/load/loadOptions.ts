/**
 * `facefleet load` arguments: parsed and checked at the edge, each mistake a one-line UsageError.
 * `parseLoadArgs` is pure; `resolveLoadPlan` reads the image folder and the expectations file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../usageError.ts';
import { ExpectationsError, parseExpectations } from './expectations.ts';
import type { LoadPlan } from './runner.ts';
import { formatShape, maxRequests, naturalTotal, parseShape, type Shape } from './shapes.ts';
import type { ImageFile, LoadMode } from './types.ts';

/** The command line, checked but not yet touching the file system. */
export interface LoadArgs {
  url: URL;
  images: string;
  /** Absent: the shape's own total, else one request per image. */
  requests?: number;
  concurrency: number;
  expect?: string;
  mode: LoadMode;
  json?: string;
  shape: Shape;
  retries: number;
  timeoutMs: number;
  quiet: boolean;
}

export const loadDefaults = { concurrency: 8, retries: 5, timeoutSeconds: 300 } as const;

/** The image extensions the folder is scanned for, and their MIME types. */
export const imageTypes: Readonly<Record<string, string>> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

function oneLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function positiveInt(name: string, text: string | undefined, min = 1): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new UsageError(`--${name} must be ${min === 0 ? 'a whole number ≥ 0' : 'a positive whole number'}, not "${text}"`);
  return Number(text);
}

/** Parses and checks the arguments after `facefleet load`. Throws a one-line UsageError. */
export function parseLoadArgs(argv: readonly string[]): LoadArgs {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        images: { type: 'string' },
        requests: { type: 'string' },
        concurrency: { type: 'string' },
        expect: { type: 'string' },
        mode: { type: 'string' },
        json: { type: 'string' },
        shape: { type: 'string' },
        retries: { type: 'string' },
        timeout: { type: 'string' },
        quiet: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(oneLine(error instanceof Error ? error.message : String(error)));
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (options only; see facefleet load --help)`);
  if (values.url === undefined) throw new UsageError('--url is required: the facefleet base URL, e.g. --url http://127.0.0.1:3000');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, not "${values.url}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL, not "${values.url}"`);
  if (values.images === undefined || values.images === '') throw new UsageError('--images is required: a folder of .jpg, .jpeg, .png or .webp files');
  const mode = values.mode ?? 'classic';
  if (mode !== 'classic' && mode !== 'v1') throw new UsageError(`--mode must be classic or v1, not "${mode}"`);
  const shape = values.shape === undefined ? ({ kind: 'closed' } as const) : parseShape(values.shape);
  const requests = positiveInt('requests', values.requests);
  if (requests !== undefined && requests > maxRequests(shape)) {
    throw new UsageError(`--requests ${requests} is more than --shape ${formatShape(shape)} ever sends (${maxRequests(shape)}, its rate ends at 0)`);
  }
  const concurrency = positiveInt('concurrency', values.concurrency) ?? loadDefaults.concurrency;
  const retries = positiveInt('retries', values.retries, 0) ?? loadDefaults.retries;
  let timeoutMs = loadDefaults.timeoutSeconds * 1000;
  if (values.timeout !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(values.timeout) ? Number(values.timeout) : NaN;
    if (!(seconds > 0)) throw new UsageError(`--timeout must be a positive number of seconds, not "${values.timeout}"`);
    timeoutMs = seconds * 1000;
  }
  if (values.expect === '') throw new UsageError('--expect needs a CSV file name');
  if (values.json === '') throw new UsageError('--json needs a file name');
  return {
    url,
    images: values.images,
    ...(requests !== undefined ? { requests } : {}),
    concurrency,
    ...(values.expect !== undefined ? { expect: values.expect } : {}),
    mode,
    ...(values.json !== undefined ? { json: values.json } : {}),
    shape,
    retries,
    timeoutMs,
    quiet: values.quiet ?? false,
  };
}

/** The images of a folder (not recursive), sorted by name. Throws a UsageError when there is none. */
export async function readImageFolder(folder: string): Promise<ImageFile[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
    throw new UsageError(`--images ${folder}: cannot read the folder (${why})`);
  }
  const files = names.filter((n) => imageTypes[extname(n).toLowerCase()] !== undefined).sort();
  if (files.length === 0) throw new UsageError(`--images ${folder}: no .jpg, .jpeg, .png or .webp files in the folder`);
  const images: ImageFile[] = [];
  for (const name of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(folder, name));
    } catch (error) {
      throw new UsageError(`--images ${folder}: cannot read ${name} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    const ext = extname(name);
    images.push({ name, stem: name.slice(0, name.length - ext.length), type: imageTypes[ext.toLowerCase()]!, bytes });
  }
  return images;
}

/** Reads the expectations CSV; a missing or malformed file is a one-line UsageError. */
export async function readExpectationsFile(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--expect ${file}: cannot read the file (${code === 'ENOENT' ? 'no such file' : (code ?? String(error))})`);
  }
  try {
    return parseExpectations(text);
  } catch (error) {
    if (error instanceof ExpectationsError) throw new UsageError(`--expect ${file}: ${error.message}`);
    throw error;
  }
}

/** The run's plan: the arguments plus the images and expectations read from disk. */
export async function resolveLoadPlan(args: LoadArgs): Promise<LoadPlan> {
  const images = await readImageFolder(args.images);
  const expectations = args.expect === undefined ? new Map<string, string>() : await readExpectationsFile(args.expect);
  if (args.json !== undefined) {
    // Fail now rather than after a long run with nowhere to write its report.
    const folder = dirname(args.json);
    const isFolder = await stat(folder).then((s) => s.isDirectory(), () => false);
    if (!isFolder) throw new UsageError(`--json ${args.json}: the folder ${folder} does not exist`);
  }
  return {
    url: args.url,
    mode: args.mode,
    shape: args.shape,
    requests: args.requests ?? naturalTotal(args.shape) ?? images.length,
    concurrency: args.concurrency,
    images,
    expectations,
    retries: args.retries,
    timeoutMs: args.timeoutMs,
  };
}
