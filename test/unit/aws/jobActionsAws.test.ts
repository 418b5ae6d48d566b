/**
 * The job actions on the AWS backend (SQS, S3 and DynamoDB emulated in-process on 127.0.0.1): the
 * same app and worker loop as the embedded tests, on the aws runtime's ports after
 * `facefleet provision --backend aws`. The two races of issue 16 with exactly-once outcomes in the
 * DynamoDB event history: cancel while the worker holds the job; redrive while the worker polls.
 * The redrive runs first: a stopped worker's last long poll can still take a message server-side,
 * which the next test would then not see for the visibility timeout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../../app/config.ts';
import { createRuntime, type Runtime } from '../../../app/runtime.ts';
import { streamName } from '../../../machines/index.ts';
import type { Gallery } from '../../../model/index.ts';
import { createApiServices, type ApiServices } from '../../../services/api.ts';
import { execute, type ExecuteDeps } from '../../../services/supervisor/execute.ts';
import { createWorker, type Worker } from '../../../services/worker/worker.ts';
import { createApp } from '../../../web/app.ts';
import { startDynaliteEmulator, startFauxqsEmulator, type Dynalite, type Fauxqs } from '../../support/emulators.ts';
import { storeReadModelsMatchReplay } from '../../support/facefleetProcess.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { form, sampleImage } from '../web/webHarness.ts';
import { fakeCompute, fakeRecognizer, fastSettings } from '../worker/harness.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const prefix = `ffa${randomUUID().slice(0, 6)}`;
const dir = makeTempDir('actions-aws');
let fauxqs: Fauxqs;
let dynalite: Dynalite;
let env: Record<string, string>;
let runtime: Runtime;
let services: ApiServices;
let server: Server;
let url: string;
const workers: Worker[] = [];

before(async () => {
  [fauxqs, dynalite] = await Promise.all([startFauxqsEmulator(), startDynaliteEmulator()]);
  env = {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    FACEFLEET_AWS_REGION: 'us-east-1',
    FACEFLEET_AWS_ENDPOINT_SQS: fauxqs.endpoint,
    FACEFLEET_AWS_ENDPOINT_S3: fauxqs.endpoint,
    FACEFLEET_AWS_ENDPOINT_DYNAMODB: dynalite.endpoint,
    FACEFLEET_AWS_NAME_PREFIX: prefix,
  };
  Object.assign(process.env, env);
  await promisify(execFile)(process.execPath, [join(root, 'bin/facefleet.js'), 'provision', '--backend', 'aws'], { env: { ...process.env, ...env }, cwd: root });
  const { config } = loadConfig({ flags: { backend: 'aws', dataDir: dir.path }, env: process.env });
  runtime = await createRuntime(config, { role: 'main' });
  services = createApiServices({ ...runtime, maxAttempts: 3, detector: 'ssd', threshold: 0.6, onWarning: () => undefined });
  server = createServer(createApp(services, { uploadDir: dir.file('uploads'), logError: (error) => console.error(error) }).callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop({ abort: true }).catch(() => undefined)));
  server?.closeAllConnections();
  server?.close();
  await services?.close();
  await runtime?.close();
  for (const key of Object.keys(env ?? {})) delete process.env[key];
  await Promise.all([fauxqs?.stop(), dynalite?.stop()]);
  await dir.cleanup();
});

function startWorker(gate?: () => Promise<void>): Worker {
  const recognizer = fakeRecognizer(gate ? { gate } : {});
  const worker = createWorker({
    ...runtime,
    compute: fakeCompute(),
    loadRecognizer: async () => recognizer,
    gallery: async () => ({ version: 1, subjects: [] }) as unknown as Gallery,
    instanceId: runtime.clock.newId(),
    settings: { ...fastSettings, pollWaitSeconds: 1, emptyPollsToTerminate: 100_000 },
    log: () => undefined,
  });
  workers.push(worker);
  return worker;
}

async function submit(): Promise<string> {
  const response = await fetch(`${url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'a.png', bytes: await sampleImage('png') }]) });
  assert.equal(response.status, 202);
  return ((await response.json()) as { jobs: Array<{ id: string }> }).jobs[0]!.id;
}

const types = async (jobId: string) => (await runtime.store.read(streamName('job', jobId))).map((e) => e.type);

describe('given the aws backend and a dead-lettered job', () => {
  it('when it is redriven while a worker polls then it is listed before, done exactly once after', async () => {
    const jobId = await submit();
    // Take its message off the queue, as the dead-letter redrive of SQS would, and fail it as the supervisor does.
    const [message] = await runtime.requests.receive({ maxMessages: 1, waitSeconds: 2 });
    await runtime.requests.delete(message!.receiptHandle);
    await runtime.deadLetters.send(JSON.stringify({ jobId }));
    const [letter] = await runtime.deadLetters.receive({ waitSeconds: 2 });
    const deps = { store: runtime.store, responses: runtime.responses, deadLetters: runtime.deadLetters, clock: runtime.clock, log: () => undefined } as unknown as ExecuteDeps;
    await execute(deps, { type: 'FailDeadLettered', jobId, receiptHandle: letter!.receiptHandle });
    const listed = (await (await fetch(`${url}/v1/dead-letters`)).json()) as { items: Array<{ id: string; error: { code: string } }> };
    assert.deepEqual(listed.items.map((j) => [j.id, j.error.code]), [[jobId, 'dead-letter']]);

    const worker = startWorker();
    const polled = worker.next('empty');
    const completed = worker.next('jobCompleted');
    await worker.start();
    await polled;
    const response = await fetch(`${url}/v1/dead-letters/redrive`, { method: 'POST', body: JSON.stringify({ max: 5 }), headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await response.json(), { redriven: [jobId], skipped: [] });
    assert.equal((await completed).jobId, jobId);
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobFailed', 'JobRedriven', 'JobStarted', 'JobCompleted']);
    await worker.stop();
  });
});

describe('given the aws backend and a worker holding a job', () => {
  it('when the job is cancelled then 202, and the history ends in one JobCancelled with no completion', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const worker = startWorker(() => held);
    const started = worker.next('jobStarted');
    await worker.start();
    const jobId = await submit();
    assert.equal((await started).jobId, jobId);
    const response = await fetch(`${url}/v1/jobs/${jobId}`, { method: 'DELETE' });
    assert.equal(response.status, 202);
    const skipped = worker.next('jobSkipped');
    release();
    assert.deepEqual(await skipped, { jobId, reason: 'cancelled' });
    assert.deepEqual(await types(jobId), ['JobSubmitted', 'JobStarted', 'JobCancelRequested', 'JobCancelled']);
    const job = (await (await fetch(`${url}/v1/jobs/${jobId}`)).json()) as { state: string };
    assert.equal(job.state, 'cancelled');
    await worker.stop();
    const { checked, mismatches } = await storeReadModelsMatchReplay(runtime.store, 'job');
    assert.equal(checked, 2);
    assert.deepEqual(mismatches, [], 'every DynamoDB job row equals the fold of its events');
  });
});
