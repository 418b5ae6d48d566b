/**
 * `facefleet gallery import|list|export`: the gallery in bulk, against a running server (`--url`,
 * with `--api-key` or FACEFLEET_API_KEY) or directly in a data dir (`--data-dir`, the embedded
 * backend's; the server need not run, and must not be enrolling at the same time).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importGallery, PhotoRefused, renderImportProgress, type GalleryTarget, type ImportProgress } from '../../../client/galleryImport.ts';
import { ApiError, type ApiOptions } from '../../../client/api.ts';
import { exportGalleryOverHttp, httpGalleryTarget, importGalleryOverHttp } from '../../../client/galleryHttp.ts';
import { ImportSourceError, planFromCsv, planFromFolders, type ImportPlan } from '../../../client/importSources.ts';
import { parseCommandLine, UsageError, type Command } from '../command.ts';

const usage = `Usage:
  facefleet gallery import <folder>                 people/<name>/*.jpg: one folder per person
  facefleet gallery import --csv labels.csv --images <dir>   a course-style CSV (Image,Results)
  facefleet gallery import --json gallery.json      a gallery document (from export)
  facefleet gallery list
  facefleet gallery export [--out gallery.json]

Where (one of):
  --url <url>          a running facefleet server, e.g. http://127.0.0.1:3000
                       (API key: --api-key or FACEFLEET_API_KEY)
  --data-dir <dir>     the embedded data dir (default ./data), without a server

Importing photos enrols each one as an example of its person (created when missing). A photo the
person already has (same content) is skipped, so running the same import twice adds nothing.
A file that cannot be enrolled (no face, not an image…) is listed with the reason on stderr and
the rest are imported; the exit code is then 1.

Options:
  --quiet              no progress bar
`;

interface Where {
  server?: ApiOptions;
  dataDir?: string;
}

const command: Command = {
  name: 'gallery',
  summary: 'Import people into the gallery in bulk (folders, CSV, JSON), list it, export it',
  usage,
  async run(argv) {
    const parsed = parseCommandLine(argv, {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      'data-dir': { type: 'string' },
      csv: { type: 'string' },
      images: { type: 'string' },
      json: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const { values, positionals } = parsed;
    const [action, ...rest] = positionals;
    const where = whereFrom(values);
    switch (action) {
      case 'import': {
        if (values.json) {
          if (rest.length > 0 || values.csv) throw new UsageError('--json takes no folder and no --csv');
          return importJson(values.json, where);
        }
        const plan = await planFrom(rest, values.csv, values.images);
        return importPhotos(plan, where, values.quiet === true);
      }
      case 'list':
        if (rest.length > 0) throw new UsageError('gallery list takes no arguments');
        return list(where);
      case 'export':
        if (rest.length > 0) throw new UsageError('gallery export takes no arguments (use --out <file>)');
        return exportTo(values.out, where);
      default:
        throw new UsageError(action ? `unknown gallery action "${action}" (import, list or export)` : 'give an action: import, list or export (see facefleet gallery --help)');
    }
  },
};

function whereFrom(values: { url?: string; 'api-key'?: string; 'data-dir'?: string }): Where {
  if (values.url && values['data-dir']) throw new UsageError('give --url or --data-dir, not both');
  if (!values.url) return { dataDir: values['data-dir'] ?? './data' };
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url must be a URL such as http://127.0.0.1:3000, not "${values.url}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http or https, not ${url.protocol}`);
  const apiKey = values['api-key'] ?? process.env.FACEFLEET_API_KEY;
  return { server: { url, ...(apiKey ? { apiKey } : {}) } };
}

async function planFrom(folders: string[], csv: string | undefined, images: string | undefined): Promise<ImportPlan> {
  try {
    if (csv) {
      if (folders.length > 0) throw new UsageError('give a folder or --csv, not both');
      if (!images) throw new UsageError('--csv needs --images <dir> (the folder of the photos it names)');
      return await planFromCsv(csv, images);
    }
    if (images) throw new UsageError('--images goes with --csv');
    if (folders.length !== 1) throw new UsageError('give one folder of person folders, --csv with --images, or --json (see facefleet gallery --help)');
    return await planFromFolders(folders[0] as string);
  } catch (error) {
    if (error instanceof ImportSourceError) throw new UsageError(error.message);
    throw error;
  }
}

async function importPhotos(plan: ImportPlan, where: Where, quiet: boolean): Promise<number> {
  const target = where.server ? httpGalleryTarget(where.server) : await dataDirTarget(where.dataDir as string);
  const stderr = process.stderr;
  let lastLine = 0;
  const onProgress = (p: ImportProgress): void => {
    if (quiet) return;
    const now = Date.now();
    const finished = p.done === p.total;
    if (stderr.isTTY) stderr.write(`\r\x1b[2K${renderImportProgress(p)}${finished ? '\n' : ''}`);
    else if (finished || now - lastLine >= 2000) {
      lastLine = now;
      stderr.write(`${renderImportProgress(p)}\n`);
    }
  };
  const report = await withServerErrors(() => importGallery(plan, target, onProgress));
  for (const problem of report.problems) stderr.write(`facefleet gallery import: ${problem.file}: ${problem.reason}\n`);
  process.stdout.write(`${JSON.stringify({ total: report.total, imported: report.imported, skipped: report.skipped, failed: report.failed })}\n`);
  return report.failed > 0 ? 1 : 0;
}

async function importJson(file: string, where: Where): Promise<number> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not a readable JSON file (${(error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))})`);
  }
  const counts = where.server
    ? await withServerErrors(() => importGalleryOverHttp(where.server as ApiOptions, document))
    : await (await dataDirGallery(where.dataDir as string)).mergeGallery(document);
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  return 0;
}

async function list(where: Where): Promise<number> {
  const subjects = where.server
    ? await withServerErrors(() => httpGalleryTarget(where.server as ApiOptions).listSubjects())
    : (await (await dataDirGallery(where.dataDir as string)).listSubjects()).subjects.map((s) => ({ id: s.id, name: s.name, photos: new Set(s.examples.map((e) => e.id)) }));
  if (subjects.length === 0) process.stdout.write('The gallery is empty.\n');
  const width = Math.max(4, ...subjects.map((s) => s.name.length));
  for (const s of subjects) process.stdout.write(`${s.name.padEnd(width)}  ${String(s.photos.size).padStart(5)} example(s)  ${s.id}\n`);
  return 0;
}

async function exportTo(out: string | undefined, where: Where): Promise<number> {
  const gallery = where.server ? await withServerErrors(() => exportGalleryOverHttp(where.server as ApiOptions)) : await (await dataDirGallery(where.dataDir as string)).exportGallery();
  const text = `${JSON.stringify(gallery)}\n`;
  if (out) await writeFile(out, text);
  else process.stdout.write(text);
  return 0;
}

async function withServerErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiError || error instanceof PhotoRefused) throw new Error(error.message);
    throw error;
  }
}

/** The gallery service over the data dir's blob store, with the face model in this process. */
async function dataDirGallery(dataDir: string) {
  const [{ createFsBlobs }, { createGalleryService }, { systemClock }, { DEFAULT_UPLOAD_LIMITS }] = await Promise.all([
    import('../../../adapters/embedded/fsBlobs.ts'),
    import('../../../services/gallery/index.ts'),
    import('../../../services/clock.ts'),
    import('../../../services/uploads/uploads.ts'),
  ]);
  return createGalleryService({ blobs: createFsBlobs({ dir: join(dataDir, 'blobs') }), clock: systemClock, limits: DEFAULT_UPLOAD_LIMITS, detector: 'ssd' });
}

