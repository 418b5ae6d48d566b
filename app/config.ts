/**
 * The configuration: one zod schema, validated once at the edge. Sources are merged in order
 * defaults < JSON file (`--config file` or FACEFLEET_CONFIG) < environment (FACEFLEET_*, PORT) <
 * flags. A bad value stops start-up with one line naming the key and the rule it breaks.
 * Worker processes receive the keys they need as FACEFLEET_* variables (`workerEnv`).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
const num = (min: number, max = Number.MAX_SAFE_INTEGER, exclusiveMin = false) =>
  z
    .number({ error: 'must be a number' })
    .refine((v) => Number.isFinite(v), { error: 'must be a finite number' })
    .refine((v) => (exclusiveMin ? v > min : v >= min), { error: `must be ${exclusiveMin ? 'greater than' : 'at least'} ${min}` })
    .refine((v) => v <= max, { error: `must be at most ${max}` });
const url = z.url({ error: 'must be a URL' }).optional();

const awsSchema = z
  .object({
    region: z.string().min(1, { error: 'must not be empty' }).default('us-east-1'),
    /** Emulator or VPC endpoints; absent means the SDK's default. */
    endpoints: z.object({ sqs: url, s3: url, dynamodb: url, ec2: url }).strict().default({}),
    /** Resource names (queues, bucket, table, AMI…) that override the defaults of app/config/aws.ts. */
    names: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const baseSchema = z
  .object({
    backend: z.enum(['embedded', 'aws'], { error: 'must be "embedded" or "aws"' }).default('embedded'),
    /**
     * What `facefleet start` runs: `all` (web tier and supervisor), `web` (only the web tier: never
     * touches the fleet) or `supervisor` (the supervisor; it still answers HTTP for health and metrics).
     * Supervisors share a lease: one decides, the others stand by.
     */
    role: z.enum(['all', 'web', 'supervisor'], { error: 'must be "all", "web" or "supervisor"' }).default('all'),
    /** The supervisor lease's length, seconds: a standby takes over this long after the holder stopped renewing. */
    supervisorLeaseSeconds: num(0.3, 600).default(15),
    host: z.string().min(1, { error: 'must not be empty' }).default('127.0.0.1'),
    port: int(0, 65535).default(3000),
    dataDir: z.string().min(1, { error: 'must not be empty' }).default('./data'),
    /** Most instances at once; in embedded mode the default is min(19, available CPUs). */
    cap: int(0, 1000).default(19),
    jobsPerInstance: int(1, 100).default(1),
    emptyPollsToIdle: int(1, 1000).default(2),
    /**
     * Seconds the request queue must stay empty before an instance terminates itself; "auto" (the
     * default): the measured boot-to-first-poll, rolling median (see services/supervisor/idlePolicy.ts).
     */
    idleSeconds: z.union([z.literal('auto'), num(0.1, 86_400)], { error: 'must be "auto" or a number of seconds from 0.1' }).default('auto'),
    /** The least idle time "auto" picks, seconds. */
    idleFloorSeconds: num(0.1, 3600).default(1),
    pollWaitSeconds: int(0, 20).default(2),
    visibilityTimeoutSeconds: int(1, 43200).default(30),
    heartbeatSeconds: num(0, 3600, true).default(5),
    maxReceives: int(1, 1000).default(3),
    maxAttempts: int(1, 100).default(3),
    supervisorTickMs: int(50, 600_000).default(1000),
    terminateGraceSeconds: num(0, 3600, true).default(20),
    heartbeatTimeoutSeconds: num(0, 3600, true).default(30),
    bootTimeoutSeconds: num(0, 3600, true).default(60),
    /** Requested → launched (the provider accepting the launch); bootTimeoutSeconds then counts launched → booted. */
    launchTimeoutSeconds: num(0, 3600, true).default(60),
    maxUploadBytes: int(1).default(15 * 1024 * 1024),
    maxFiles: int(1, 1000).default(20),
    maxPixels: int(1).default(40_000_000),
    /**
     * Embedded backend: `full` (default) fsyncs every commit (group-committed), so an acknowledged
     * upload survives a power cut; `normal` survives a process crash only (faster; throwaway stores).
     */
    durability: z.enum(['full', 'normal'], { error: 'must be "full" or "normal"' }).default('full'),
    detector: z.enum(['ssd', 'tiny'], { error: 'must be "ssd" or "tiny"' }).default('ssd'),
    threshold: num(0, 2, true).default(0.6),
    /** A named face whose runner-up subject is less than this much farther is `ambiguous` (see model/gallery.ts). */
    ambiguityMargin: num(0, 2).default(0.05),
    /** When true, a classic answer whose largest face is ambiguous says `ambiguous` instead of the nearest name. */
    ambiguousLabel: z
      .preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'must be true or false' }))
      .default(false),
    modelThreads: int(1, 64).default(1),
    classicTimeoutSeconds: num(0, 3600, true).default(120),
    /** Most `GET /v1/stream` connections at once (more get 503), and the unread bytes after which one is closed. */
    maxStreamClients: int(1, 100_000).default(200),
    maxStreamBufferedBytes: int(4096, 1024 * 1024 * 1024).default(1024 * 1024),
    /** Uploads (classic and v1) one client address may submit per minute, per web process; 0: no limit. */
    submissionsPerClientPerMinute: int(0, 10_000_000).default(3000),
    /**
     * How long an idle keep-alive connection stays open, seconds. Above the idle timeout of the load
     * balancer in front (ALB: 60 s by default), so the balancer, never we, closes a pooled connection:
     * otherwise it may send a request on a socket we are closing and answer 502.
     */
    keepAliveSeconds: num(1, 4000).default(75),
    /** When set, the API asks for it (secret: masked when printed). */
    apiKey: z.string().min(8, { error: 'must be at least 8 characters' }).optional(),
    /** Browser origins allowed to call the API (CORS); absent: none. A comma-separated list in the environment. */
    corsOrigins: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
        z.array(z.string().regex(/^https?:\/\/[^/\s?#@]+$/i, { error: 'must be origins like https://example.com:8443 (scheme, host and port only)' }), {
          error: 'must be a list of origins',
        }),
      )
      .optional(),
    /**
     * Host names (the Host header, without the port) the web tier answers besides localhost names and
     * IP addresses: a guard against DNS rebinding. `*` answers any. A comma-separated list in the environment.
     */
    allowedHosts: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
        z.array(z.string().regex(/^(\*|\.?[a-z0-9-]+(\.[a-z0-9-]+)*\.?)$/i, { error: 'must be host names like facefleet.example.com, .example.com (a domain and its subdomains) or *' }), {
          error: 'must be a list of host names',
        }),
      )
      .optional(),
    /** Least severe log line written (pino levels). */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
    aws: awsSchema.default({ region: 'us-east-1', endpoints: {}, names: {} }),
  })
  .strict();

