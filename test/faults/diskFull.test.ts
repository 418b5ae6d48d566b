/**
 * Fault: the data dir's disk fills up while the fleet runs, then space returns. The data dir is a
 * small tmpfs (mounting needs root: the test is skipped, saying so, without it). While the disk is
 * full an upload gets a clear 503 `storage-unavailable` naming ENOSPC in words — no path, no 500 —
 * reads keep working and nothing already stored is damaged; once space returns, uploads are
 * accepted again and every acknowledged job finishes exactly once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { demoPhoto, enrolDemoSubjects, readModelsMatchReplay } from '../support/facefleetProcess.ts';
import { allSettled, exactlyOnce, facefleetPool, figure, photoName, submitMany } from './faultSupport.ts';

const mountPoint = mkdtempSync(join(tmpdir(), 'facefleet-diskfull-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Fills the file system with one file until it refuses (ENOSPC); returns the file. */
function fillUp(dir: string): string {
  const ballast = join(dir, 'ballast');
  const fd = openSync(ballast, 'w');
  const chunk = Buffer.alloc(256 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return ballast;
}

async function upload(url: string, photo: number, tag: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(demoPhoto(photo))], { type: 'image/jpeg' }), photoName(photo, tag));
  return fetch(`${url}/v1/jobs`, { method: 'POST', body: form });
}

describe('given a fleet whose data dir is on a small disk', { skip: mounted ? false : 'needs root to mount a tmpfs for the data dir', timeout: 240_000 }, () => {
  const pool = facefleetPool();
  after(async () => {
    await pool.cleanupAll();
    if (mounted) execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('when the disk fills up, then uploads get 503 storage-unavailable without a path and reads work; when space returns, uploads are accepted and every acknowledged job finishes once', async () => {
    const dataDir = join(mountPoint, 'data');
    // A short lease: a job handed back for lack of space comes back quickly once there is space.
    const ff = await pool.start({ dataDir, env: { FACEFLEET_CAP: '2', FACEFLEET_VISIBILITY_TIMEOUT_SECONDS: '3', FACEFLEET_MAX_RECEIVES: '20' } });
    await enrolDemoSubjects(ff.url);
    const before = await submitMany(ff.url, 6, 'before-');
    await allSettled(ff.url, 120_000);

    const ballast = fillUp(mountPoint);
    const refused: Array<{ status: number; code: string; message: string; retryAfter: string | null }> = [];
    const acceptedWhileFull: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await upload(ff.url, (i % 6) + 1, `full-${i}`);
      const body = (await answer.json()) as { error?: { code: string; message: string }; jobs?: Array<{ id: string }> };
      if (answer.status === 202) acceptedWhileFull.push(...(body.jobs ?? []).map((j) => j.id));
      else refused.push({ status: answer.status, code: body.error?.code ?? '', message: body.error?.message ?? '', retryAfter: answer.headers.get('retry-after') });
    }
    assert.ok(refused.length > 0, 'the full disk refused uploads');
    for (const r of refused) {
      assert.equal(r.status, 503, JSON.stringify(r));
      assert.equal(r.code, 'storage-unavailable');
      assert.match(r.message, /ENOSPC|SQLITE_FULL|disk is full/);
      assert.doesNotMatch(r.message, new RegExp(mountPoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no path in the message');
      assert.equal(r.retryAfter, '30');
    }
    assert.equal((await fetch(`${ff.url}/v1/jobs?limit=5`)).status, 200, 'reads work on a full disk');
    assert.equal((await fetch(`${ff.url}/healthz`)).status, 200);

    rmSync(ballast); // space returns
    const afterwards = await submitMany(ff.url, 6, 'after-');
    const counts = await allSettled(ff.url, 180_000);
    assert.equal(counts.failed ?? 0, 0, 'no job failed');
    const acknowledged = [...before.keys(), ...acceptedWhileFull, ...afterwards.keys()];
    const check = await exactlyOnce(ff.dataDir, { jobIds: acknowledged });
    assert.deepEqual(check.problems, [], 'every acknowledged job done exactly once');
    for (const kind of ['job', 'instance'] as const) assert.deepEqual((await readModelsMatchReplay(ff.dataDir, kind)).mismatches, [], `${kind} read models equal their replay`);

    figure('disk-full', { refusedWhileFull: refused.length, acceptedWhileFull: acceptedWhileFull.length, acknowledged: acknowledged.length, refusedStatus: refused[0]?.status });
  });
});