/** The data dir as an import target: the same use cases the server runs, called in-process. */
async function dataDirTarget(dataDir: string): Promise<GalleryTarget> {
  const gallery = await dataDirGallery(dataDir);
  // A refusal is what the server would answer with a 4xx: the same code→status table.
  const [{ isServiceError }, { statusOf }] = await Promise.all([import('../../../services/errors.ts'), import('../../../web/errors.ts')]);
  const refusal = (error: unknown): never => {
    const status = isServiceError(error) ? statusOf(error) : undefined;
    if (status !== undefined && status >= 400 && status < 500) throw new PhotoRefused(error instanceof Error ? error.message : String(error));
    throw error;
  };
  return {
    async listSubjects() {
      const { subjects } = await gallery.listSubjects();
      return subjects.map((s) => ({ id: s.id, name: s.name, photos: new Set(s.examples.flatMap((e) => (e.sha256 ? [e.sha256] : []))) }));
    },
    createSubject: (name) => gallery.createSubject(name).then((s) => s.id, refusal),
    deleteSubject: (subjectId) => gallery.deleteSubject(subjectId),
    async addPhoto(subjectId, photo) {
      await gallery.addExamples(subjectId, [{ fileName: photo.fileName, size: photo.bytes.length, bytes: photo.bytes }]).catch(refusal);
    },
  };
}

export default command;
