/**
 * `facefleet recognize <image...>`: runs the face model in this process on local files and prints
 * one JSON object per image. A file the model rejects prints a one-line error and exits 1.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RecognizedFace } from '../../../model/index.ts';
import { parseCommandLine, UsageError, type Command } from '../command.ts';

const usage = `Usage: facefleet recognize <image or folder...> [--files list|-] [--gallery file.json] [--detector ssd|tiny] [--threshold n] [--attributes]

Detects, describes and names every face in each image (JPEG, PNG or WebP) and prints one JSON
object per image: { file, width, height, label, faces: [{ box, score, label, distance,
expressions, age, gender, genderProbability, landmarks, descriptor }] }. "label" is the largest
face's name, "unknown" or "no-face".
A folder stands for its .jpg, .jpeg, .png and .webp files (not its subfolders), by name.

Options:
  --files <list|->     also the paths in this file, one per line ("-": read them from standard input)
  --gallery <file>     a gallery JSON ({ version: 1, subjects: [...] }); default: empty, so every face is unknown
  --detector ssd|tiny  the face detector (default ssd)
  --threshold <n>      the match distance threshold (default: the gallery's, else 0.6)
  --threads <n>        onnxruntime threads per operator (default FACEFLEET_MODEL_THREADS or 1)
  --attributes         each face as what a person reads: { box, label, distance, age, gender,
                       genderProbability, expression } (the top expression; no landmarks or descriptor)
`;

const command: Command = {
  name: 'recognize',
  summary: 'Recognise the faces in local image files and print JSON',
  usage,
  async run(argv) {
    const parsed = parseCommandLine(argv, {
      gallery: { type: 'string' },
      detector: { type: 'string' },
      threshold: { type: 'string' },
      threads: { type: 'string' },
      files: { type: 'string' },
      attributes: { type: 'boolean' },
    });
    const { values, positionals } = parsed;
    const files = await listImages(positionals, values.files);
    if (files.length === 0) throw new UsageError('give at least one image file or folder (see facefleet recognize --help)');
    const detector = values.detector ?? 'ssd';
    if (detector !== 'ssd' && detector !== 'tiny') throw new UsageError(`--detector must be ssd or tiny, not "${detector}"`);
    const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
    if (threshold !== undefined && !(Number.isFinite(threshold) && threshold > 0)) throw new UsageError(`--threshold must be a positive number, not "${values.threshold}"`);
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads must be a positive integer, not "${values.threads}"`);

    const model = await import('../../../model/index.ts');
    let gallery = model.emptyGallery();
    if (values.gallery) {
      let text: string;
      try {
        text = await readFile(values.gallery, 'utf8');
      } catch (error) {
        throw new Error(`cannot read the gallery ${values.gallery}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      try {
        gallery = model.parseGallery(JSON.parse(text));
      } catch (error) {
        throw new Error(`${values.gallery} is not a valid gallery: ${error instanceof Error ? error.message : String(error)}`);
      }
    }

    const loaded = await model.loadModel({ threads });
    let exitCode = 0;
    for (const file of files) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        process.stderr.write(`facefleet recognize: ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot read the file'}\n`);
        exitCode = 1;
        continue;
      }
      try {
        const result = await loaded.recognize(bytes, gallery, { detector, threshold });
        const faces = values.attributes ? result.faces.map(attributesOf) : result.faces;
        const output = { file: basename(file), width: result.width, height: result.height, label: model.classicLabel(result), faces };
        process.stdout.write(JSON.stringify(output, roundNumbers) + '\n');
      } catch (error) {
        if (!model.isModelInputError(error)) throw error;
        process.stderr.write(`facefleet recognize: ${file}: ${error.message}\n`);
        exitCode = 1;
      }
    }
    return exitCode;
  },
};

/** The images named: files as given, folders expanded to their image files, then the --files list. */
async function listImages(paths: readonly string[], listFile: string | undefined): Promise<string[]> {
  const all = [...paths];
  if (listFile !== undefined) {
    let text: string;
    try {
      text = listFile === '-' ? await readStdin() : await readFile(listFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the file list ${listFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    all.push(...text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''));
  }
  const files: string[] = [];
  for (const path of all) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(path); // a missing file is reported when it is read, with the others going on
      continue;
    }
    const names = (await readdir(path)).filter((name) => /\.(jpe?g|png|webp)$/i.test(name)).sort();
    files.push(...names.map((name) => join(path, name)));
  }
  return files;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A face as `--attributes` shows it: who, where, how old, which gender, which expression. */
function attributesOf(face: RecognizedFace) {
  const [expression] = Object.entries(face.expressions).sort((a, b) => b[1] - a[1]);
  return {
    box: face.box,
    label: face.label,
    distance: face.distance,
    age: face.age,
    gender: face.gender,
    genderProbability: face.genderProbability,
    expression: expression?.[0] ?? null,
  };
}

/** Keeps the JSON readable: coordinates and probabilities to 6 significant decimals. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(7)) : value;
}

export default command;
