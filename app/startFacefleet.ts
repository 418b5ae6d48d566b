/**
 * Starts the whole system in this process from a config: builds the models (embedded), the worker
 * bundle, the ports, the services, the web app and the supervisor, and listens. Resolves once the
 * server accepts requests, to its URL and a `stop` that undoes everything in reverse: the
 * supervisor, the server, the worker instances it launched (through compute, recorded as events),
 * the change feed and the ports. `facefleet start` is this plus signals; tests call it directly to
 * run the system in-process (workers still run as their own processes, as in production).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApiServices, type ApiServices } from '../services/api.ts';
import { createLeadership } from '../services/supervisor/leadership.ts';
import { createSupervisor } from '../services/supervisor/supervisor.ts';
import { createApp } from '../web/app.ts';
import { hardenServer, serverOptions } from '../web/security.ts';
import { idlePolicy, workerEnv, type Config } from './config.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { lifecycleLogger } from './observability/lifecycleLog.ts';
import { createLogger, errorField, type Logger } from './observability/logger.ts';
import { createMetrics, type FacefleetMetrics } from './observability/metrics.ts';
import { loadThreadedFaceModel, type ThreadedFaceModel } from './threadedFaceModel.ts';

export interface StartOptions {
  /** Where log lines go, one JSON line each (default: stdout; pretty on a terminal). */
  log?: (line: string) => void;
  /** The logger to use instead (the CLI builds it). */
  logger?: Logger;
}

export interface RunningFacefleet {
  /** `http://host:port`, the port the server actually got (config port 0 picks a free one). */
  url: string;
  /** The ports, for tests that inspect the stores directly. */
  runtime: Runtime;
  services: ApiServices;
  metrics: FacefleetMetrics;
  /** Stops the supervisor, the server and the fleet, then closes the ports. Idempotent. */
  stop(): Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Long polls, SSE streams and keep-alive sockets would hold close() open.
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}

