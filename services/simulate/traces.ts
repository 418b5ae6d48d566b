/**
 * Arrival traces: when jobs arrive, as offsets in ms from the start of the simulation. A trace is
 * parsed from text (`constant:R@D`, `ramp:A-B@D`, `burst:NxK@S`, `diurnal:PEAK@D`) or built from a
 * recorded run's offsets. Arrivals are paced, not random: request i of a rate-shaped trace comes
 * when the integral of the rate reaches i, the way `facefleet load` paces them, so replaying a
 * recorded load run and simulating its shape give the same arrivals.
 */

export type Trace =
  /** R jobs per second for D. */
  | { kind: 'constant'; rate: number; durationMs: number }
  /** A rate going linearly from `from` to `to` jobs/s over D. */
  | { kind: 'ramp'; from: number; to: number; durationMs: number }
  /** K bursts of N jobs, one every S (S may be 0 for a single burst). */
  | { kind: 'burst'; size: number; count: number; everyMs: number }
  /** A day-shaped rate: `peak` jobs/s at mid-period, `trough` × peak at its start and end. */
  | { kind: 'diurnal'; peak: number; trough: number; durationMs: number }
  /** The arrivals of a real run, ms from its first submission (sorted). */
  | { kind: 'recorded'; name: string; offsetsMs: readonly number[] };

/** A mistake in a trace's text (the CLI prints it as one line). */
export class TraceSyntaxError extends Error {
  override name = 'TraceSyntaxError';
}

const help = 'constant:R@D, ramp:A-B@D, burst:NxK@S, diurnal:PEAK@D (D, S like 30s, 500ms, 10m, 24h)';

/** A duration `500ms`, `1.5s`, `10m`, `24h` or `20` (seconds) in ms, or undefined. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] as number;
  return Number(m[1]) * unit;
}

const positive = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
};

/** Parses a trace's text; throws TraceSyntaxError with one sentence on anything else. */
export function parseTrace(text: string): Trace {
  const bad = (why: string) => new TraceSyntaxError(`--trace "${text}": ${why} (expected ${help})`);
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const spec = colon < 0 ? '' : text.slice(colon + 1);
  const at = spec.lastIndexOf('@');
  const head = at < 0 ? spec : spec.slice(0, at);
  const ms = at < 0 ? undefined : parseDuration(spec.slice(at + 1));
  switch (kind) {
    case 'constant': {
      const rate = positive(head);
      if (rate === undefined || rate <= 0 || ms === undefined || ms <= 0) throw bad('write constant:RATE@DURATION, e.g. constant:1000@24h');
      return { kind: 'constant', rate, durationMs: ms };
    }
    case 'ramp': {
      const m = /^([^-]+)-(.+)$/.exec(head);
      const from = positive(m?.[1]);
      const to = positive(m?.[2]);
      if (from === undefined || to === undefined || ms === undefined || ms <= 0) throw bad('write ramp:FROM-TO@DURATION, e.g. ramp:1-20@60s');
      if (from === 0 && to === 0) throw bad('a ramp from 0 to 0 sends nothing');
      return { kind: 'ramp', from, to, durationMs: ms };
    }
    case 'burst': {
      const m = /^(\d+)x(\d+)$/.exec(head);
      if (!m || ms === undefined) throw bad('write burst:SIZExCOUNT@EVERY, e.g. burst:100x1@0s');
      const size = Number(m[1]);
      const count = Number(m[2]);
      if (size < 1 || count < 1) throw bad('the burst size and count must be at least 1');
      if (count > 1 && ms <= 0) throw bad('the time between bursts must be positive');
      return { kind: 'burst', size, count, everyMs: ms };
    }
    case 'diurnal': {
      const peak = positive(head);
      if (peak === undefined || peak <= 0) throw bad('write diurnal:PEAK@DURATION, e.g. diurnal:1000@24h');
      return { kind: 'diurnal', peak, trough: 0.1, durationMs: ms ?? 86_400_000 };
    }
    default:
      throw bad(`unknown trace "${kind}"`);
  }
}

