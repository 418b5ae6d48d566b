/**
 * The worker's seam for fault injection (the reliability suite, test/faults/). The worker only
 * calls these hooks; the composition root (app/faults.ts) builds them from the environment and
 * injects them. Absent, the worker runs with `noFaults`: every hook a no-op.
 */

/** The hooks the worker calls at the points where a fault can be injected. */
export interface FaultHooks {
  /** True when any fault is configured. */
  readonly active: boolean;
  /**
   * Called just before the model runs on a job's image: may throw (a model failure that is not the
   * input's fault) or wait (a stalled attempt whose lease is not extended meanwhile).
   */
  beforeRecognition(bytes: Uint8Array, attempt: number): Promise<void>;
  /** True while a stalled attempt is running: the worker must not extend its message's lease. */
  leaseExtensionSuspended(): boolean;
  /** True when the worker must hang after InstanceTerminating instead of ending. */
  readonly hangOnTerminate: boolean;
  /** Never resolves, and keeps the process alive (a worker that ignores its end). */
  hang(): Promise<never>;
}

/** No fault: what every normal run uses. */
export const noFaults: FaultHooks = {
  active: false,
  hangOnTerminate: false,
  beforeRecognition: async () => undefined,
  leaseExtensionSuspended: () => false,
  hang: () => new Promise<never>(() => undefined),
};
