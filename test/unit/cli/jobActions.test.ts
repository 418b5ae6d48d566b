/**
 * `facefleet jobs cancel|retry|list` and `facefleet dlq list|redrive` as real processes against a
 * real server (the web bench: the app on 127.0.0.1, embedded adapters): each action's line and exit
 * code, the event it leaves in the job's history, a refusal as one line and exit 1, a usage mistake
 * as exit 2, and the API key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { streamName } from '../../../machines/index.ts';
import { systemClock } from '../../../services/clock.ts';
import { execute, type ExecuteDeps } from '../../../services/supervisor/execute.ts';
import { runFacefleet } from '../../support/cli.ts';
import { form, sampleImage, simulateWorker, startBench, type Bench } from '../web/webHarness.ts';

const API_KEY = 'actions-test-key-1234567890';
let bench: Bench;
before(async () => (bench = await startBench({ app: { apiKey: API_KEY } })));
after(() => bench.close());

const cli = (...args: string[]) => runFacefleet([...args, '--url', bench.url], { env: { FACEFLEET_API_KEY: API_KEY } });

async function submit(): Promise<string> {
  const response = await fetch(`${bench.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY },
    body: form([{ field: 'file', name: 'a.png', bytes: await sampleImage('png') }]),
  });
  return ((await response.json()) as { jobs: Array<{ id: string }> }).jobs[0]!.id;
}

async function types(jobId: string): Promise<string[]> {
  return (await bench.store.read(streamName('job', jobId))).map((e) => e.type);
}

async function drainRequests(): Promise<void> {
  for (const m of await bench.requests.receive({ maxMessages: 10, waitSeconds: 0 })) await bench.requests.delete(m.receiptHandle);
}

describe('given a queued job and a done job', () => {
  it('when `jobs cancel` names the queued one then it prints it cancelled and exits 0', async () => {
    const jobId = await submit();
    const run = await cli('jobs', 'cancel', jobId);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${jobId} cancelled attempts 0/3 cancelled by a client\n`);
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobCancelled']);

    const listed = await cli('jobs', 'list', '--state', 'cancelled');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${jobId} cancelled`, 'm'));
  });

  it('when `jobs cancel` names the done one then one line on stderr with the reason and exit 1', async () => {
    const jobId = await submit();
    await simulateWorker(bench, jobId, { label: 'alice' });
    const run = await cli('jobs', 'cancel', jobId);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^facefleet jobs: DELETE .* answered 409: The job .* is already done/);
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobStarted', 'JobCompleted']);
  });

  it('when `jobs retry` names a failed job then it is queued again with a message sent; an unknown id exits 1', async () => {
    const jobId = await submit();
    await drainRequests();
    await simulateWorker(bench, jobId, { fail: { code: 'model-error', reason: 'onnx exploded' } });
    const run = await cli('jobs', 'retry', jobId);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${jobId} queued attempts 1/4\n`);
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobStarted', 'JobFailed', 'JobRetried']);
    const [message] = await bench.requests.receive({ waitSeconds: 0 });
    assert.deepEqual(JSON.parse(message!.body), { jobId });
    await bench.requests.delete(message!.receiptHandle);

    const unknown = await cli('jobs', 'retry', 'nosuchjob');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /answered 404/);
  });

  it('when the command line is wrong then exit 2 with one line, and nothing is asked of the server', async () => {
    for (const args of [['jobs', 'cancel'], ['jobs', 'fly'], ['dlq', 'redrive', '--max', '0'], ['jobs', 'cancel', 'x', '--url', 'not a url']]) {
      const run = await runFacefleet(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });

  it('when the API key is missing then the server refuses and the CLI exits 1', async () => {
    const jobId = await submit();
    const run = await runFacefleet(['jobs', 'cancel', jobId, '--url', bench.url], { env: { FACEFLEET_API_KEY: '' } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /answered 401/);
    assert.deepEqual(await types(jobId), ['JobSubmitted']);
  });
});

describe('given two dead-lettered jobs', () => {
  let jobs: string[];
  before(async () => {
    jobs = [await submit(), await submit()];
    await drainRequests();
    for (const jobId of jobs) {
      await bench.deadLetters.send(JSON.stringify({ jobId }));
      const [message] = await bench.deadLetters.receive({ waitSeconds: 0 });
      const deps = { store: bench.store, responses: bench.responses, deadLetters: bench.deadLetters, clock: systemClock, log: () => undefined } as unknown as ExecuteDeps;
      await execute(deps, { type: 'FailDeadLettered', jobId, receiptHandle: message!.receiptHandle });
    }
  });

  it('when `dlq list` runs then each is printed with its failure reason', async () => {
    const run = await cli('dlq', 'list');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').sort();
    assert.deepEqual(lines, jobs.map((id) => `${id} failed attempts 0/3 dead-letter: the job was delivered the maximum number of times without a result`).sort());
    assert.equal(run.stderr, '2 dead-lettered jobs\n');
  });

  it('when `dlq redrive --max 1` runs then one is redriven (event and message), and a second run redrives the other', async () => {
    const first = await cli('dlq', 'redrive', '--max', '1');
    assert.equal(first.code, 0, first.stderr);
    const [redriven] = first.stdout.trim().split('\n');
    const id = redriven!.replace(/ redriven$/, '');
    assert.ok(jobs.includes(id), first.stdout);
    assert.deepEqual(await types(id), ['JobSubmitted', 'JobFailed', 'JobRedriven']);
    assert.deepEqual(await bench.requests.depth(), { visible: 1, inFlight: 0 });

    const second = await cli('dlq', 'redrive', '--json');
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { redriven: jobs.filter((j) => j !== id), skipped: [] });
    const again = await cli('dlq', 'redrive', id);
    assert.equal(again.stdout, `${id} skipped: the job is queued, not dead-lettered\n`);
    assert.deepEqual(await bench.requests.depth(), { visible: 2, inFlight: 0 });
  });
});
