/**
 * The simulator's only source of randomness: a seeded PRNG (mulberry32) and the few distributions
 * the fleet needs. The same seed always gives the same run.
 */

/** A uniform number in [0, 1). */
export type Random = () => number;

/** mulberry32: tiny, fast, good enough for a simulation; deterministic for a 32-bit seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A duration distribution in milliseconds: one value, uniform between two, or drawn from measured
 * samples (an empirical distribution, e.g. a recorded run's boots or service times).
 */
export type Distribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'empirical'; samplesMs: readonly number[] }
  /** A recorded run's values replayed in order (the i-th launch's boot, the i-th job's service), cycling. */
  | { kind: 'sequence'; samplesMs: readonly number[] };

/** One draw; `index` (the launch's or the job's number) picks the value of a sequence. */
export function draw(d: Distribution, random: Random, index = 0): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + (d.maxMs - d.minMs) * random();
    case 'empirical':
      return d.samplesMs[Math.floor(random() * d.samplesMs.length)] ?? 0;
    case 'sequence':
      return d.samplesMs[index % d.samplesMs.length] ?? 0;
    default: {
      const never: never = d;
      throw new Error(`unknown distribution ${JSON.stringify(never)}`);
    }
  }
}

/** The mean of a distribution, ms. */
export function meanMs(d: Distribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return (d.minMs + d.maxMs) / 2;
    case 'empirical':
    case 'sequence':
      return d.samplesMs.reduce((a, b) => a + b, 0) / Math.max(1, d.samplesMs.length);
    default: {
      const never: never = d;
      throw new Error(`unknown distribution ${JSON.stringify(never)}`);
    }
  }
}

/** The distribution written back as text (`1.5s`, `30s-90s`, `empirical(12 samples)`). */
export function formatDistribution(d: Distribution): string {
  const s = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(3)}s` : `${+ms.toFixed(1)}ms`);
  if (d.kind === 'fixed') return s(d.ms);
  if (d.kind === 'uniform') return `${s(d.minMs)}-${s(d.maxMs)}`;
  return `${d.kind === 'sequence' ? 'recorded' : 'measured'} (${d.samplesMs.length} values, mean ${s(meanMs(d))})`;
}
