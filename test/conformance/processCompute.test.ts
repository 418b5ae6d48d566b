/**
 * The child-process compute: the shared conformance suite, then what only it promises — logs, exit
 * codes, SIGKILL after the grace, a registry that outlives the main process, pid reuse.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createProcessCompute } from '../../adapters/embedded/processCompute.ts';
import type { ProcessComputeOptions } from '../../adapters/embedded/processCompute.ts';
import type { Compute } from '../../adapters/ports.ts';
import { waitFor } from '../support/waitFor.ts';
import { computeConformance } from './compute.suite.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const fakeWorker = join(root, 'test/support/fakeWorker.ts');
const adapterPath = join(root, 'adapters/embedded/processCompute.ts');
const command = [process.execPath, '--import', 'tsx', fakeWorker];

interface Report {
  instanceId: string;
  selfId: string | null;
  pid: number;
  echo: string | null;
  secrets: string[];
}

/** A temp folder with a registry, an output folder for the fake workers' reports and a log folder. */
async function workspace() {
  const dir = await mkdtemp(join(tmpdir(), 'facefleet-compute-'));
  const paths = { dir, registryFile: join(dir, 'instances.json'), outDir: dir, logDir: join(dir, 'logs') };
  const options = (extra: Partial<ProcessComputeOptions> = {}): ProcessComputeOptions => ({
    command,
    cwd: root,
    env: { FAKE_WORKER_OUT: paths.outDir, FAKE_WORKER_MAX_MS: '30000' },
    logDir: paths.logDir,
    registryFile: paths.registryFile,
    ...extra,
  });
  const report = (instanceId: string): Promise<Report> =>
    waitFor(async () => JSON.parse(await readFile(join(paths.outDir, `${instanceId}.json`), 'utf8')) as Report, {
      timeoutMs: 15_000,
      what: `the report of ${instanceId}`,
    });
  /** Terminates what is still running, awaits the exits, removes the folder. */
  const cleanup = async (compute: Compute): Promise<void> => {
    for (const d of await compute.describe()) if (d.status !== 'exited') await compute.terminate(d.providerId);
    await waitFor(async () => (await compute.describe()).every((d) => d.status === 'exited'), { timeoutMs: 15_000, what: 'every instance exited' });
    await rm(dir, { recursive: true, force: true });
  };
  return { paths, options, report, cleanup };
}

computeConformance('processes', async () => {
  const ws = await workspace();
  const compute = createProcessCompute(ws.options());
  return {
    compute,
    reportedSelfId: async (instance) => (await ws.report(instance.instanceId)).selfId ?? 'none',
    cleanup: () => ws.cleanup(compute),
  };
});

const statusOf = async (compute: Compute, providerId: string) => (await compute.describe()).find((d) => d.providerId === providerId);