export const configSchema = baseSchema.superRefine((c, ctx) => {
    const rule = (ok: boolean, path: string, message: string) => {
      if (!ok) ctx.addIssue({ code: 'custom', path: [path], message, input: (c as Record<string, unknown>)[path] });
    };
    rule(c.heartbeatSeconds < c.visibilityTimeoutSeconds, 'heartbeatSeconds', `must be less than visibilityTimeoutSeconds (${c.visibilityTimeoutSeconds})`);
    rule(c.heartbeatSeconds < c.heartbeatTimeoutSeconds, 'heartbeatSeconds', `must be less than heartbeatTimeoutSeconds (${c.heartbeatTimeoutSeconds})`);
    rule(c.pollWaitSeconds < c.heartbeatTimeoutSeconds, 'pollWaitSeconds', `must be less than heartbeatTimeoutSeconds (${c.heartbeatTimeoutSeconds})`);
  });

export type Config = z.output<typeof configSchema>;
export type ConfigKey = keyof Config;

/** Where each value came from, for the start-up print. */
export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface LoadedConfig {
  config: Config;
  sources: Partial<Record<ConfigKey, ConfigSource>>;
  /** Remarks for the start-up print, e.g. how the default cap was chosen. */
  notes: string[];
}

/** A bad configuration: the message is one line naming the key and the rule. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const topKeys = Object.keys(baseSchema.shape) as ConfigKey[];
const numericKeys = new Set<string>(
  topKeys.filter((k) => !['backend', 'role', 'host', 'dataDir', 'detector', 'apiKey', 'corsOrigins', 'allowedHosts', 'logLevel', 'aws', 'ambiguousLabel'].includes(k)),
);

/** camelCase → FACEFLEET_CAMEL_CASE. */
export function envName(key: string): string {
  return `FACEFLEET_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

function coerce(key: string, raw: string): unknown {
  if (!numericKeys.has(key)) return raw;
  const trimmed = raw.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : raw;
}

/** The values set by FACEFLEET_* variables (and PORT, AWS_REGION). */
export function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of topKeys) {
    if (key === 'aws') continue;
    const raw = env[envName(key)];
    if (raw !== undefined && raw !== '') out[key] = coerce(key, raw);
  }
  if (out.port === undefined && env.PORT) out.port = coerce('port', env.PORT);
  const aws: Record<string, unknown> = {};
  const region = env.FACEFLEET_AWS_REGION ?? env.AWS_REGION;
  if (region) aws.region = region;
  const endpoints: Record<string, string> = {};
  for (const service of ['sqs', 's3', 'dynamodb', 'ec2']) {
    const value = env[`FACEFLEET_AWS_ENDPOINT_${service.toUpperCase()}`];
    if (value) endpoints[service] = value;
  }
  if (Object.keys(endpoints).length) aws.endpoints = endpoints;
  const names: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^FACEFLEET_AWS_NAME_([A-Z0-9_]+)$/.exec(name);
    if (match?.[1] && value) names[match[1].toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  if (Object.keys(names).length) aws.names = names;
  if (Object.keys(aws).length) out.aws = aws;
  return out;
}

/** `line:column` (1-based) of a character offset. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`config: cannot read the config file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Never the parser's message: it quotes the text around the mistake, which may be the API key.
    const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    const where = position === undefined ? '' : ` at line ${lineAndColumn(text, Number(position))}`;
    throw new ConfigError(`config: ${file} is not valid JSON${where} (its text is not shown: it may hold secrets)`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`config: ${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prev = out[key];
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = isObj(prev) && isObj(value) ? merge(prev, value) : value;
  }
  return out;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

/** Turns the first zod issue into one line: `config: <key> (<value>) <rule>`. */
function oneLine(error: z.ZodError, input: Record<string, unknown>): string {
  const issue = error.issues[0];
  if (!issue) return 'config: invalid';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${issue.path.join('.')}.` : '';
    return `config: ${issue.keys.map((k) => where + k).join(', ')} ${issue.keys.length > 1 ? 'are not known keys' : 'is not a known key'}`;
  }
  const path = issue.path.map(String).join('.');
  let value: unknown = input;
  for (const part of issue.path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[String(part)] : undefined;
  const shown = path === 'apiKey' ? '' : value === undefined ? '' : ` (${show(value)})`;
  return `config: ${path || '(root)'}${shown} ${issue.message}`;
}

export interface LoadConfigOptions {
  /** Values from command-line flags (highest precedence). */
  flags?: Partial<Record<ConfigKey, unknown>>;
  /** A JSON file; default: env FACEFLEET_CONFIG. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** For the embedded default cap; default os.availableParallelism(). */
  cpus?: number;
}

/**
 * Merges the sources and validates them with the schema. Throws ConfigError with one line naming
 * the key and the rule. `dataDir` comes back absolute (workers run in other directories).
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.FACEFLEET_CONFIG;
  const layers: Array<[ConfigSource, Record<string, unknown>]> = [
    ['file', file ? readJsonFile(file) : {}],
    ['env', fromEnv(env)],
    ['flag', Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined))],
  ];
  let input: Record<string, unknown> = {};
  const sources: LoadedConfig['sources'] = {};
  for (const [source, layer] of layers) {
    input = merge(input, layer);
    for (const key of Object.keys(layer)) sources[key as ConfigKey] = source;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(oneLine(parsed.error, input));
  const config = parsed.data;
  const notes: string[] = [];
  if (config.backend === 'embedded' && sources.cap === undefined) {
    const cpus = options.cpus ?? availableParallelism();
    config.cap = Math.min(19, cpus);
    notes.push(`cap ${config.cap} = min(19, ${cpus} available CPUs) in embedded mode; set cap to change it`);
  }
  if (config.backend === 'aws' && sources.bootTimeoutSeconds === undefined) {
    // EC2: pending → running, cloud-init, the worker bundle and the model from a cold EBS volume often
    // take more than a minute; a 60 s limit would terminate and relaunch healthy boots, maybe forever.
    config.bootTimeoutSeconds = awsBootTimeoutSeconds;
    notes.push(`bootTimeoutSeconds ${awsBootTimeoutSeconds} on aws (an EC2 boot can take minutes); set bootTimeoutSeconds to change it`);
  }
  if (config.backend === 'aws' && sources.launchTimeoutSeconds === undefined) {
    // RunInstances answers in seconds, but it is retried through throttling and the SDK's backoff.
    config.launchTimeoutSeconds = awsLaunchTimeoutSeconds;
    notes.push(`launchTimeoutSeconds ${awsLaunchTimeoutSeconds} on aws; set launchTimeoutSeconds to change it`);
  }
  if (config.backend === 'aws' && sources.idleSeconds === undefined) {
    // Chosen with the simulator (README, Simulating the fleet): for 30–90 s EC2 boots a fixed 60 s
    // keeps each idle gap's waste within 2× of the best choice; `auto` takes the median of the last
    // boots, which after a large launch includes the batch's slowest (86–89 s at a 60 s mean boot).
    config.idleSeconds = awsIdleSeconds;
    notes.push(`idleSeconds ${awsIdleSeconds} on aws (chosen with facefleet simulate for 30–90 s boots); set idleSeconds to change it`);
  }
  config.dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  return { config, sources, notes };
}

/** The boot timeout on AWS unless configured: EC2 boots take minutes, not seconds. */
export const awsBootTimeoutSeconds = 600;
/** The AWS default of launchTimeoutSeconds (requested → launched). */
export const awsLaunchTimeoutSeconds = 180;
/** The idle time on AWS unless configured (see the README's simulator section for why 60 s, fixed). */
export const awsIdleSeconds = 60;

const secretKeys = new Set(['apiKey']);

/** The effective config as printable lines, secrets masked, with where each value came from. */
export function describeConfig(loaded: LoadedConfig): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(loaded.config)) {
    if (value === undefined) continue;
    const shown = secretKeys.has(key)
      ? '********'
      : key === 'dataDir'
        ? relative(process.cwd(), String(value)) || '.'
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    const source = loaded.sources[key as ConfigKey] ?? 'default';
    lines.push(`  ${key.padEnd(24)} ${shown}${source === 'default' ? '' : `  (${source})`}`);
  }
  for (const note of loaded.notes) lines.push(`  note: ${note}`);
  return lines;
}

