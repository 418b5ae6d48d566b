/**
 * The worker: one explicit loop (as bbc/sqs-consumer), `start()` / `stop({ abort })`, lifecycle
 * events. It loads the model once, records InstanceBooted, then long-polls the request queue; every
 * empty poll is an InstancePolledEmpty, and when the instance machine allows it (the queue stayed
 * empty for the instance's `idleSeconds`) the worker terminates itself: InstanceTerminating{idle}, InstanceTerminated{self}, then
 * `compute.terminate(selfId)`. A heartbeat appends InstanceHeartbeat and extends the visibility of
 * the message being worked on, so long jobs are not delivered twice.
 */
import type { Blobs, Compute, EventStore, Queue, QueueMessage } from '../../adapters/ports.ts';
import type { Gallery } from '../../model/index.ts';
import type { InstanceEventData, NewEvent } from '../../machines/index.ts';
import { isoNow, type Clock } from '../clock.ts';
import { noFaults, type FaultHooks } from './faultHooks.ts';
import { holderAliveFrom } from './holderAlive.ts';
import { InstanceReporter } from './instanceReporter.ts';
import { idleWaitSeconds } from './idleWait.ts';
import { LifecycleEmitter } from './lifecycle.ts';
import { processMessage, type JobOutcome, type Recognizer } from './processMessage.ts';

export interface WorkerSettings {
  pollWaitSeconds: number;
  visibilityTimeoutSeconds: number;
  heartbeatSeconds: number;
  /**
   * Silence after which the supervisor declares an instance lost; a job held by an instance heard
   * from more recently is not taken over on a duplicate delivery (default: 3 heartbeats).
   */
  heartbeatTimeoutSeconds?: number;
  /** Used only when the worker has to request its own instance (started by hand). */
  emptyPollsToIdle: number;
  /** Started by hand: seconds of empty queue before leaving (the supervisor's instances carry their own). */
  idleSeconds?: number;
  /** Started by hand without idleSeconds: the older rule, N empty polls in a row. */
  emptyPollsToTerminate?: number;
  threshold?: number;
  /** See JobDeps.ambiguityMargin. */
  ambiguityMargin?: number;
  /** See JobDeps.ambiguousLabel. */
  ambiguousLabel?: boolean;
}

export interface WorkerDeps {
  store: EventStore;
  blobs: Blobs;
  requests: Queue;
  responses: Queue;
  compute: Compute;
  clock: Clock;
  /** Loads the model (once, at start). */
  loadRecognizer(): Promise<Recognizer>;
  gallery(): Promise<Gallery>;
  instanceId: string;
  settings: WorkerSettings;
  log?: (line: string) => void;
  /** Fault injection for the reliability tests (default: none). */
  faults?: FaultHooks;
}

/** The match settings a job needs, without undefined keys. */
function matchSettings(settings: WorkerSettings): Pick<WorkerSettings, 'threshold' | 'ambiguityMargin' | 'ambiguousLabel'> {
  const { threshold, ambiguityMargin, ambiguousLabel } = settings;
  return {
    ...(threshold === undefined ? {} : { threshold }),
    ...(ambiguityMargin === undefined ? {} : { ambiguityMargin }),
    ...(ambiguousLabel === undefined ? {} : { ambiguousLabel }),
  };
}

export type StopReason = 'idle' | 'shutdown' | 'disowned' | 'error';

export class Worker extends LifecycleEmitter {
  private readonly reporter: InstanceReporter;
  /** Aborts everything in flight, the current job included (stop({ abort: true })). */
  private readonly abortController = new AbortController();
  /** Aborts the long poll only (any stop). */
  private readonly pollController = new AbortController();
  private stopping = false;
  private current: QueueMessage | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private loop: Promise<StopReason> | undefined;
  private readonly log: (line: string) => void;
  private readonly faults: FaultHooks;

  constructor(private readonly deps: WorkerDeps) {
    super();
    this.reporter = new InstanceReporter(deps.store, deps.instanceId);
    this.faults = deps.faults ?? noFaults;
    this.log = deps.log ?? ((line) => process.stderr.write(`[worker ${deps.instanceId}] ${line}\n`));
  }

  /** Resolves once the loop ended (with why). */
  get done(): Promise<StopReason> {
    if (!this.loop) throw new Error('worker not started');
    return this.loop;
  }

  /** Loads the model, records the boot and starts polling; resolves when polling has begun. */
  async start(): Promise<void> {
    if (this.loop) return;
    const booted = this.boot();
    this.loop = booted.then(
      (ok) => (ok ? this.run() : this.finish('disowned')),
      async (error: unknown) => {
        this.emit('error', { error, context: 'boot' });
        this.log(`boot failed: ${describe(error)}`);
        return this.finish('error');
      },
    );
    await Promise.race([booted.catch(() => undefined), this.loop]);
  }

