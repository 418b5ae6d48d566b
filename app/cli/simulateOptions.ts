/**
 * `facefleet simulate`'s command line, read into what the pure simulator takes: a trace, the base
 * settings (the app's config defaults, the operator's flags, a recording's own settings) and the
 * idle policies to compare. Every mistake is a one-line UsageError.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../client/usageError.ts';
import { configSchema, idlePolicy, type Config } from '../config.ts';
import { meanMs, type Distribution } from '../../services/simulate/random.ts';
import { readRecorded, type Recording } from '../../services/simulate/recording.ts';
import type { SimSettings } from '../../services/simulate/simulate.ts';
import { parseDuration, parseTrace, TraceSyntaxError, type Trace } from '../../services/simulate/traces.ts';
import type { IdlePolicy } from '../../services/supervisor/idlePolicy.ts';
import { parseCommandLine } from './command.ts';

export const simulateFlags = {
  trace: { type: 'string' },
  boot: { type: 'string' },
  service: { type: 'string' },
  cap: { type: 'string' },
  'jobs-per-instance': { type: 'string' },
  idle: { type: 'string' },
  tick: { type: 'string' },
  nudge: { type: 'string' },
  reaction: { type: 'string' },
  dispatch: { type: 'string' },
  'poll-wait': { type: 'string' },
  visibility: { type: 'string' },
  'max-receives': { type: 'string' },
  'launch-failures': { type: 'string' },
  capacity: { type: 'string' },
  hangs: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface SimulatePlan {
  trace: Trace;
  base: SimSettings;
  policies: Array<{ label: string; idle: IdlePolicy }>;
  out: string;
  json: boolean;
  recording?: Recording;
}

/** A duration distribution: `1.5s`, `60ms`, `30s-90s` (uniform), `ec2` (30s-90s), or `measured` (a recording's values, replayed in order). */
export function parseDistribution(flag: string, text: string, measured?: readonly number[]): Distribution {
  if (text === 'ec2') return { kind: 'uniform', minMs: 30_000, maxMs: 90_000 };
  if (text === 'measured') {
    if (!measured) throw new UsageError(`--${flag} measured needs a recording as --trace (a fixture written by npm run sim:record)`);
    // The recording's own values in order: its i-th launch boots and its i-th job takes as they did.
    return { kind: 'sequence', samplesMs: measured };
  }
  const range = /^([^-]+)-(.+)$/.exec(text);
  if (range) {
    const hi = parseDuration(range[2] as string);
    const unit = /[a-z]+$/.exec(range[2] as string)?.[0] ?? 's';
    const lo = parseDuration(/[a-z]$/.test(range[1] as string) ? (range[1] as string) : `${range[1]}${unit}`);
    if (lo === undefined || hi === undefined || lo > hi) throw new UsageError(`--${flag} "${text}": write MIN-MAX, e.g. 30s-90s`);
    return { kind: 'uniform', minMs: lo, maxMs: hi };
  }
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${flag} "${text}": write a duration (60ms, 1.5s), a range (30s-90s), ec2 or measured`);
  return { kind: 'fixed', ms };
}

function number(flag: string, text: string | undefined, min: number, max: number, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const n = text === 'none' || text === 'inf' ? Infinity : Number(text);
  if (Number.isNaN(n) || n < min || n > max || (integer && Number.isFinite(n) && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} "${text}": must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return n;
}

function seconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${flag} "${text}": write a duration, e.g. 2s or 500ms`);
  return ms / 1000;
}

/** The base settings: config defaults, then a recording's own settings, then the operator's flags. */
export function simSettings(config: Config, boot: Distribution, service: Distribution, extra: Partial<SimSettings> = {}): SimSettings {
  const longestBootS = (boot.kind === 'fixed' ? boot.ms : boot.kind === 'uniform' ? boot.maxMs : Math.max(...boot.samplesMs)) / 1000;
  return {
    cap: config.cap,
    jobsPerInstance: config.jobsPerInstance,
    terminateGraceSeconds: config.terminateGraceSeconds,
    heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
    // A boot timeout below the slowest boot would mark healthy boots lost: never less than twice it.
    bootTimeoutSeconds: Math.max(config.bootTimeoutSeconds, 2 * longestBootS),
    idle: idlePolicy(config),
    emptyPollsToIdle: config.emptyPollsToIdle,
    pollWaitSeconds: config.pollWaitSeconds,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    maxReceives: config.maxReceives,
    tickMs: config.supervisorTickMs,
    nudgeGapMs: 100,
    reactionMs: 50,
    dispatch: config.backend === 'aws' ? 'random' : 'lifo',
    boot,
    service,
    launchFailureRate: 0,
    capacity: Infinity,
    hangsPerInstanceHour: 0,
    seed: 1,
    foldJobsUpTo: 20_000,
    drainLimitMs: 6 * 3_600_000,
    seriesPoints: 600,
    ...extra,
  };
}

/** The app's config for a recording's run (its settings over the defaults). */
export function configForRecording(recording: Recording | undefined, backend: 'embedded' | 'aws'): Config {
  const base = configSchema.parse({ backend }) as Config;
  if (!recording) return base;
  const s = recording.settings;
  return { ...base, cap: s.cap, jobsPerInstance: s.jobsPerInstance, idleFloorSeconds: s.idleFloorSeconds, pollWaitSeconds: s.pollWaitSeconds, supervisorTickMs: s.supervisorTickMs, emptyPollsToIdle: s.emptyPollsToIdle, visibilityTimeoutSeconds: s.visibilityTimeoutSeconds, maxReceives: s.maxReceives };
}

