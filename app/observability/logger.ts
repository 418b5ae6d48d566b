/**
 * Structured logs (pino): one JSON line per event, pretty (pino-pretty, colours, local times) when
 * the output is a terminal. Built here in the composition root and handed to what logs. No secret
 * and no absolute path reaches a line: keys named like secrets are redacted, errors are reduced to
 * their type, code and message, and any absolute path in a string is cut to its last two parts.
 */
import { Writable } from 'node:stream';
import { pino, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { scrubPaths } from '../../services/scrubPaths.ts';

export type { Logger } from 'pino';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** Pretty lines instead of JSON (default: whether stdout is a terminal). */
  pretty?: boolean;
  /** Fields on every line, e.g. `{ instanceId }` in a worker. */
  base?: Record<string, unknown>;
  /** Where lines go instead of stdout: called with each line (tests, in-process starts). */
  write?: (line: string) => void;
}

function scrubValue(value: unknown): unknown {
  if (typeof value === 'string') return scrubPaths(value);
  return value;
}

/** An error as a log field: type, code and a path-free message; never the stack (it names files). */
export function errorField(error: unknown): { type: string; message: string; code?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: scrubPaths(String(error)) };
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: scrubPaths(error.message), ...(typeof code === 'string' ? { code } : {}) };
}

const redactedKeys = ['apiKey', '*.apiKey', 'password', '*.password', 'authorization', '*.authorization', 'headers["x-api-key"]', 'headers.cookie', 'secretAccessKey', '*.secretAccessKey'];

/** Builds a logger (see the module comment). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const usePretty = options.pretty ?? (options.write === undefined && process.stdout.isTTY === true);
  const settings = {
    level: options.level ?? 'info',
    base: options.base ?? {},
    redact: { paths: redactedKeys, censor: '[redacted]' },
    serializers: { err: errorField, error: errorField },
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => Object.fromEntries(Object.entries(object).map(([k, v]) => [k, scrubValue(v)])),
    },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map(scrubValue));
      },
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.write) {
    const write = options.write;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) write(line);
        done();
      },
    });
    return pino(settings, usePretty ? pretty({ colorize: false, sync: true, destination: sink }) : sink);
  }
  if (usePretty) return pino(settings, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  return pino(settings, pino.destination({ dest: 1, sync: true }));
}

/** Whether `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return (logLevels as readonly string[]).includes(value);
}

export type { Level };
