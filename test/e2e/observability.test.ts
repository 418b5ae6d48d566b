/**
 * Watching a small run: GET /metrics scraped after four classic requests (and the fleet back to
 * zero) must agree with the run — jobs, instances, launches, histograms, HTTP requests — and the
 * logs must be one JSON line per lifecycle step, worker lines carrying their instance id, with no
 * absolute path in any line. The system runs in this process (startFacefleet), its workers as real
 * processes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessFacefleet } from '../support/facefleetInProcess.ts';
import { postClassic, repoRoot } from '../support/facefleetProcess.ts';
import { waitFor } from '../support/waitFor.ts';

/** `name{labels} value` lines of the Prometheus text: the value of the first series whose name and labels match. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('given a facefleet that answered four classic requests and went back to zero', { timeout: 300_000 }, () => {
  let ff: InProcessFacefleet;
  let text = '';
  let instances = 0;

  before(async () => {
    ff = await startInProcess({ env: { FACEFLEET_CAP: '2' } });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => postClassic(ff.url, n, `photo-${n}.jpg`)));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
    const counts = await waitFor(async () => {
      const c = (await (await fetch(`${ff.url}/v1/counts`)).json()) as { jobs: Record<string, number>; instances: Record<string, number> };
      const live = Object.entries(c.instances).filter(([s, n]) => s !== 'terminated' && n > 0).length;
      return live === 0 && (c.instances.terminated ?? 0) > 0 ? c : undefined;
    }, { timeoutMs: 60_000 });
    instances = counts.instances.terminated ?? 0;
    // The change feed reaches the metrics a moment after the stores: wait for the last boot and job.
    text = await waitFor(async () => {
      const body = await (await fetch(`${ff.url}/metrics`)).text();
      return metric(body, 'facefleet_instance_boot_seconds_count') === instances && metric(body, 'facefleet_jobs_finished_total', { state: 'done' }) === 4 ? body : undefined;
    }, { timeoutMs: 10_000 });
  });
  after(async () => {
    await ff?.stop();
    ff?.cleanup();
  });

  it('when /metrics is scraped, then jobs, queues and instances by state equal the run', () => {
    assert.equal(metric(text, 'facefleet_jobs', { state: 'done' }), 4);
    assert.equal(metric(text, 'facefleet_jobs', { state: 'queued' }), 0);
    assert.equal(metric(text, 'facefleet_instances', { state: 'terminated' }), instances);
    assert.equal(metric(text, 'facefleet_instances', { state: 'polling' }), 0);
    assert.equal(metric(text, 'facefleet_queue_messages', { queue: 'requests', kind: 'visible' }), 0);
    assert.equal(metric(text, 'facefleet_queue_messages', { queue: 'requests', kind: 'in_flight' }), 0);
  });

  it('when /metrics is scraped, then the histograms counted every job and every boot', () => {
    for (const name of ['facefleet_job_queue_wait_seconds', 'facefleet_job_processing_seconds', 'facefleet_job_end_to_end_seconds', 'facefleet_model_seconds']) {
      assert.equal(metric(text, `${name}_count`), 4, name);
      assert.ok((metric(text, `${name}_sum`) ?? 0) > 0, `${name}_sum`);
    }
    assert.equal(metric(text, 'facefleet_instance_boot_seconds_count'), instances);
    assert.ok((metric(text, 'facefleet_idle_seconds') ?? 0) >= 1, 'idle time at least the 1 s floor');
  });

  it('when /metrics is scraped, then the supervisor launches and the HTTP requests are counted', () => {
    assert.equal(metric(text, 'facefleet_supervisor_launches_total'), instances);
    assert.equal(metric(text, 'facefleet_supervisor_forced_terminations_total') ?? 0, 0);
    assert.equal(metric(text, 'facefleet_http_requests_total', { method: 'POST', route: '/', status: '200' }), 4);
  });

  it('when the logs are read, then each is one JSON line, the jobs have their steps and no line names an absolute path', async () => {
    const parse = () => ff.output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // Lifecycle lines follow the change feed, a moment after the stores (and the counts) change.
    const lines = await waitFor(async () => {
      const all = parse();
      return all.some((l) => l.event === 'instance' && l.state === 'terminated') ? all : undefined;
    }, { timeoutMs: 10_000, what: 'an instance-terminated log line' });
    const done = lines.filter((l) => l.event === 'job' && l.state === 'done');
    assert.equal(new Set(done.map((l) => l.jobId)).size, 4);
    for (const l of done) assert.ok(typeof l.totalMs === 'number' && typeof l.instanceId === 'string');
    assert.ok(lines.some((l) => l.event === 'instance' && l.state === 'terminated'));
    const workerLines = readdirSync(join(ff.dataDir, 'logs')).flatMap((f) =>
      readFileSync(join(ff.dataDir, 'logs', f), 'utf8').trim().split('\n').map((l) => ({ file: f, line: JSON.parse(l) as Record<string, unknown> })),
    );
    assert.ok(workerLines.some((w) => w.line.state === 'done'));
    for (const w of workerLines) assert.equal(`${String(w.line.instanceId)}.log`, w.file);
    const all = [...ff.output().split('\n'), ...workerLines.map((w) => JSON.stringify(w.line))];
    assert.deepEqual(all.filter((l) => l.includes(ff.dataDir) || l.includes(repoRoot)), [], 'no absolute path');
  });
});