/** `auto`, a duration, or `Kxboot` (K times the mean boot): the idle policies to compare. */
export function parsePolicies(text: string, base: IdlePolicy, boot: Distribution): Array<{ label: string; idle: IdlePolicy }> {
  const bootS = meanMs(boot) / 1000;
  return text.split(',').map((token) => {
    const t = token.trim();
    if (t === 'auto') return { label: 'idle auto (measured boot)', idle: { ...base, fixedSeconds: undefined } as IdlePolicy };
    const multiple = /^(\d+(?:\.\d+)?)xboot$/.exec(t);
    const s = multiple ? Math.max(0.1, Math.round(Number(multiple[1]) * bootS * 100) / 100) : (parseDuration(t) ?? NaN) / 1000;
    if (!(s >= 0.1 && s <= 86_400)) throw new UsageError(`--idle "${t}": write auto, a duration from 0.1s (e.g. 30s) or a multiple of the boot (e.g. 2xboot)`);
    return { label: `idle ${s} s${multiple ? ` (${multiple[1]}× boot)` : ''}`, idle: { ...base, fixedSeconds: s } };
  });
}

function dispatchOf(text: string): 'lifo' | 'random' {
  if (text !== 'lifo' && text !== 'random') throw new UsageError(`--dispatch "${text}": must be lifo or random`);
  return text;
}

/** Reads the command line (and a recorded trace's file) into a plan. */
export function parseSimulateArgs(argv: string[]): SimulatePlan {
  const { values: v, positionals } = parseCommandLine(argv, simulateFlags);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (see facefleet simulate --help)`);
  if (!v.trace) throw new UsageError('--trace is required, e.g. --trace burst:100x1@0s or --trace recording.json');
  let trace: Trace;
  let recording: Recording | undefined;
  if (v.trace.endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(v.trace, 'utf8'));
    } catch (error) {
      throw new UsageError(`--trace ${v.trace}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a JSON file'}`);
    }
    try {
      const input = readRecorded(v.trace, json);
      trace = input.trace;
      if (input.kind === 'recording') recording = input.recording;
    } catch (error) {
      throw new UsageError(`--trace ${(error as Error).message}`);
    }
  } else {
    try {
      trace = parseTrace(v.trace);
    } catch (error) {
      if (error instanceof TraceSyntaxError) throw new UsageError(error.message);
      throw error;
    }
  }
  const boot = parseDistribution('boot', v.boot ?? (recording ? 'measured' : '1.5s'), recording?.bootMs);
  const service = parseDistribution('service', v.service ?? (recording ? 'measured' : '60ms'), recording?.serviceMs);
  // EC2-like boots get the aws backend's idle prior (60 s before any boot is measured).
  const config = configForRecording(recording, meanMs(boot) >= 10_000 ? 'aws' : 'embedded');
  const cap = number('cap', v.cap, 1, 100_000, true);
  const jobsPerInstance = number('jobs-per-instance', v['jobs-per-instance'], 1, 100, true);
  const tick = seconds('tick', v.tick);
  const nudge = v.nudge === 'off' ? 0 : seconds('nudge', v.nudge);
  const pollWait = seconds('poll-wait', v['poll-wait']);
  const reaction = seconds('reaction', v.reaction);
  const visibility = seconds('visibility', v.visibility);
  const base = simSettings({ ...config, ...(cap === undefined ? {} : { cap }), ...(jobsPerInstance === undefined ? {} : { jobsPerInstance }) }, boot, service, {
    ...(tick === undefined ? {} : { tickMs: tick * 1000 }),
    ...(nudge === undefined ? {} : { nudgeGapMs: nudge * 1000 }),
    ...(reaction !== undefined ? { reactionMs: reaction * 1000 } : recording?.reactionMs !== undefined ? { reactionMs: recording.reactionMs } : {}),
    ...(pollWait === undefined ? {} : { pollWaitSeconds: pollWait }),
    ...(visibility === undefined ? {} : { visibilityTimeoutSeconds: visibility }),
    ...(v['max-receives'] === undefined ? {} : { maxReceives: number('max-receives', v['max-receives'], 1, 1000, true) as number }),
    ...(v['launch-failures'] === undefined ? {} : { launchFailureRate: number('launch-failures', v['launch-failures'], 0, 1) as number }),
    ...(v.capacity === undefined ? {} : { capacity: number('capacity', v.capacity, 0, Infinity, true) as number }),
    ...(v.hangs === undefined ? {} : { hangsPerInstanceHour: number('hangs', v.hangs, 0, 3600) as number }),
    ...(v.dispatch === undefined ? {} : { dispatch: dispatchOf(v.dispatch) }),
    ...(v.seed === undefined ? {} : { seed: number('seed', v.seed, 0, 2 ** 32 - 1, true) as number }),
  });
  const policies = parsePolicies(v.idle ?? 'auto,0.25xboot,4xboot', base.idle, boot);
  return { trace, base, policies, out: v.out ?? 'facefleet-simulate.svg', json: v.json ?? false, ...(recording ? { recording } : {}) };
}
