/**
 * `facefleet start` (`npm start`): loads the config and runs `startFacefleet` (app/startFacefleet.ts):
 * the web tier and the supervisor in this process, and prints `facefleet listening on http://HOST:PORT`
 * once it accepts requests. Ctrl-C / SIGTERM stops everything cleanly: the supervisor, the server,
 * and the worker instances it launched (through compute, recorded as events). Starting again
 * resumes: the supervisor launches workers for the queued backlog and re-adopts running ones.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: facefleet start [--port n] [--host addr] [--data-dir dir] [--config file] [--cap n] [--backend embedded|aws]
                       [--role all|web|supervisor] [--log-level fatal|error|warn|info|debug|trace|silent]

Starts the web tier (upload page, POST /, /v1 API, inspector) and the supervisor that scales the
worker fleet with the backlog. Configuration, lowest precedence first: defaults, a JSON file
(--config or FACEFLEET_CONFIG), FACEFLEET_* environment variables (camelCase key → FACEFLEET_SNAKE_CASE,
e.g. FACEFLEET_HEARTBEAT_SECONDS; PORT for the port), then these flags. The effective configuration
is printed at start (secrets masked); a bad value stops start-up with one line naming the key.

Roles (--role, FACEFLEET_ROLE; default all): \`all\` runs the web tier and the supervisor; \`web\` only
the web tier (run several behind a load balancer; stopping one never touches the fleet); \`supervisor\`
the supervisor (it still answers HTTP: health, metrics). Supervisors share a lease (a conditional
write with an expiry, renewed; a lock file in the data dir when embedded): one decides, the others
stand by and take over within supervisorLeaseSeconds (15) once it stops. Stopping \`all\` terminates
the fleet; stopping \`supervisor\` leaves it to the standby.

Keys: backend role supervisorLeaseSeconds host port dataDir cap jobsPerInstance emptyPollsToIdle idleSeconds idleFloorSeconds
pollWaitSeconds visibilityTimeoutSeconds heartbeatSeconds maxReceives maxAttempts supervisorTickMs
terminateGraceSeconds heartbeatTimeoutSeconds bootTimeoutSeconds launchTimeoutSeconds maxUploadBytes maxFiles maxPixels durability
detector threshold ambiguityMargin ambiguousLabel modelThreads classicTimeoutSeconds maxStreamClients
maxStreamBufferedBytes submissionsPerClientPerMinute keepAliveSeconds apiKey corsOrigins allowedHosts logLevel
aws{region,endpoints,names}

Logs: one JSON line per event (job and instance lifecycle, supervisor decisions, errors), pretty
when stdout is a terminal; --log-level (logLevel, FACEFLEET_LOG_LEVEL) sets the least severe level.
Prometheus metrics at GET /metrics (behind the API key when one is set).

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
  role?: string;
  'log-level'?: string;
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
        role: { type: 'string' },
        'log-level': { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

const asNumber = (value: string | undefined): unknown => (value === undefined ? undefined : value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value);

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
    const { loadConfig, describeConfig } = await import('../../config.ts');
    const loaded = loadConfig({
      ...(flags.config ? { file: flags.config } : {}),
      flags: { port: asNumber(flags.port), host: flags.host, dataDir: flags['data-dir'], cap: asNumber(flags.cap), backend: flags.backend, role: flags.role, logLevel: flags['log-level'] },
    });
    const { config } = loaded;
    process.stdout.write(`facefleet config:\n${describeConfig(loaded).join('\n')}\n`);

    const { createLogger } = await import('../../observability/logger.ts');
    const logger = createLogger({ level: config.logLevel });
    const log = (line: string) => logger.info(line);
    const { startFacefleet } = await import('../../startFacefleet.ts');
    const { listensBeyondLocalhost } = await import('../../../web/security.ts');
    const running = await startFacefleet(config, { logger });
    process.stdout.write(`facefleet listening on ${running.url}\n`);
    if (listensBeyondLocalhost(config.host) && !config.apiKey) process.stderr.write(`${exposureWarning(config.host)}\n`);

    let stopping: Promise<void> | undefined;
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(130);
      }
      log(`${signal}: stopping`);
      stopping = running.stop();
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
