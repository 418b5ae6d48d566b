/**
 * How long an instance waits on an empty queue before it terminates itself (DESIGN.md, Scaling).
 * The default is what a replacement costs to start — boot to first poll (InstanceRequested →
 * InstanceBooted), rolling median of the last boots, never below a floor: waiting as long as a new
 * boot would cost keeps the waste within 2× of the best possible whatever the next arrival (the
 * ski-rental rule). A configured value replaces the measurement. Before any boot has been measured
 * the backend's prior is used (embedded: the floor; EC2: tens of seconds).
 */

export interface IdlePolicy {
  /** A configured idle time, seconds; absent: measured. */
  fixedSeconds?: number;
  /** Never idle less than this, seconds. */
  floorSeconds: number;
  /** Before any boot is measured, seconds. */
  priorSeconds: number;
  /** How many recent boots the median is taken over. */
  window: number;
}

/** The median of a non-empty list (the mean of the two middle values for an even length). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/**
 * The idle time for the next instances, seconds (to 0.01 s): the fixed value when configured,
 * else max(floor, median of the boot samples in ms / 1000), else max(floor, prior). Pure.
 */
export function idleSeconds(policy: IdlePolicy, bootSamplesMs: readonly number[]): number {
  if (policy.fixedSeconds !== undefined) return policy.fixedSeconds;
  const measured = bootSamplesMs.length > 0 ? median(bootSamplesMs) / 1000 : policy.priorSeconds;
  return Math.round(Math.max(policy.floorSeconds, measured) * 100) / 100;
}

/** A bounded record of recent boot durations, each instance counted once. */
export class BootSamples {
  private readonly samples: Array<{ instanceId: string; ms: number }> = [];

  constructor(private readonly window: number) {}

  /** Adds the boot of an instance (requested → booted, ms) unless already counted; keeps the last `window`. */
  add(instanceId: string, requestedAt: string | null, bootedAt: string | null): void {
    if (!requestedAt || !bootedAt || this.samples.some((s) => s.instanceId === instanceId)) return;
    const ms = Date.parse(bootedAt) - Date.parse(requestedAt);
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples.push({ instanceId, ms });
    if (this.samples.length > this.window) this.samples.shift();
  }

  /** The durations, oldest first. */
  values(): number[] {
    return this.samples.map((s) => s.ms);
  }
}
