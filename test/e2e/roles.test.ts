/**
 * `facefleet start --role` with real processes on one embedded data dir: two supervisors share the
 * lease in the data dir, exactly one decides, and when it is killed (no goodbye, SIGKILL) the
 * standby takes over once the lease lapses; a `web` process never supervises, and its idle
 * keep-alive outlives a load balancer's 60 s idle timeout (keepAliveSeconds, default 75).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startFacefleet, type FacefleetProcess } from '../support/facefleetProcess.ts';
import { waitFor } from '../support/waitFor.ts';

const leads = (p: FacefleetProcess) => /supervisor lease taken by/.test(p.output());
const standsBy = (p: FacefleetProcess) => /supervisor standing by: the lease is held by/.test(p.output());

/** The Keep-Alive header of one response. */
function keepAliveHeader(url: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['keep-alive'])));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('start --role on one data dir (embedded, real processes)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'facefleet-roles-'));
  const started: FacefleetProcess[] = [];
  const env = { FACEFLEET_CAP: '0', FACEFLEET_SUPERVISOR_LEASE_SECONDS: '1.5' };
  after(async () => {
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('given two supervisors and a web process, then one supervisor decides, the other stands by, and the web process never supervises', async () => {
    const [a, b, web] = await Promise.all([
      startFacefleet({ dataDir, env, args: ['--role', 'supervisor'] }),
      startFacefleet({ dataDir, env, args: ['--role', 'supervisor'] }),
      startFacefleet({ dataDir, env, args: ['--role', 'web'] }),
    ]);
    started.push(a, b, web);
    await waitFor(() => (leads(a) && standsBy(b)) || (leads(b) && standsBy(a)), { timeoutMs: 15_000, what: 'one leader and one standby' });
    assert.equal([a, b].filter(leads).length, 1);
    assert.doesNotMatch(web.output(), /supervisor lease|backlog \d/, 'a web process has no supervisor');
    assert.equal(await keepAliveHeader(web.url), 'timeout=75');

    // when the leader is killed without a goodbye, then the standby takes over after the lease lapses
    const [leader, standby] = leads(a) ? [a, b] : [b, a];
    await leader.stop('SIGKILL');
    await waitFor(() => leads(standby), { timeoutMs: 15_000, what: 'the standby to take the lease' });

    // when the web process stops, then it says nothing about the fleet (it never touches it)
    assert.equal(await web.stop(), 0);
    assert.doesNotMatch(web.output(), /stopped \d+ instance/);
  });
});
