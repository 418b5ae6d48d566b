/**
 * `facefleet worker`: one worker instance. The supervisor starts it as a child process (embedded)
 * or on an EC2 instance (aws) with its instance id in FACEFLEET_INSTANCE_ID and its config in
 * FACEFLEET_* variables. SIGTERM stops it gracefully (the current job is finished, or released when
 * it does not finish within half the terminate grace); a second signal releases at once.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: facefleet worker [--config file]

Runs one worker instance: loads the face model, long-polls the request queue, processes jobs, and
terminates itself once the queue has stayed empty for its idle time (idleSeconds). Normally started by
\`facefleet start\`; its configuration comes from FACEFLEET_* variables (see facefleet start --help).
FACEFLEET_INSTANCE_ID names its instance stream (default: a new id, requested by the worker itself).
`;

const command: Command = {
  name: 'worker',
  summary: 'Run one worker instance (started by the supervisor)',
  usage,
  async run(argv) {
    let values: { config?: string };
    try {
      ({ values } = parseArgs({ args: argv, strict: true, options: { config: { type: 'string' } } }));
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const { loadConfig, idlePolicy } = await import('../../config.ts');
    const { config } = loadConfig(values.config ? { file: values.config } : {});
    // Fault injection (reliability tests only): a typo in FACEFLEET_FAULTS stops the worker here.
    const { faultsFromEnvironment } = await import('../../faults.ts');
    const faults = faultsFromEnvironment();
    const { loadRecognizer, galleryReader } = await import('../../../services/worker/recognizer.ts');
    // Start loading the model now: it overlaps with opening the ports (boot time is scale-out latency).
    const recognizer = loadRecognizer({ threads: config.modelThreads, maxPixels: config.maxPixels });
    recognizer.catch(() => undefined); // awaited (and reported) by the worker's boot
    const { createRuntime } = await import('../../runtime.ts');
    const { createWorker } = await import('../../../services/worker/worker.ts');
    const runtime = await createRuntime(config, { role: 'worker' });
    const instanceId = process.env.FACEFLEET_INSTANCE_ID || runtime.clock.newId();
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} [worker ${instanceId}] ${line}\n`);

    const worker = createWorker({
      ...runtime,
      instanceId,
      loadRecognizer: () => recognizer,
      gallery: galleryReader(runtime.blobs),
      faults,
      settings: {
        pollWaitSeconds: config.pollWaitSeconds,
        visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
        heartbeatSeconds: config.heartbeatSeconds,
        emptyPollsToIdle: config.emptyPollsToIdle,
        idleSeconds: idlePolicy(config).fixedSeconds ?? idlePolicy(config).priorSeconds,
        threshold: config.threshold,
      },
      log,
    });
    worker.on('started', (e) => log(`started (model loaded in ${Math.round(e.modelLoadMs)} ms)`));
    worker.on('jobCompleted', (e) => log(`job ${e.jobId} done: ${e.label} in ${e.durationMs} ms`));
    worker.on('jobFailed', (e) => log(`job ${e.jobId} failed: ${e.code} ${e.reason}`));
    worker.on('jobReleased', (e) => log(`job ${e.jobId} released`));
    worker.on('terminating', (e) => log(`terminating (${e.reason})`));

    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      log(`${signal}: stopping${signals > 1 ? ' now' : ''}`);
      if (signals > 1) {
        void worker.stop({ abort: true });
        return;
      }
      void worker.stop();
      // Finish the current job if it is quick; otherwise hand it back before compute kills us.
      setTimeout(() => void worker.stop({ abort: true }), Math.max(1000, (config.terminateGraceSeconds * 1000) / 2)).unref();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    await worker.start();
    const reason = await worker.done;
    log(`stopped (${reason})`);
    await runtime.close();
    const code = reason === 'error' ? 1 : 0;
    // Nothing of ours is left to run; do not let a stray timer (compute's own watch) hold the exit.
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  },
};

export default command;
