/**
 * The instance stream's event types and the zod schema of each one's data.
 */
import { z } from 'zod';

const id = z.string().min(1).max(200);

export const instanceEventSchemas = {
  /** The supervisor decided to launch this instance (it is not running yet). */
  InstanceRequested: z.object({
    instanceId: id,
    reason: z.enum(['backlog', 'replacement', 'manual']),
    backlog: z.number().int().nonnegative().optional(),
    /** Empty polls in a row after which the instance counts as idle. */
    emptyPollsToIdle: z.number().int().min(1),
    /** Empty polls in a row after which the instance terminates itself (histories without idleSeconds). */
    emptyPollsToTerminate: z.number().int().min(1).optional(),
    /**
     * Seconds the request queue must stay empty before the instance terminates itself (the measured
     * cost of starting a replacement, or the configured value). When present it replaces the
     * empty-poll count as the self-termination rule.
     */
    idleSeconds: z.number().positive().max(86_400).optional(),
  }),
  /** Compute accepted the launch: `providerId` is the process or EC2 instance id. */
  InstanceLaunched: z.object({ providerId: z.string().min(1), backend: z.string().min(1) }),
  /** Compute refused the launch (capacity, permissions…). */
  /** `backoffMs`: how long the supervisor launches nothing after this failure (full-jitter backoff). */
  InstanceLaunchFailed: z.object({ reason: z.string().max(2000), backoffMs: z.number().int().min(0).optional() }),
  /** The worker loaded its model and starts polling. */
  InstanceBooted: z.object({
    providerId: z.string().min(1).optional(),
    modelLoadMs: z.number().nonnegative(),
  }),
  /** The worker is alive. */
  InstanceHeartbeat: z.object({}),
  /** A long poll of the request queue returned nothing. */
  InstancePolledEmpty: z.object({}),
  /** The worker took a job. */
  InstanceJobStarted: z.object({ jobId: id }),
  /** The worker let go of its job. */
  InstanceJobFinished: z.object({ jobId: id, outcome: z.enum(['done', 'failed', 'skipped', 'retry']) }),
  /** The worker is shutting down: `idle` is self-termination after the queue stayed empty long enough. */
  InstanceTerminating: z.object({ reason: z.enum(['idle', 'shutdown']) }),
  /** The instance is gone: `self` when the worker reports it, `supervisor` when the supervisor saw it exit. */
  InstanceTerminated: z.object({ by: z.enum(['self', 'supervisor']), exitCode: z.number().int().nullable().optional() }),
  /** Heartbeats stopped, or the process vanished without saying goodbye. */
  InstanceLost: z.object({
    reason: z.enum(['heartbeat-timeout', 'boot-timeout', 'process-exited']),
    lastHeartbeatAt: z.string().nullable().optional(),
    exitCode: z.number().int().nullable().optional(),
  }),
  /** The supervisor terminated the instance by force (it outlived its grace period, was lost, or still ran after it said it terminated). */
  InstanceTerminationForced: z.object({
    reason: z.enum(['grace-period-expired', 'still-running', 'lost', 'shutdown']),
  }),
} as const;

export type InstanceEventType = keyof typeof instanceEventSchemas;
export type InstanceEventData<T extends InstanceEventType> = z.output<(typeof instanceEventSchemas)[T]>;

/** An instance event as the machine receives it. */
export type InstanceEvent = {
  [T in InstanceEventType]: { type: T; at: string; data: InstanceEventData<T>; seq?: number; stream?: string };
}[InstanceEventType];

export const instanceEventTypes = Object.keys(instanceEventSchemas) as InstanceEventType[];
