/**
 * Runs the real `facefleet` command (`node bin/facefleet.js …`) as its own process and resolves to
 * its exit code and output; standard input is closed, or the given text.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './facefleetProcess.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runFacefleet(args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'facefleet.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}
