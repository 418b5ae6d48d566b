/**
 * `facefleet worker`: one worker instance. The supervisor starts it as a child process (embedded)
 * or on an EC2 instance (aws) with its instance id in FACEFLEET_INSTANCE_ID and its config in
 * FACEFLEET_* variables. SIGTERM stops it gracefully (the current job is finished, or released when
 * it does not finish within half the terminate grace); a second signal releases at once.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: facefleet worker [--config file] [--log-level level]

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
    let values: { config?: string; 'log-level'?: string };
    try {
      ({ values } = parseArgs({ args: argv, strict: true, options: { config: { type: 'string' }, 'log-level': { type: 'string' } } }));
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const { loadConfig, idlePolicy } = await import('../../config.ts');
    const { config } = loadConfig({ ...(values.config ? { file: values.config } : {}), flags: { logLevel: values['log-level'] } });
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
    const { createLogger } = await import('../../observability/logger.ts');
    // Every line carries the instance id; the supervisor points the output at <dataDir>/logs/<id>.log.
    const logger = createLogger({ level: config.logLevel, base: { instanceId } });
    const log = (line: string) => logger.info(line);

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
        heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
        emptyPollsToIdle: config.emptyPollsToIdle,
        idleSeconds: idlePolicy(config).fixedSeconds ?? idlePolicy(config).priorSeconds,
        threshold: config.threshold,
        ambiguityMargin: config.ambiguityMargin,
        ambiguousLabel: config.ambiguousLabel,
      },
      log,
    });
    worker.on('started', (e) => logger.info({ event: 'instance', state: 'polling', modelLoadMs: Math.round(e.modelLoadMs) }, 'instance booted'));
    worker.on('jobStarted', (e) => logger.info({ event: 'job', jobId: e.jobId, state: 'processing', attempt: e.attempt }, 'job started'));
    worker.on('jobCompleted', (e) => logger.info({ event: 'job', jobId: e.jobId, state: 'done', label: e.label, durationMs: e.durationMs }, 'job done'));
    worker.on('jobFailed', (e) => logger.warn({ event: 'job', jobId: e.jobId, state: 'failed', code: e.code, reason: e.reason }, 'job failed'));
    worker.on('jobReleased', (e) => logger.info({ event: 'job', jobId: e.jobId, state: 'queued' }, 'job released'));
    worker.on('terminating', (e) => logger.info({ event: 'instance', state: 'terminating', reason: e.reason }, 'instance terminating'));

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
    logger.info({ event: 'instance', state: 'terminated', reason }, 'instance stopped');
    await runtime.close();
    const code = reason === 'error' ? 1 : 0;
    // Nothing of ours is left to run; do not let a stray timer (compute's own watch) hold the exit.
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  },
};

export default command;
