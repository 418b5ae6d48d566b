/** machines/ is pure: its files import nothing but xstate, zod and each other (read from their import lines). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const machinesDir = join(dirname(fileURLToPath(import.meta.url)), '../../../machines');

function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]/g)) found.push(match[1] as string);
  for (const match of source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(match[1] as string);
  for (const match of source.matchAll(/\b(?:import|require)\s*\(\s*['"`]([^'"`]+)['"`]/g)) found.push(match[1] as string);
  return found;
}

describe('given the files of machines/', () => {
  const files = readdirSync(machinesDir).filter((f) => f.endsWith('.ts'));

  it('when their imports are read, then each is xstate, zod or a sibling file', () => {
    assert.ok(files.length >= 5);
    for (const file of files) {
      for (const spec of specifiers(readFileSync(join(machinesDir, file), 'utf8'))) {
        const allowed = spec === 'xstate' || spec === 'zod' || /^\.\/[A-Za-z0-9]+\.ts$/.test(spec);
        assert.ok(allowed, `${file} imports "${spec}"`);
      }
    }
  });

  it('when their code is read, then none reads a clock or a random source', () => {
    for (const file of files) {
      const code = readFileSync(join(machinesDir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      assert.doesNotMatch(code, /\bDate\.now\(|new Date\(|Math\.random\(|performance\.now\(/, file);
    }
  });
});