describe('Process compute', () => {
  let ws: Awaited<ReturnType<typeof workspace>>;
  let compute: Compute;
  before(async () => {
    ws = await workspace();
    compute = createProcessCompute(ws.options({ graceMs: 300 }));
  });
  after(() => ws.cleanup(compute));

  describe('given the main process (not a worker)', () => {
    it('when selfId is asked, then it is undefined', async () => {
      assert.equal(process.env.FACEFLEET_PROVIDER_ID, undefined);
      assert.equal(await compute.selfId(), undefined);
    });

    it('when an unusable instance id is launched, then launch throws and nothing is registered', async () => {
      await assert.rejects(compute.launch({ instanceIds: ['../x'] }), /no instance launched/);
      assert.equal((await compute.describe()).length, 0);
    });
  });

  describe('given a main process whose environment holds an API key and cloud credentials', () => {
    it('when an instance is launched, then none of them reaches it (it gets its configuration explicitly)', async () => {
      const planted = { FACEFLEET_API_KEY: 'secret-key-123456', AWS_SECRET_ACCESS_KEY: 'aws-secret', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', MY_SERVICE_SECRET: 'x' };
      const saved = Object.fromEntries(Object.keys(planted).map((k) => [k, process.env[k]]));
      Object.assign(process.env, planted);
      try {
        await compute.launch({ instanceIds: ['env-1'] });
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
      assert.deepEqual((await ws.report('env-1')).secrets, []);
    });
  });

  describe('given a launched instance', () => {
    it('then its environment carries the instance id and boot env, and its output goes to <logDir>/<instanceId>.log', async () => {
      const [launched] = await compute.launch({ instanceIds: ['logs-1'], bootEnv: { FAKE_WORKER_ECHO: 'boot arg' } });
      const report = await ws.report('logs-1');
      assert.deepEqual(report, { instanceId: 'logs-1', selfId: launched?.providerId, pid: report.pid, echo: 'boot arg', secrets: [] });
      assert.equal(launched?.providerId, `proc-${report.pid}`);
      const log = await waitFor(async () => {
        const text = await readFile(join(ws.paths.logDir, 'logs-1.log'), 'utf8');
        return text.includes('up as') ? text : undefined;
      }, { what: 'the log line' });
      assert.match(log, new RegExp(`fake worker logs-1 up as proc-${report.pid}`));
    });

    it('when it exits by itself with code 3, then describe shows it exited with exit code 3', async () => {
      const [launched] = await compute.launch({ instanceIds: ['exits-3'], bootEnv: { FAKE_WORKER_EXIT_CODE: '3' } });
      const described = await waitFor(async () => {
        const d = await statusOf(compute, launched?.providerId ?? '');
        return d?.status === 'exited' ? d : undefined;
      }, { timeoutMs: 15_000, what: 'the exit' });
      assert.equal(described.exitCode, 3);
    });

    it('when it ignores SIGTERM, then it is stopping during the grace and killed (exit code null) after it', async () => {
      const [launched] = await compute.launch({ instanceIds: ['stubborn'], bootEnv: { FAKE_WORKER_IGNORE_SIGTERM: '1' } });
      const providerId = launched?.providerId ?? '';
      await ws.report('stubborn'); // its SIGTERM handler is installed once it has reported
      await compute.terminate(providerId);
      assert.equal((await statusOf(compute, providerId))?.status, 'stopping');
      const described = await waitFor(async () => {
        const d = await statusOf(compute, providerId);
        return d?.status === 'exited' ? d : undefined;
      }, { timeoutMs: 5000, what: 'the SIGKILL' });
      assert.equal(described.exitCode, null);
      const log = await readFile(join(ws.paths.logDir, 'stubborn.log'), 'utf8');
      assert.match(log, /ignores SIGTERM/);
    });
  });

  describe('given a launched instance and a registry that can no longer be written (a full disk, a permission problem)', () => {
    it('when the instance exits, then the main process carries on and is told with a warning naming the cause', async () => {
      const own = await workspace();
      const warned = new Promise<{ message: string; error: unknown }>((resolveWarning) => {
        const compute = createProcessCompute(own.options({ onWarning: (message, error) => resolveWarning({ message, error }) }));
        void compute.launch({ instanceIds: ['unrecorded'] });
      });
      const { pid } = await own.report('unrecorded');
      // The registry's place is taken by a folder: every read and write of it now fails (EISDIR).
      await rm(own.paths.registryFile);
      await mkdir(own.paths.registryFile);
      // Children are unref'd (the main process never waits for them): hold the loop open for the exit.
      const holdOpen = setInterval(() => undefined, 1000);
      process.kill(pid, 'SIGTERM');
      const { message, error } = await warned.finally(() => clearInterval(holdOpen));
      assert.match(message, new RegExp(`could not record the exit of proc-${pid}`));
      assert.ok(error instanceof Error);
      await rm(own.paths.dir, { recursive: true, force: true });
    });
  });

  describe('given a main process that launched a worker and was killed with SIGKILL', () => {
    it('when a new main process opens the registry, then the worker still runs, is described running and can be terminated', async () => {
      const own = await workspace();
      const script = `
        import { createProcessCompute } from ${JSON.stringify(adapterPath)};
        const compute = createProcessCompute(${JSON.stringify(own.options())});
        const [launched] = await compute.launch({ instanceIds: ['orphan'] });
        process.stdout.write(launched.providerId + '\\n');
        setInterval(() => {}, 1000);`;
      const main = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      const mainExited = new Promise((r) => main.once('exit', r));
      const providerId = await new Promise<string>((r) => main.stdout.setEncoding('utf8').once('data', (chunk: string) => r(chunk.trim())));
      await own.report('orphan');
      main.kill('SIGKILL');
      await mainExited;

      const restarted = createProcessCompute(own.options({ graceMs: 1000 }));
      try {
        assert.equal((await statusOf(restarted, providerId))?.status, 'running');
        await restarted.terminate(providerId);
        const described = await waitFor(async () => {
          const d = await statusOf(restarted, providerId);
          return d?.status === 'exited' ? d : undefined;
        }, { timeoutMs: 5000, what: 'the orphan to exit' });
        assert.equal(described.exitCode, undefined, 'not our child: its exit code is unknown');
      } finally {
        await own.cleanup(restarted);
      }
    });
  });

  describe('given a registry entry whose pid now belongs to another process', () => {
    it('when described, then it is exited (the start time differs)', async () => {
      const own = await workspace();
      await writeFile(own.paths.registryFile, JSON.stringify({
        version: 1,
        instances: [{ instanceId: 'reused', providerId: `proc-${process.pid}`, pid: process.pid, startTime: '1', launchedAt: new Date().toISOString(), tags: {} }],
      }));
      const reopened = createProcessCompute(own.options());
      try {
        assert.equal((await statusOf(reopened, `proc-${process.pid}`))?.status, 'exited');
        await reopened.terminate(`proc-${process.pid}`); // must not signal the test process
      } finally {
        await rm(own.paths.dir, { recursive: true, force: true });
      }
    });
  });
});
