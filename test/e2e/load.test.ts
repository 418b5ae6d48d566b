/**
 * The workload generator against a real facefleet (started in this process through `startFacefleet`): six demo
 * people enrolled, then `facefleet load` run as a CLI process in both modes, its JSON report and
 * exit code checked.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '../../client/load/types.ts';
import { enrolDemoPeople, startLoadTarget, writeDemoFolder, type LoadTarget } from '../support/loadTarget.ts';
import { makeTempDir } from '../support/tempDir.ts';

const bin = fileURLToPath(new URL('../../bin/facefleet.js', import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'load', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('given a running facefleet with the six demo people enrolled', { timeout: 600_000 }, () => {
  const dir = makeTempDir('load-e2e');
  const photos = dir.file('photos');
  let target: LoadTarget;
  // sample3's expected label is deliberately wrong in wrong.csv.
  const wrongCsv = writeDemoFolder(photos, dir.file('wrong.csv'), ['sample3']);
  const rightCsv = writeDemoFolder(photos, dir.file('right.csv'));

  before(async () => {
    target = await startLoadTarget({ dataDir: dir.file('data'), inProcess: true });
    await enrolDemoPeople(target.url, photos);
  });
  after(async () => {
    await target?.stop();
    await dir.cleanup();
  });

  const load = (mode: string, csv: string, json: string, folder = photos, requests = '8') =>
    runCli(['--url', target.url.href, '--images', folder, '--requests', requests, '--concurrency', '4', '--mode', mode, '--expect', csv, '--json', json, '--timeout', '180']);
  const reportOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as LoadReport;

  for (const mode of ['classic', 'v1']) {
    it(`when 8 requests go in ${mode} mode with one wrong expectation, then 8 ok, 7 correct, 1 wrong and exit 1`, async () => {
      const json = dir.file(`${mode}-wrong.json`);
      const result = await load(mode, wrongCsv, json);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const report = reportOf(json);
      const { requests, ok, failed, correct, wrong, unchecked } = report.summary;
      assert.deepEqual({ requests, ok, failed, correct, wrong, unchecked }, { requests: 8, ok: 8, failed: 0, correct: 7, wrong: 1, unchecked: 0 }, result.stdout);
      assert.deepEqual(report.records.filter((r) => r.check === 'wrong').map((r) => [r.image, r.label, r.expected]), [['sample3.jpg', 'person-3', 'not-person-3']]);
      assert.equal(report.records.length, 8);
      assert.ok(report.records.every((r) => r.latencyMs > 0 && r.finishedAt >= r.startedAt));
      if (mode === 'v1') assert.ok(report.records.every((r) => typeof r.jobId === 'string'));
      assert.match(result.stdout, /requests +8\n +ok +8\n +failed +0\n +correct +7\n +wrong +1\n +unchecked +0\n/);
      assert.match(result.stdout, /latency +p50 \S+ +p90 \S+ +p99 \S+ +max \S+/);
      assert.match(result.stdout, /latency histogram/);
    });
  }

  it('when every expectation is right (v1), then exit 0', async () => {
    const json = dir.file('v1-right.json');
    const result = await load('v1', rightCsv, json, photos, '6');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(reportOf(json).summary.correct, 6);
  });

  it('when an image is not a picture (classic), then that request fails and exit 1', async () => {
    const broken = dir.file('broken');
    mkdirSync(broken);
    writeFileSync(dir.file('broken', 'sample1.jpg'), 'this is not a JPEG');
    const json = dir.file('broken.json');
    const result = await load('classic', rightCsv, json, broken, '1');
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const report = reportOf(json);
    assert.equal(report.summary.failed, 1);
    assert.match(report.records[0]!.error ?? '', /\S/);
  });
});
