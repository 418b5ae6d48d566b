/**
 * What the bad-input suites share: a facefleet data dir laid out for inspection, the list of
 * everything a request could have written (events, read models, queue messages, blobs by content,
 * temp upload files), the server's RSS, and the check that an error body is our shape with a useful
 * message and nothing of the server's insides.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { repoRoot } from '../../support/facefleetProcess.ts';
import { filesUnder } from './webHarness.ts';

export interface ErrorBody {
  error: { code: string; message: string };
}

/** A temp root with the server's data dir and its os.tmpdir() (where temp uploads go). */
export function badInputDirs(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const childTmp = join(root, 'tmp');
  return { root, dataDir: join(root, 'data'), childTmp, uploadDir: join(childTmp, 'facefleet-uploads') };
}

/** The resident set size of a process, MB. */
export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

/** Everything a request could have written (blobs by name and content: the gallery keeps its name). */
export function written(dirs: { dataDir: string; uploadDir: string }): Record<string, unknown> {
  const blobsDir = join(dirs.dataDir, 'blobs');
  const db = new Database(join(dirs.dataDir, 'facefleet.db'), { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      events: count('events'),
      readModels: count('read_models'),
      messages: count('queue_messages'),
      blobs: filesUnder(blobsDir).map((f) => `${f} ${createHash('sha256').update(readFileSync(join(blobsDir, f))).digest('hex').slice(0, 16)}`),
      uploads: filesUnder(dirs.uploadDir),
    };
  } finally {
    db.close();
  }
}

/** The body is our error shape with a useful message and nothing of the server's insides. */
export function assertCleanError(text: string, label: string, root: string): ErrorBody {
  let body: ErrorBody;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    assert.fail(`${label}: not JSON: ${text.slice(0, 200)}`);
  }
  assert.deepEqual(Object.keys(body), ['error'], label);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], label);
  assert.match(body.error.code, /^[a-z-]+$/, label);
  assert.ok(body.error.message.length > 10 && body.error.message.length < 600, `${label}: ${body.error.message}`);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(body.error.message, /[\u0000-\u001f\u007f]/, label);
  assert.doesNotMatch(text, /\n\s+at |\bat \S+:\d+:\d+|node_modules|\.ts\b|\.js:\d|(^|[\s"'(])\/(home|tmp|work|var|usr|etc|proc|root|opt)\//i, label);
  for (const secret of [root, repoRoot, tmpdir()]) assert.ok(!text.includes(secret), `${label}: leaks ${secret}`);
  return body;
}
