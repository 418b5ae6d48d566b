/**
 * Where a bulk enrolment's photos come from, as a list of (person, file) pairs:
 * - folders: `<root>/<name>/<photo>.jpg|jpeg|png|webp`, one folder per person;
 * - a course-style CSV `Image,Results` (image stem or file name, the person's name) with the photos
 *   in an images folder (`<stem>`, or `<stem>.jpg|jpeg|png|webp`).
 * Problems with one row or file are reported per item; only an unreadable source is an error.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

/** One photo to enrol as an example of `name`. */
export interface ImportItem {
  name: string;
  /** Path of the photo. */
  file: string;
}

/** A row or file that cannot be imported, and why (one line). */
export interface ImportProblem {
  file: string;
  reason: string;
}

export interface ImportPlan {
  items: ImportItem[];
  problems: ImportProblem[];
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;
const isImageName = (name: string): boolean => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());

/** A source that cannot be read at all (missing folder, CSV without the columns): the import stops. */
export class ImportSourceError extends Error {
  override name = 'ImportSourceError';
}

/** Every image under `<root>/<name>/`, by person then file name. Loose files in `root` are reported. */
export async function planFromFolders(root: string): Promise<ImportPlan> {
  const entries = await readdirOrFail(root);
  const items: ImportItem[] = [];
  const problems: ImportProblem[] = [];
  for (const entry of entries.sort()) {
    const path = join(root, entry);
    if (!(await stat(path)).isDirectory()) {
      problems.push({ file: path, reason: 'not in a person folder (expected <folder>/<name>/<photo>)' });
      continue;
    }
    for (const file of (await readdir(path)).sort()) {
      if (isImageName(file)) items.push({ name: entry, file: join(path, file) });
      else problems.push({ file: join(path, file), reason: `not a .jpg, .jpeg, .png or .webp file` });
    }
  }
  return { items, problems };
}

/**
 * The rows of a course-style CSV (`Image,Results`, header required, comma-separated, optional
 * quotes) with each image found in `imagesDir`.
 */
export async function planFromCsv(csvPath: string, imagesDir: string): Promise<ImportPlan> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (error) {
    throw new ImportSourceError(`cannot read ${csvPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const available = new Set(await readdirOrFail(imagesDir));
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = parseCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const imageColumn = header.indexOf('image');
  const nameColumn = header.indexOf('results');
  if (imageColumn < 0 || nameColumn < 0) throw new ImportSourceError(`${csvPath}: the first line must name the columns Image and Results`);
  const items: ImportItem[] = [];
  const problems: ImportProblem[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = parseCsvLine(line);
    const image = (cells[imageColumn] ?? '').trim();
    const name = (cells[nameColumn] ?? '').trim();
    const where = `${basename(csvPath)} line ${i + 2}`;
    if (!image || !name) {
      problems.push({ file: where, reason: 'the row needs an image and a name' });
      return;
    }
    const found = [image, ...IMAGE_EXTENSIONS.map((ext) => `${image}${ext}`)].find((candidate) => isImageName(candidate) && available.has(candidate));
    if (!found) problems.push({ file: join(imagesDir, image), reason: `no image ${image} in ${imagesDir} (${where})` });
    else items.push({ name, file: join(imagesDir, found) });
  });
  return { items, problems };
}

/** One CSV line's cells: commas separate, double quotes enclose, `""` is a quote. */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

async function readdirOrFail(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImportSourceError(code === 'ENOENT' ? `no folder ${dir}` : code === 'ENOTDIR' ? `${dir} is not a folder` : `cannot read ${dir}: ${code ?? String(error)}`);
  }
}