/** The rate in jobs per ms at `t` ms for the rate-shaped traces. */
function rateAt(trace: Extract<Trace, { kind: 'constant' | 'ramp' | 'diurnal' }>, t: number): number {
  switch (trace.kind) {
    case 'constant':
      return trace.rate / 1000;
    case 'ramp':
      return (trace.from + ((trace.to - trace.from) * t) / trace.durationMs) / 1000;
    case 'diurnal': {
      const wave = (1 - Math.cos((2 * Math.PI * t) / trace.durationMs)) / 2;
      return (trace.peak * (trace.trough + (1 - trace.trough) * wave)) / 1000;
    }
    default: {
      const never: never = trace;
      throw new Error(`unknown trace ${JSON.stringify(never)}`);
    }
  }
}

/** How many jobs the trace brings in all. */
export function totalJobs(trace: Trace): number {
  switch (trace.kind) {
    case 'constant':
      return Math.ceil((trace.rate * trace.durationMs) / 1000);
    case 'ramp':
      return Math.ceil((((trace.from + trace.to) / 2) * trace.durationMs) / 1000);
    case 'burst':
      return trace.size * trace.count;
    case 'diurnal':
      return Math.ceil((trace.peak * (trace.trough + (1 - trace.trough) / 2) * trace.durationMs) / 1000);
    case 'recorded':
      return trace.offsetsMs.length;
    default: {
      const never: never = trace;
      throw new Error(`unknown trace ${JSON.stringify(never)}`);
    }
  }
}

/** The trace's length in ms (its last arrival for explicit ones). */
export function traceDurationMs(trace: Trace): number {
  if (trace.kind === 'burst') return (trace.count - 1) * trace.everyMs;
  if (trace.kind === 'recorded') return trace.offsetsMs.at(-1) ?? 0;
  return trace.durationMs;
}

/** The trace written back as text. */
export function formatTrace(trace: Trace): string {
  const d = (ms: number) => (ms % 3_600_000 === 0 && ms > 0 ? `${ms / 3_600_000}h` : `${ms / 1000}s`);
  switch (trace.kind) {
    case 'constant':
      return `constant:${trace.rate}@${d(trace.durationMs)}`;
    case 'ramp':
      return `ramp:${trace.from}-${trace.to}@${d(trace.durationMs)}`;
    case 'burst':
      return `burst:${trace.size}x${trace.count}@${d(trace.everyMs)}`;
    case 'diurnal':
      return `diurnal:${trace.peak}@${d(trace.durationMs)}`;
    case 'recorded':
      return `recorded:${trace.name} (${trace.offsetsMs.length} jobs)`;
    default: {
      const never: never = trace;
      throw new Error(`unknown trace ${JSON.stringify(never)}`);
    }
  }
}

/** Yields the trace's arrival times in order; Infinity once it has no more. */
export interface Arrivals {
  next(): number;
}

/** The segment over which a changing rate is taken as constant, ms. */
const segmentMs = 10;

/** The arrivals of a trace, in order, computed on demand (a day at 1,000/s is never held in memory). */
export function arrivals(trace: Trace): Arrivals {
  switch (trace.kind) {
    case 'burst': {
      let i = 0;
      const n = trace.size * trace.count;
      return { next: () => (i < n ? Math.floor(i++ / trace.size) * trace.everyMs : Infinity) };
    }
    case 'recorded': {
      let i = 0;
      return { next: () => (i < trace.offsetsMs.length ? (trace.offsetsMs[i++] as number) : Infinity) };
    }
    case 'constant': {
      // Job i at i / rate, as facefleet load paces a constant shape.
      let i = 0;
      const gapMs = 1000 / trace.rate;
      return {
        next() {
          const t = i * gapMs;
          if (t >= trace.durationMs - 1e-6) return Infinity;
          i += 1;
          return t;
        },
      };
    }
    default: {
      // Request i comes when ∫rate reaches i: the first at 0, then one each time a whole job accrues.
      let t = 0;
      let owed = 0;
      const end = trace.durationMs;
      return {
        next() {
          while (t < end) {
            const segEnd = Math.min(end, (Math.floor(t / segmentMs) + 1) * segmentMs);
            const r = rateAt(trace, (Math.floor(t / segmentMs) + 0.5) * segmentMs);
            const accrues = r * (segEnd - t);
            if (r > 0 && accrues >= owed && t + owed / r < end - 1e-6) {
              t += owed / r;
              owed = 1;
              return t;
            }
            owed -= accrues;
            t = segEnd;
          }
          return Infinity;
        },
      };
    }
  }
}
