/**
 * A temporary directory for one test: made under the OS temp dir, removed (with everything in it)
 * by `cleanup()`, which is safe to call twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** Absolute path of the directory. */
  path: string;
  /** `path` joined with the given parts. */
  file(...parts: string[]): string;
  /** Removes the directory and its contents. */
  cleanup(): Promise<void>;
}

/** Makes a fresh temporary directory whose name starts with `facefleet-<prefix>-`. */
export function makeTempDir(prefix = 'test'): TempDir {
  const path = mkdtempSync(join(tmpdir(), `facefleet-${prefix}-`));
  return {
    path,
    file: (...parts) => join(path, ...parts),
    cleanup: async () => rmSync(path, { recursive: true, force: true }),
  };
}