  /**
   * Stops the loop. Without `abort` the current job is finished first; with it the job is released
   * (its message made visible again). Records InstanceTerminating{shutdown} + InstanceTerminated{self}.
   */
  async stop(options: { abort?: boolean } = {}): Promise<StopReason> {
    this.stopping = true;
    this.pollController.abort(new Error('worker stopping'));
    if (options.abort) this.abortController.abort(new Error('worker aborted'));
    return this.loop ?? 'shutdown';
  }

  private event(type: string, data: unknown): NewEvent {
    return { type, at: isoNow(this.deps.clock), data };
  }

  private async boot(): Promise<boolean> {
    const { settings } = this.deps;
    const state = await this.reporter.load();
    if (state.state === 'new') {
      // Started by hand, not by the supervisor: request the instance ourselves.
      await this.reporter.reportIfAllowed([
        this.event('InstanceRequested', {
          instanceId: this.deps.instanceId,
          reason: 'manual',
          emptyPollsToIdle: settings.emptyPollsToIdle,
          ...(settings.idleSeconds === undefined ? {} : { idleSeconds: settings.idleSeconds }),
          ...(settings.emptyPollsToTerminate === undefined ? {} : { emptyPollsToTerminate: settings.emptyPollsToTerminate }),
        } satisfies InstanceEventData<'InstanceRequested'>),
      ]);
    }
    const recognizer = await this.deps.loadRecognizer();
    this.recognizer = recognizer;
    const providerId = await this.deps.compute.selfId().catch(() => undefined);
    const booted = await this.reporter.reportIfAllowed([
      this.event('InstanceBooted', {
        ...(providerId ? { providerId } : {}),
        modelLoadMs: Math.round(recognizer.loadTimeMs),
      } satisfies InstanceEventData<'InstanceBooted'>),
    ]);
    if (booted.length === 0) {
      this.log(`the instance stream is "${this.reporter.current.state}": not booting`);
      return false;
    }
    this.startHeartbeat();
    this.emit('started', { instanceId: this.deps.instanceId, modelLoadMs: recognizer.loadTimeMs });
    return true;
  }

  private recognizer: Recognizer | undefined;

  private startHeartbeat(): void {
    const { heartbeatSeconds, visibilityTimeoutSeconds } = this.deps.settings;
    const everyMs = heartbeatSeconds * 1000;
    this.heartbeat = setInterval(() => {
      const held = this.current;
      // Fault injection (slow-job-ms): a stalled attempt lets its lease run out.
      if (held && !this.faults.leaseExtensionSuspended()) {
        this.deps.requests.changeVisibility(held.receiptHandle, visibilityTimeoutSeconds).catch((error: unknown) => {
          this.emit('error', { error, context: 'extend visibility' });
        });
      }
      // Any appended instance event is a sign of life; add a heartbeat only when there was none lately.
      if (Date.now() - this.reporter.lastAppendAt < everyMs / 2) return;
      this.reporter.reportIfAllowed([this.event('InstanceHeartbeat', {})]).catch((error: unknown) => {
        this.emit('error', { error, context: 'heartbeat' });
      });
    }, everyMs);
    this.heartbeat.unref();
  }

  private async run(): Promise<StopReason> {
    let reason: StopReason = 'shutdown';
    let failuresInARow = 0;
    while (!this.stopping) {
      if (this.reporter.disowned) {
        reason = 'disowned';
        break;
      }
      try {
        const outcome = await this.pollOnce();
        failuresInARow = 0;
        if (outcome === 'idle') {
          reason = 'idle';
          break;
        }
      } catch (error) {
        failuresInARow += 1;
        this.emit('error', { error, context: 'poll' });
        this.log(`error: ${describe(error)}`);
        // Back off a little so a broken store or queue does not spin the CPU.
        await sleep(Math.min(5000, 200 * 2 ** Math.min(failuresInARow, 5)), this.pollController.signal);
      }
    }
    return this.finish(reason);
  }

  /** One long poll and what follows from it; 'idle' when the worker should terminate itself. */
  private async pollOnce(): Promise<'idle' | 'continue'> {
    const { settings, requests } = this.deps;
    const messages = await requests.receive({
      maxMessages: 1,
      waitSeconds: this.nextWaitSeconds(),
      visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
      signal: this.pollController.signal,
    });
    const [message] = messages;
    if (this.stopping) {
      // Stopping while the poll returned a message: hand it straight back.
      if (message) await requests.changeVisibility(message.receiptHandle, 0);
      return 'continue';
    }
    if (!message) {
      await this.reporter.reportIfAllowed([this.event('InstancePolledEmpty', {})]);
      const emptyPolls = this.reporter.current.kind === 'instance' ? this.reporter.current.context.emptyPolls : 0;
      this.emit('empty', { emptyPolls });
      return this.reporter.allows([this.event('InstanceTerminating', { reason: 'idle' })]) ? 'idle' : 'continue';
    }
    await this.handle(message);
    return 'continue';
  }

