/**
 * Bundles the worker (app/cli/workerMain.ts and everything of ours it imports) into one
 * JavaScript file with esbuild, so worker processes start with plain `node` instead of compiling
 * TypeScript through tsx on every boot (about a second saved per instance on a 2-core machine).
 * Packages stay external (loaded from node_modules), so the bundle must live inside the repository:
 * `dist/facefleet-worker.mjs`. `import.meta.url` is replaced by each source file's own URL, so paths computed
 * from it (the ONNX folder, the repository root) stay what they are when run from source.
 * A failed build is not fatal: callers fall back to running the worker through tsx.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The name says what the process is in `ps` (and the tests find worker processes by it).
export const workerBundlePath = join(repoRoot, 'dist', 'facefleet-worker.mjs');

/** Builds dist/facefleet-worker.mjs (atomically: several processes may build at once). Resolves to its path. */
export async function buildWorkerBundle(outFile = workerBundlePath): Promise<string> {
  const { build } = await import('esbuild');
  const temp = `${outFile}.${process.pid}.${Date.now()}.tmp`;
  mkdirSync(dirname(outFile), { recursive: true });
  await build({
    entryPoints: [join(repoRoot, 'app', 'cli', 'workerMain.ts')],
    outfile: temp,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    plugins: [
      {
        name: 'source-import-meta-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  renameSync(temp, outFile);
  return outFile;
}
