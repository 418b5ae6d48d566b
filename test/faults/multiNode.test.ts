/**
 * Many web tiers, one supervisor, on the emulated AWS stack (fauxqs, dynalite, the EC2 test server
 * whose instances are real `facefleet worker` processes): two `start --role web` processes, one
 * `start --role supervisor` and a second one on standby. The load generator alternates between the
 * two web URLs (each request with its own Idempotency-Key, retried on the other URL when a web
 * process does not answer, as a load balancer would); one web process and then the deciding
 * supervisor are killed (SIGKILL) mid-run. Then: every classic request is answered with the right
 * name, every accepted job completed exactly once, the fleet never ran more instances than the
 * cap, and the standby took the lease over.
 *
 * Short form (in `npm test`): 18 requests. `FACEFLEET_FAULTS_FULL=1` (`npm run test:faults`): 300.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startAwsStack, type AwsStack } from '../support/awsStack.ts';
import { demoPhoto, enrolDemoSubjects, type FacefleetProcess } from '../support/facefleetProcess.ts';
import { waitFor } from '../support/waitFor.ts';

const full = process.env.FACEFLEET_FAULTS_FULL === '1';
const requests = full ? 300 : 18;
const cap = 3;
const leaseSeconds = 3;

const leads = (p: FacefleetProcess) => /supervisor lease taken by/.test(p.output());

interface Answer {
  status: number;
  text: string;
  jobId: string | null;
  /** Which web URL answered, and how many tries it took. */
  url: string;
  tries: number;
}

/** `POST /` with demo photo `photo`; on no answer (a killed web tier) the same request goes to the next URL. */
async function classic(urls: () => string[], first: number, photo: number, name: string, key: string): Promise<Answer> {
  const bytes = readFileSync(demoPhoto(photo));
  for (let tries = 1; ; tries += 1) {
    const live = urls();
    const url = live[(first + tries - 1) % live.length]!;
    const form = new FormData();
    form.append('inputFile', new Blob([bytes], { type: 'image/jpeg' }), `${name}.jpg`);
    try {
      const response = await fetch(`${url}/`, { method: 'POST', body: form, headers: { 'Idempotency-Key': key }, signal: AbortSignal.timeout(150_000) });
      const text = await response.text();
      // 503: that web tier is stopping; a balancer would send the request elsewhere.
      if (response.status !== 503 || tries >= 10) return { status: response.status, text, jobId: response.headers.get('x-job-id'), url, tries };
    } catch (error) {
      if (tries >= 10) throw error;
    }
  }
}

describe('two web tiers, a supervisor and a standby on the emulated AWS stack', { timeout: full ? 900_000 : 300_000 }, () => {
  let stack: AwsStack;
  let webs: FacefleetProcess[] = [];
  let supervisors: FacefleetProcess[] = [];
  before(async () => {
    stack = await startAwsStack({ env: { FACEFLEET_CAP: String(cap), FACEFLEET_SUPERVISOR_LEASE_SECONDS: String(leaseSeconds) } });
    await stack.provision();
    webs = await Promise.all([stack.start({ args: ['--role', 'web'] }), stack.start({ args: ['--role', 'web'] })]);
    const first = await stack.start({ args: ['--role', 'supervisor'] });
    await waitFor(() => leads(first), { timeoutMs: 30_000, what: 'the first supervisor to take the lease' });
    const standby = await stack.start({ args: ['--role', 'supervisor'] });
    await waitFor(() => /supervisor standing by/.test(standby.output()), { timeoutMs: 30_000, what: 'the second supervisor to stand by' });
    supervisors = [first, standby];
    await enrolDemoSubjects(webs[0]!.url);
  });
  after(async () => {
    await stack?.stop();
  });

  it(`given ${requests} classic requests alternating between the web tiers, when one web tier and then the deciding supervisor are killed mid-run, then every request is answered, every job completes exactly once, the cap holds and the standby takes over`, () =>
    stack.explain(async () => {
      const [webA, webB] = webs as [FacefleetProcess, FacefleetProcess];
      const [active, standby] = supervisors as [FacefleetProcess, FacefleetProcess];
      let webBAlive = true;
      const liveUrls = () => (webBAlive ? [webA.url, webB.url] : [webA.url]);

      // The cap, watched on the EC2 side: instances pending, running or shutting down at once.
      let maxAlive = 0;
      let watching = true;
      const watch = (async () => {
        while (watching) {
          maxAlive = Math.max(maxAlive, stack.ec2.instances().filter((i) => i.state !== 'terminated').length);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();

      let sent = 0;
      const answers: Array<Answer & { photo: number; name: string }> = [];
      const kills: Promise<unknown>[] = [];
      const next = async (): Promise<void> => {
        for (let i = sent++; i < requests; i = sent++) {
          // Mid-run: web tier B once it has answered some, the deciding supervisor a little later.
          if (webBAlive && i >= Math.floor(requests / 3) && answers.some((a) => a.url === webB.url)) {
            webBAlive = false;
            kills.push(webB.stop('SIGKILL'));
          }
          if (!webBAlive && kills.length === 1 && i >= Math.floor(requests / 2)) kills.push(active.stop('SIGKILL'));
          const photo = (i % 6) + 1;
          const name = `photo-${i}`;
          answers.push({ ...(await classic(liveUrls, i, photo, name, `multi-node-${i}`)), photo, name });
        }
      };
      await Promise.all(Array.from({ length: 6 }, next));
      await Promise.all(kills);
      watching = false;
      await watch;

      assert.equal(answers.length, requests);
      for (const a of answers) {
        assert.equal(a.status, 200, `${a.name} (${a.url}, ${a.tries} tries): ${a.text}`);
        assert.equal(a.text, `${a.name}:person${a.photo}`);
      }
      assert.equal(kills.length, 2, 'web tier B and the deciding supervisor were killed mid-run');
      assert.ok(answers.some((a) => a.url === webB.url), 'the killed web tier answered some before it died');
      const jobIds = answers.map((a) => a.jobId);
      assert.equal(new Set(jobIds).size, requests, 'one job per request, retries included');
      for (const jobId of jobIds) {
        const types = (await stack.store.read(`job-${jobId}`)).map((e) => e.type);
        assert.equal(types.filter((t) => t === 'JobCompleted').length, 1, `job ${jobId} completed once: ${types.join(' ')}`);
      }
      assert.ok(maxAlive <= cap, `at most ${cap} instances at once (saw ${maxAlive})`);
      assert.ok(maxAlive >= 1);
      assert.ok(leads(standby), 'the standby took the lease over');
      assert.match(standby.output(), /supervisor standing by/);
    }));
});
