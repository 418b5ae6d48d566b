/**
 * Load shapes: when request i may be sent, as an offset from the start of the run. Computing the
 * schedule is pure (`plannedOffset`); the pacer only sleeps on a clock it is given, so tests pass a
 * fake one.
 */
import { UsageError } from '../usageError.ts';

export type Shape =
  /** No pacing: as fast as the concurrency allows. */
  | { kind: 'closed' }
  /** R requests per second. */
  | { kind: 'constant'; rate: number }
  /** A rate going linearly from `from` to `to` req/s over `durationMs`, then staying at `to`. */
  | { kind: 'ramp'; from: number; to: number; durationMs: number }
  /** `count` bursts of `size` requests, one every `everyMs` (and more bursts if more requests). */
  | { kind: 'burst'; size: number; count: number; everyMs: number };

/** A clock in milliseconds (monotonic) and a way to wait on it. */
export interface LoadClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock: performance.now() and setTimeout. */
export const realLoadClock: LoadClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

const shapeHelp = 'constant:R, ramp:A-B@Ds or burst:NxK@Ss';

/** A non-negative decimal number, or undefined. */
function number(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** A duration `20s`, `1.5s`, `500ms` or `20` (seconds) in milliseconds, or undefined. */
function duration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (!m) return undefined;
  return m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
}

/**
 * Parses `--shape`. Throws a one-line UsageError on anything else than `closed`, `constant:R`,
 * `ramp:A-B@Ds` (A, B ≥ 0, not both 0, D > 0) or `burst:NxK@Ss` (N, K ≥ 1 integers, S > 0).
 */
export function parseShape(text: string): Shape {
  const bad = (why: string) => new UsageError(`--shape "${text}": ${why} (expected ${shapeHelp})`);
  if (text === 'closed') return { kind: 'closed' };
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const spec = colon < 0 ? '' : text.slice(colon + 1);
  switch (kind) {
    case 'constant': {
      const rate = number(spec);
      if (rate === undefined || rate <= 0) throw bad('the rate must be a positive number of requests per second');
      return { kind: 'constant', rate };
    }
    case 'ramp': {
      const m = /^([^-@]+)-([^@]+)@(.+)$/.exec(spec);
      const from = number(m?.[1]);
      const to = number(m?.[2]);
      const ms = m?.[3] === undefined ? undefined : duration(m[3]);
      if (from === undefined || to === undefined || ms === undefined) throw bad('write ramp:FROM-TO@SECONDSs, e.g. ramp:1-20@60s');
      if (from === 0 && to === 0) throw bad('a ramp from 0 to 0 sends nothing');
      if (ms <= 0) throw bad('the ramp duration must be positive');
      return { kind: 'ramp', from, to, durationMs: ms };
    }
    case 'burst': {
      const m = /^(\d+)x(\d+)@(.+)$/.exec(spec);
      const ms = m?.[3] === undefined ? undefined : duration(m[3]);
      if (!m || ms === undefined) throw bad('write burst:SIZExCOUNT@SECONDSs, e.g. burst:50x3@20s');
      const size = Number(m[1]);
      const count = Number(m[2]);
      if (size < 1 || count < 1) throw bad('the burst size and count must be at least 1');
      if (ms <= 0) throw bad('the time between bursts must be positive');
      return { kind: 'burst', size, count, everyMs: ms };
    }
    default:
      throw bad(`unknown shape "${kind}"`);
  }
}

/** The shape written back as text (what parseShape reads). */
export function formatShape(shape: Shape): string {
  switch (shape.kind) {
    case 'closed':
      return 'closed';
    case 'constant':
      return `constant:${shape.rate}`;
    case 'ramp':
      return `ramp:${shape.from}-${shape.to}@${shape.durationMs / 1000}s`;
    case 'burst':
      return `burst:${shape.size}x${shape.count}@${shape.everyMs / 1000}s`;
    default:
      return assertNever(shape);
  }
}

/**
 * How many requests the shape itself describes: a ramp's area ((A+B)/2·D), a burst's N·K;
 * undefined for closed and constant, which go on as long as there are requests.
 */
export function naturalTotal(shape: Shape): number | undefined {
  switch (shape.kind) {
    case 'closed':
    case 'constant':
      return undefined;
    case 'ramp':
      return Math.max(1, Math.round(((shape.from + shape.to) / 2) * (shape.durationMs / 1000)));
    case 'burst':
      return shape.size * shape.count;
    default:
      return assertNever(shape);
  }
}

/**
 * The most requests the shape can ever send: Infinity except for a ramp down to 0, which stops
 * when its rate reaches 0.
 */
export function maxRequests(shape: Shape): number {
  if (shape.kind === 'ramp' && shape.to === 0) return naturalTotal(shape) ?? 0;
  return Infinity;
}

/**
 * Milliseconds after the start at which request `index` (0-based) may be sent. Pure; non-decreasing
 * in `index`. For a ramp, request i goes when the cumulative rate ∫r reaches i.
 */
export function plannedOffset(shape: Shape, index: number): number {
  switch (shape.kind) {
    case 'closed':
      return 0;
    case 'constant':
      return (index / shape.rate) * 1000;
    case 'ramp': {
      if (index <= 0) return 0;
      const d = shape.durationMs / 1000;
      const k = (shape.to - shape.from) / d; // rate slope, req/s²
      const atEnd = ((shape.from + shape.to) / 2) * d; // requests sent by the end of the ramp
      if (index <= atEnd) {
        // Solve from·t + k·t²/2 = index; this form is stable when k → 0 and exact when k = 0.
        const t = (2 * index) / (shape.from + Math.sqrt(Math.max(0, shape.from * shape.from + 2 * k * index)));
        return Math.min(t, d) * 1000;
      }
      if (shape.to === 0) return Infinity;
      return (d + (index - atEnd) / shape.to) * 1000;
    }
    case 'burst':
      return Math.floor(index / shape.size) * shape.everyMs;
    default:
      return assertNever(shape);
  }
}

/** Waits for each request's turn on the given clock, counting from the first call's time. */
export interface Pacer {
  /** Resolves at start + plannedOffset(index) (at once when that is past); returns the planned time. */
  waitTurn(index: number): Promise<number>;
}

/** A pacer for the shape over the clock; the run starts at `start` (default: clock.now() now). */
export function createPacer(shape: Shape, clock: LoadClock, start = clock.now()): Pacer {
  return {
    async waitTurn(index) {
      const planned = plannedOffset(shape, index);
      const wait = start + planned - clock.now();
      if (wait > 0) await clock.sleep(wait);
      return planned;
    },
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected shape ${JSON.stringify(value)}`);
}
