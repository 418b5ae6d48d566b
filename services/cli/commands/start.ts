/**
 * `facefleet start` (`npm start`): the composition root. Builds the ports from the config, starts
 * the web tier and the supervisor in this process, and prints `facefleet listening on http://HOST:PORT`
 * once it accepts requests. Ctrl-C / SIGTERM stops everything cleanly: the supervisor, the server,
 * and the worker instances it launched (through compute, recorded as events). Starting again
 * resumes: the supervisor launches workers for the queued backlog and re-adopts running ones.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: facefleet start [--port n] [--host addr] [--data-dir dir] [--config file] [--cap n] [--backend embedded|aws]

Starts the web tier (upload page, POST /, /v1 API, inspector) and the supervisor that scales the
worker fleet with the backlog. Configuration, lowest precedence first: defaults, a JSON file
(--config or FACEFLEET_CONFIG), FACEFLEET_* environment variables (camelCase key → FACEFLEET_SNAKE_CASE,
e.g. FACEFLEET_HEARTBEAT_SECONDS; PORT for the port), then these flags. The effective configuration
is printed at start (secrets masked); a bad value stops start-up with one line naming the key.

Keys: backend host port dataDir cap jobsPerInstance emptyPollsToIdle emptyPollsToTerminate
pollWaitSeconds visibilityTimeoutSeconds heartbeatSeconds maxReceives maxAttempts supervisorTickMs
terminateGraceSeconds heartbeatTimeoutSeconds bootTimeoutSeconds maxUploadBytes maxFiles maxPixels
detector threshold modelThreads classicTimeoutSeconds apiKey corsOrigins aws{region,endpoints,names}

Listening beyond localhost (a --host other than localhost, 127.x.x.x or ::1) without an apiKey
prints a warning: anyone who can reach the port could then use the whole API.
`;

interface StartFlags {
  port?: string;
  host?: string;
  'data-dir'?: string;
  config?: string;
  cap?: string;
  backend?: string;
}

function parse(argv: string[]): StartFlags {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string' },
        cap: { type: 'string' },
        backend: { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

const asNumber = (value: string | undefined): unknown => (value === undefined ? undefined : value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value);

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Long polls, SSE streams and keep-alive sockets would hold close() open.
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}

/** The start-up warning for listening beyond localhost without an API key. */
export function exposureWarning(host: string): string {
  return (
    `facefleet: WARNING: listening on ${host}, beyond localhost, without an API key: anyone who can reach this port ` +
    'can submit jobs, change the gallery and read every upload. Set apiKey (FACEFLEET_API_KEY) or listen on 127.0.0.1.'
  );
}

const command: Command = {
  name: 'start',
  summary: 'Start the web tier and the self-scaling worker fleet',
  usage,
  async run(argv) {
    const flags = parse(argv);
    const { loadConfig, describeConfig, workerEnv } = await import('../../config.ts');
    const loaded = loadConfig({
      ...(flags.config ? { file: flags.config } : {}),
      flags: { port: asNumber(flags.port), host: flags.host, dataDir: flags['data-dir'], cap: asNumber(flags.cap), backend: flags.backend },
    });
    const { config } = loaded;
    process.stdout.write(`facefleet config:\n${describeConfig(loaded).join('\n')}\n`);

    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    if (config.backend === 'embedded') {
      // Build the ONNX files once here, so that workers booting together do not all build them.
      const { ensureModels } = await import('../../../model/build/buildModels.ts');
      await ensureModels();
    }
    // Workers boot from a bundle of our sources (plain node, no tsx): boot time is scale-out latency.
    const { buildWorkerBundle } = await import('../../workerBundle.ts');
    const workerBundle = await buildWorkerBundle().catch((error: unknown) => {
      log(`worker bundle not built (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): workers run through tsx`);
      return undefined;
    });
    const { createRuntime } = await import('../../runtime.ts');
    const runtime = await createRuntime(config, { role: 'main', workerBundle });
    const { createApiServices } = await import('../../api.ts');
    const { createApp } = await import('../../../web/app.ts');
    const { hardenServer, listensBeyondLocalhost, serverOptions } = await import('../../../web/security.ts');
    const { createSupervisor } = await import('../../supervisor/supervisor.ts');

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
      loadModel: async () => {
        const model = await import('../../../model/index.ts');
        return model.loadModel({ threads: config.modelThreads, maxPixels: config.maxPixels });
      },
    });
    const app = createApp(services, {
      maxUploadBytes: config.maxUploadBytes,
      maxFiles: config.maxFiles,
      classicTimeoutMs: config.classicTimeoutSeconds * 1000,
      apiKey: config.apiKey,
      corsOrigins: config.corsOrigins,
    });

    const supervisor = createSupervisor({
      ...runtime,
      settings: {
        cap: config.cap,
        jobsPerInstance: config.jobsPerInstance,
        terminateGraceSeconds: config.terminateGraceSeconds,
        heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
        bootTimeoutSeconds: config.bootTimeoutSeconds,
        tickMs: config.supervisorTickMs,
        emptyPollsToIdle: config.emptyPollsToIdle,
        emptyPollsToTerminate: config.emptyPollsToTerminate,
      },
      bootEnv: workerEnv(config),
      ...(services.jobs?.requeueOrphans ? { requeueOrphans: () => services.jobs.requeueOrphans() } : {}),
      log: (line) => log(`supervisor: ${line}`),
    });

    // Slow clients are timed out (headers 10 s, whole request 2 min); broken HTTP gets a JSON 4xx.
    const server = hardenServer(createServer(serverOptions(), app.callback()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    supervisor.start();
    // React to new work at once rather than at the next tick (first result from zero instances).
    const unsubscribe = services.onChange((change) => {
      if (change.kind === 'job' && change.row.state === 'queued') supervisor.nudge();
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    process.stdout.write(`facefleet listening on http://${host}:${address.port}\n`);
    if (listensBeyondLocalhost(config.host) && !config.apiKey) process.stderr.write(`${exposureWarning(config.host)}\n`);

    let stopping: Promise<void> | undefined;
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(130);
      }
      log(`${signal}: stopping`);
      stopping = (async () => {
        unsubscribe();
        await supervisor.stop();
        await closeServer(server);
        await supervisor.shutdownInstances(config.terminateGraceSeconds * 1000);
        await services.close?.();
        await runtime.close();
      })();
    };
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        stop(signal);
        stopping?.then(resolve, (error: unknown) => {
          log(`error while stopping: ${error instanceof Error ? error.message : String(error)}`);
          resolve();
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    log('stopped');
    return 0;
  },
};

export default command;
