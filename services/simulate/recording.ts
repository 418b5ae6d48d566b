/**
 * A recorded run, as the simulator replays it: a fixture written by `npm run sim:record` (the
 * arrivals, boots and service times measured from a real run's event store, the settings it ran
 * with, and the latency and instance-seconds it measured), or the report of `facefleet load --json`
 * (its requests' send times become the arrivals).
 */
import { z } from 'zod';
import type { Trace } from './traces.ts';

const ms = z.number().nonnegative();

export const recordingSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  recordedAt: z.string().optional(),
  /** How it was recorded (to re-record it). */
  command: z.string().optional(),
  /** The settings of the real run (the embedded defaults it ran with). */
  settings: z.object({
    cap: z.number().int().positive(),
    jobsPerInstance: z.number().int().positive(),
    idleFloorSeconds: z.number().positive(),
    pollWaitSeconds: z.number().nonnegative(),
    supervisorTickMs: z.number().positive(),
    emptyPollsToIdle: z.number().int().positive(),
    visibilityTimeoutSeconds: z.number().positive(),
    maxReceives: z.number().int().positive(),
  }),
  /** Job submissions, ms from the first. */
  arrivalsMs: z.array(ms).min(1),
  /** Each instance's boot in launch order: InstanceRequested → InstanceBooted, ms. */
  bootMs: z.array(ms).min(1),
  /** The supervisor's reaction: first JobSubmitted → first InstanceRequested, ms. */
  reactionMs: ms.optional(),
  /** Each job's time on a worker, in submission order (deriveRecording.ts says how it is measured), ms. */
  serviceMs: z.array(ms).min(1),
  /** Each instance's life, ms from the first submission (to compare a simulated timeline by eye). */
  instances: z.array(z.object({ requestedMs: z.number(), bootedMs: z.number().nullable(), terminatedMs: z.number().nullable(), jobs: z.number().int().nonnegative() })).optional(),
  /** What the real run measured from its event store. */
  measured: z.object({
    latencyMs: z.object({ p50: ms, p95: ms, p99: ms }),
    /** Σ over instances of InstanceRequested → InstanceTerminated, s. */
    instanceSeconds: ms,
    launches: z.number().int().nonnegative(),
    jobs: z.number().int().nonnegative(),
  }),
});

export type Recording = z.output<typeof recordingSchema>;

const loadReportSchema = z.object({ records: z.array(z.object({ startedAt: ms })).min(1) });

/** What a JSON file given as a trace holds: a recording (with its measured times) or just arrivals. */
export type RecordedInput = { kind: 'recording'; recording: Recording; trace: Trace } | { kind: 'load-report'; trace: Trace };

/** Reads a parsed JSON document as a recording or a load report; throws one sentence otherwise. */
export function readRecorded(name: string, json: unknown): RecordedInput {
  const recording = recordingSchema.safeParse(json);
  if (recording.success) {
    const offsets = toOffsets(recording.data.arrivalsMs);
    return { kind: 'recording', recording: recording.data, trace: { kind: 'recorded', name: recording.data.name, offsetsMs: offsets } };
  }
  const report = loadReportSchema.safeParse(json);
  if (report.success) return { kind: 'load-report', trace: { kind: 'recorded', name, offsetsMs: toOffsets(report.data.records.map((r) => r.startedAt)) } };
  throw new Error(`${name} is neither a simulator recording (npm run sim:record) nor a facefleet load --json report`);
}

function toOffsets(values: readonly number[]): number[] {
  // Stable: equal times keep their order, so job i of a recording stays job i.
  const sorted = [...values].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  return sorted.map((v) => v - first);
}