  /**
   * The long-poll wait: the configured one, shortened while idle to what is left of the instance's
   * idle time, so the decision to leave is not late by a whole long poll.
   */
  private nextWaitSeconds(): number {
    const { pollWaitSeconds } = this.deps.settings;
    const state = this.reporter.current;
    if (state.kind !== 'instance') return pollWaitSeconds;
    return idleWaitSeconds(pollWaitSeconds, state.context, this.deps.clock.now().getTime());
  }

  private async handle(message: QueueMessage): Promise<void> {
    this.current = message;
    let startedJob: string | undefined;
    let outcome: JobOutcome;
    const { settings } = this.deps;
    const heartbeatTimeoutSeconds = settings.heartbeatTimeoutSeconds ?? 3 * settings.heartbeatSeconds;
    try {
      outcome = await processMessage(
        {
          ...this.deps,
          recognizer: this.recognizer as Recognizer,
          ...matchSettings(settings),
          holderAlive: holderAliveFrom(this.deps.store, this.deps.clock, heartbeatTimeoutSeconds),
          handBackSeconds: heartbeatTimeoutSeconds,
        },
        message,
        {
          onStarted: async (jobId, attempt) => {
            startedJob = jobId;
            await this.reporter.reportIfAllowed([this.event('InstanceJobStarted', { jobId })]);
            this.emit('jobStarted', { jobId, attempt });
          },
        },
        this.abortController.signal,
      );
    } catch (error) {
      // The store or queue failed mid-job: the job is left to come back. Say this instance is no
      // longer on it (best effort), so its redelivery is not handed back to a holder that let go.
      if (startedJob) await this.reporter.reportIfAllowed([this.event('InstanceJobFinished', { jobId: startedJob, outcome: 'retry' })]).catch(() => undefined);
      throw error;
    } finally {
      this.current = undefined;
    }
    if (startedJob) {
      const finished = finishedAs(outcome);
      await this.reporter.reportIfAllowed([this.event('InstanceJobFinished', { jobId: startedJob, outcome: finished })]);
    }
    this.emitOutcome(outcome);
  }

  private emitOutcome(outcome: JobOutcome): void {
    switch (outcome.kind) {
      case 'done':
        this.emit('jobCompleted', { jobId: outcome.jobId, label: outcome.label, durationMs: outcome.durationMs });
        return;
      case 'failed':
        this.emit('jobFailed', { jobId: outcome.jobId, code: outcome.code, reason: outcome.reason });
        return;
      case 'skipped':
        this.log(`skipped ${outcome.jobId ?? 'a message'}: ${outcome.reason}`);
        this.emit('jobSkipped', { ...(outcome.jobId ? { jobId: outcome.jobId } : {}), reason: outcome.reason });
        return;
      case 'retryLater':
        this.log(`job ${outcome.jobId} will be retried: ${outcome.error}`);
        this.emit('jobRetry', { jobId: outcome.jobId, error: outcome.error });
        return;
      case 'released':
        this.emit('jobReleased', { jobId: outcome.jobId });
        return;
      default: {
        const never: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /** Records the end of the instance and, after idling, terminates it through compute. */
  private async finish(reason: StopReason): Promise<StopReason> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    try {
      if (reason === 'idle' || reason === 'shutdown' || reason === 'error') {
        const why = reason === 'idle' ? 'idle' : 'shutdown';
        this.emit('terminating', { reason: why });
        if (this.faults.hangOnTerminate) {
          // Fault injection (hang-on-terminate): say goodbye halfway and never exit.
          await this.reporter.reportIfAllowed([this.event('InstanceTerminating', { reason: why })]);
          await this.faults.hang();
        }
        await this.reporter.reportIfAllowed([this.event('InstanceTerminating', { reason: why }), this.event('InstanceTerminated', { by: 'self' })]);
      } else {
        this.emit('terminating', { reason: 'disowned' });
      }
      if (reason === 'idle') {
        const selfId = await this.deps.compute.selfId();
        // The events are written: only now may compute end this instance (for processes: exit 0).
        if (selfId) await this.deps.compute.terminate(selfId);
      }
    } catch (error) {
      this.emit('error', { error, context: 'terminate' });
      this.log(`error while terminating: ${describe(error)}`);
    }
    this.emit('stopped', { reason });
    return reason;
  }
}

function finishedAs(outcome: JobOutcome): InstanceEventData<'InstanceJobFinished'>['outcome'] {
  switch (outcome.kind) {
    case 'done':
      return 'done';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
    case 'retryLater':
    case 'released':
      return 'retry';
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Builds a worker. */
export function createWorker(deps: WorkerDeps): Worker {
  return new Worker(deps);
}