/** Starts web tier and supervisor in this process; resolves once it listens. */
export async function startFacefleet(config: Config, options: StartOptions = {}): Promise<RunningFacefleet> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, ...(options.log ? { write: options.log } : {}) });
  const log = (line: string) => logger.info(line);
  if (config.backend === 'embedded') {
    // Build the ONNX files once here, so that workers booting together do not all build them.
    const { ensureModels } = await import('../model/build/buildModels.ts');
    await ensureModels();
  }
  // Workers boot from a bundle of our sources (plain node, no tsx): boot time is scale-out latency.
  const { buildWorkerBundle } = await import('./workerBundle.ts');
  const workerBundle = await buildWorkerBundle().catch((error: unknown) => {
    log(`worker bundle not built (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): workers run through tsx`);
    return undefined;
  });
  const runtime = await createRuntime(config, { role: 'main', workerBundle });

  let faceModel: Promise<ThreadedFaceModel> | undefined;
  const services = createApiServices({
    store: runtime.store,
    blobs: runtime.blobs,
    requests: runtime.requests,
    responses: runtime.responses,
    deadLetters: runtime.deadLetters,
    clock: runtime.clock,
    limits: { maxUploadBytes: config.maxUploadBytes, maxFiles: config.maxFiles, maxPixels: config.maxPixels },
    maxAttempts: config.maxAttempts,
    detector: config.detector,
    threshold: config.threshold,
    // Enrolment's inference runs in a worker thread: the web tier's event loop stays free.
    loadModel: async () => {
      faceModel ??= loadThreadedFaceModel({ threads: config.modelThreads, maxPixels: config.maxPixels });
      return faceModel;
    },
  });
  // Uploads are written here before they are checked: a folder of this process alone, removed at stop.
  const uploadDir = mkdtempSync(join(tmpdir(), 'facefleet-uploads-'));
  const metrics = createMetrics(services);
  const webLog = logger.child({ component: 'web' });
  const app = createApp(services, {
    metrics: () => metrics.render(),
    onResponse: (info) => metrics.observeResponse(info),
    logError: (error, ctx) => webLog.error({ err: errorField(error), method: ctx.method, route: ctx.path.slice(0, 200) }, 'request failed'),
    maxUploadBytes: config.maxUploadBytes,
    maxFiles: config.maxFiles,
    classicTimeoutMs: config.classicTimeoutSeconds * 1000,
    apiKey: config.apiKey,
    corsOrigins: config.corsOrigins,
    allowedHosts: config.allowedHosts,
    submissionsPerClientPerMinute: config.submissionsPerClientPerMinute,
    maxStreamClients: config.maxStreamClients,
    maxStreamBufferedBytes: config.maxStreamBufferedBytes,
    uploadDir,
  });

  const supervisorLog = logger.child({ component: 'supervisor' });
  // `web` never supervises; `all` and `supervisor` supervise only while they hold the lease.
  const supervises = config.role !== 'web';
  const supervisor = createSupervisor({
    ...runtime,
    settings: {
      cap: config.cap,
      jobsPerInstance: config.jobsPerInstance,
      terminateGraceSeconds: config.terminateGraceSeconds,
      heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
      bootTimeoutSeconds: config.bootTimeoutSeconds,
      launchTimeoutSeconds: config.launchTimeoutSeconds,
      tickMs: config.supervisorTickMs,
      emptyPollsToIdle: config.emptyPollsToIdle,
      idle: idlePolicy(config),
    },
    bootEnv: workerEnv(config),
    requeueOrphans: () => services.jobs.requeueOrphans(),
    log: (line) => supervisorLog.info(line),
    onCommand: (command) => metrics.observeCommand(command),
    onTick: () => metrics.setIdleSeconds(supervisor.idleSeconds()),
    mayAct: () => leadership?.leading() ?? false,
  });
  const lease = runtime.lease;
  if (supervises && !lease) throw new Error(`the ${config.backend} runtime gave no supervisor lease`);
  const leadership =
    supervises && lease
      ? createLeadership({
          lease,
          holder: `${hostname()}#${process.pid}#${randomUUID().slice(0, 8)}`,
          ttlMs: config.supervisorLeaseSeconds * 1000,
          onLead: () => supervisor.start(),
          onLose: () => supervisor.stop(),
          log: (line) => supervisorLog.info(line),
        })
      : undefined;

  // Slow clients are timed out (headers 10 s, whole request 2 min); broken HTTP gets a JSON 4xx.
  // Keep-alive outlives the load balancer's idle timeout (keepAliveSeconds): no 502 races.
  const timeouts = { keepAliveTimeoutMs: config.keepAliveSeconds * 1000 };
  const server = hardenServer(createServer(serverOptions(timeouts), app.callback()), timeouts);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await services.close();
    await runtime.close();
    throw error;
  }
  leadership?.start();
  // React to new work at once rather than at the next tick (first result from zero instances).
  const logLifecycle = lifecycleLogger(logger);
  const unsubscribe = services.onChange((change) => {
    if (change.kind === 'job' && change.row.state === 'queued') supervisor.nudge();
    metrics.observeChange(change);
    logLifecycle(change);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    runtime,
    services,
    metrics,
    stop() {
      stopping ??= (async () => {
        services.beginStopping(); // /readyz answers 503 from here on
        unsubscribe();
        const wasLeading = leadership?.leading() ?? false;
        await leadership?.stop();
        await closeServer(server);
        // Only `all` (one machine) takes its fleet down with it; a `supervisor` hands it to the standby,
        // which re-adopts the running instances; a `web` process never touches it.
        if (wasLeading && config.role === 'all') await supervisor.shutdownInstances(config.terminateGraceSeconds * 1000);
        await leadership?.release().catch((error: unknown) => log(`releasing the supervisor lease failed: ${error instanceof Error ? error.message : String(error)}`));
        await services.close();
        await (await faceModel?.catch(() => undefined))?.close();
        await runtime.close();
        rmSync(uploadDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