/**
 * The idle policy per backend: a configured `idleSeconds`, or measured with the floor; before any
 * boot is measured, embedded instances idle the floor (a process boots in about a second) and EC2
 * ones 60 s (an EC2 boot to first poll takes tens of seconds).
 */
export function idlePolicy(config: Config): { fixedSeconds?: number; floorSeconds: number; priorSeconds: number; window: number } {
  const floorSeconds = config.idleFloorSeconds;
  const priorSeconds = config.backend === 'aws' ? Math.max(floorSeconds, 60) : floorSeconds;
  return { ...(config.idleSeconds === 'auto' ? {} : { fixedSeconds: config.idleSeconds }), floorSeconds, priorSeconds, window: 9 };
}

/** The keys a worker process needs, as FACEFLEET_* variables for its boot environment. */
export function workerEnv(config: Config): Record<string, string> {
  const keys: ConfigKey[] = [
    'backend',
    'dataDir',
    'emptyPollsToIdle',
    'pollWaitSeconds',
    'visibilityTimeoutSeconds',
    'heartbeatSeconds',
    'heartbeatTimeoutSeconds',
    'maxReceives',
    'maxAttempts',
    'terminateGraceSeconds',
    'maxPixels',
    'durability',
    'detector',
    'threshold',
    'ambiguityMargin',
    'ambiguousLabel',
    'modelThreads',
    'logLevel',
  ];
  const env: Record<string, string> = {};
  for (const key of keys) env[envName(key)] = String(config[key]);
  env[envName('idleSeconds')] = String(idlePolicy(config).fixedSeconds ?? idlePolicy(config).priorSeconds);
  env.FACEFLEET_AWS_REGION = config.aws.region;
  for (const [service, endpoint] of Object.entries(config.aws.endpoints)) {
    if (endpoint) env[`FACEFLEET_AWS_ENDPOINT_${service.toUpperCase()}`] = endpoint;
  }
  for (const [name, value] of Object.entries(config.aws.names)) {
    env[`FACEFLEET_AWS_NAME_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`] = value;
  }
  // The model reads its thread count from here too.
  env.FACEFLEET_MODEL_THREADS = String(config.modelThreads);
  return env;
}
