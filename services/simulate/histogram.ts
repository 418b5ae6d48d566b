/**
 * A latency histogram for millions of jobs in constant memory: log-spaced buckets, 1 % wide, from
 * 0.1 ms to about 10 days. A percentile is read back within 1 % of the exact value.
 */

const minMs = 0.1;
const growth = 1.01;
const logGrowth = Math.log(growth);
const buckets = Math.ceil(Math.log(864_000_000 / minMs) / logGrowth) + 2;

export class LatencyHistogram {
  private readonly counts = new Float64Array(buckets);
  private total = 0;
  private sum = 0;
  private maxSeen = 0;
  private lastMs = Number.NaN;
  private lastBucket = 0;

  /** Records `n` jobs of latency `ms`. */
  add(ms: number, n = 1): void {
    // Many jobs share one latency (a fixed service time on an idle worker): no logarithm for a repeat.
    const i = ms === this.lastMs ? this.lastBucket : ms <= minMs ? 0 : Math.min(buckets - 1, 1 + Math.floor(Math.log(ms / minMs) / logGrowth));
    this.lastMs = ms;
    this.lastBucket = i;
    this.counts[i] = (this.counts[i] as number) + n;
    this.total += n;
    this.sum += ms * n;
    if (ms > this.maxSeen) this.maxSeen = ms;
  }

  get count(): number {
    return this.total;
  }

  get meanMs(): number {
    return this.total ? this.sum / this.total : 0;
  }

  get maxMs(): number {
    return this.maxSeen;
  }

  /** The q-quantile (0..1) in ms, the geometric middle of its bucket; 0 when empty. */
  quantile(q: number): number {
    if (!this.total) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < buckets; i += 1) {
      seen += this.counts[i] as number;
      if (seen >= rank) return i === 0 ? minMs : Math.min(this.maxSeen, minMs * growth ** (i - 0.5));
    }
    return this.maxSeen;
  }
}
