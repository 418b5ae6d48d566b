/**
 * The worker's lifecycle as a typed event map (as bbc/sqs-consumer does), and a tiny typed emitter
 * that tests can await (`await worker.next('jobCompleted')`) instead of sleeping.
 */

export interface WorkerEvents {
  /** The model is loaded and InstanceBooted is recorded; polling starts. */
  started: { instanceId: string; modelLoadMs: number };
  /** A long poll returned nothing. `emptyPolls` counts the empty polls in a row. */
  empty: { emptyPolls: number };
  jobStarted: { jobId: string; attempt: number };
  jobCompleted: { jobId: string; label: string; durationMs: number };
  /** The job failed for good (input the model rejects, attempts exhausted, image missing). */
  jobFailed: { jobId: string; code: string; reason: string };
  /** A message that needed no work: malformed, unknown job, already finished, or taken over by another worker. */
  jobSkipped: { jobId?: string; reason: string };
  /** The job hit an unexpected error: its message comes back after the visibility timeout. */
  jobRetry: { jobId: string; error: string };
  /** The job was handed back to the queue at shutdown. */
  jobReleased: { jobId: string };
  terminating: { reason: 'idle' | 'shutdown' | 'disowned' };
  stopped: { reason: 'idle' | 'shutdown' | 'disowned' | 'error' };
  /** Something went wrong that the loop survived. */
  error: { error: unknown; context: string };
}

export type WorkerEventName = keyof WorkerEvents;
type Listener<K extends WorkerEventName> = (payload: WorkerEvents[K]) => void;

/** A minimal typed event emitter; listeners that throw are isolated from the loop. */
export class LifecycleEmitter {
  private readonly listeners = new Map<WorkerEventName, Set<Listener<never>>>();

  /** Calls `listener` for every `name` event; returns a function that removes it. */
  on<K extends WorkerEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Resolves with the next `name` event (optionally the next that matches `filter`). */
  next<K extends WorkerEventName>(name: K, filter?: (payload: WorkerEvents[K]) => boolean): Promise<WorkerEvents[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (payload) => {
        if (filter && !filter(payload)) return;
        off();
        resolve(payload);
      });
    });
  }

  emit<K extends WorkerEventName>(name: K, payload: WorkerEvents[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<K>)(payload);
      } catch {
        // A listener's bug must not stop the worker.
      }
    }
  }
}
