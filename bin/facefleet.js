#!/usr/bin/env node
// The `facefleet` command: registers tsx so the TypeScript sources run as they are, then hands
// over to the CLI. Worker child processes are started the same way (see app/cli).
//
// onnxruntime-node 1.30 overflows its stack (SIGSEGV inside InferenceSession.create) when the
// process's command line is longer than about 28 KB, e.g. ~650 file paths. So a facefleet started
// with a long command line starts itself again with a short one and hands the arguments over a
// pipe (fd 3): no facefleet process that loads the model ever has a long command line.
// The web tier's file work (multipart temp files, blob writes and their fsyncs, image headers) runs
// on libuv's thread pool; its default of 4 threads queues submissions behind fsyncs. Read once, when
// the pool starts (first use, after this line); an explicit UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= '16';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const MAX_COMMAND_LINE_BYTES = 16 * 1024;
const commandLineBytes = process.argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);

if (process.env.FACEFLEET_ARGV_FD === '3') {
  delete process.env.FACEFLEET_ARGV_FD;
  process.argv = [process.argv[0], process.argv[1], ...JSON.parse(readFileSync(3, 'utf8'))];
} else if (commandLineBytes > MAX_COMMAND_LINE_BYTES) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, FACEFLEET_ARGV_FD: '3' },
  });
  child.stdio[3].end(JSON.stringify(process.argv.slice(2)));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + 1 : 1))));
  process.exit(code);
}

register();
await import('../app/cli/main.ts');
