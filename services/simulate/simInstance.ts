/**
 * One simulated worker instance: its stream folded through the real instance machine (`evolve`,
 * which validates each event's data and judges it against the machine), and what the simulation
 * needs besides: when it boots, when it is next free, the job it holds. The machine sees the
 * instance's whole lifecycle (requested, launched or refused, booted, lost, forced, its idle
 * self-termination); of the jobs it served it sees only the last one, folded just before it leaves —
 * per-job instance events are aggregated (see README, "Simulating the fleet").
 */
import { allows, emptyState, evolve, streamName, type EventLike, type StreamState } from '../../machines/index.ts';
import type { InstanceView } from '../supervisor/decide.ts';
import { idleWaitSeconds } from '../worker/idleWait.ts';

/** Virtual epoch ms → the ISO time events carry (the simulation starts at this date). */
export const simEpochMs = Date.UTC(2026, 0, 1);
export const iso = (ms: number): string => new Date(simEpochMs + Math.round(ms)).toISOString();

/** Empty-queue time before leaving, per instance setting (see boot). */
const idleAfterBySetting = new Map<string, number>();

export class SimInstance {
  readonly stream: string;
  state: StreamState;
  /** ms of virtual time. */
  readonly requestedAt: number;
  bootAt = Infinity;
  booted = false;
  /** Empty-queue time after which the worker leaves (found from the machine at boot). */
  idleAfterMs = Infinity;
  /** When it can take its next job (its boot, then the end of its last job). */
  freeAt = Infinity;
  /** When it hangs (stops heartbeating and working); Infinity: never. */
  hangAt = Infinity;
  /** Serving: in the heap of instances that take jobs. */
  serving = false;
  hung = false;
  terminatedAt = Infinity;
  /** The job held now or last: index, start, end, attempt. */
  job: { index: number; arrival: number; start: number; end: number; attempt: number } | undefined;
  jobsDone = 0;
  /** The cached view for decide (rebuilt when the machine's state changes). */
  private cachedView: InstanceView | undefined;

  constructor(readonly id: string, requestedAt: number) {
    this.stream = streamName('instance', id);
    this.state = emptyState(this.stream);
    this.requestedAt = requestedAt;
  }

  /** Folds one event through the instance machine; throws IllegalTransitionError when it refuses. */
  apply(type: string, atMs: number, data: Record<string, unknown>): void {
    this.state = evolve(this.stream, this.state, { type, at: iso(atMs), data } as EventLike);
    this.cachedView = undefined;
  }

  get machineState(): string {
    return this.state.state;
  }

  get finished(): boolean {
    return this.state.state === 'terminated';
  }

  /**
   * Records the boot, then finds how long this worker waits on an empty queue before it leaves:
   * it long-polls as the real worker does (`idleWaitSeconds`) and asks the machine after each empty
   * poll whether InstanceTerminating{idle} is allowed — the machine's guard is the rule.
   */
  boot(pollWaitSeconds: number): void {
    if (this.booted) return;
    this.booted = true;
    this.apply('InstanceBooted', this.bootAt, { providerId: `sim-${this.id}`, modelLoadMs: 0 });
    if (this.state.kind !== 'instance') return;
    // The search is the same for every instance given the same thresholds (the rule is about time
    // elapsed), so it runs once per setting; each termination is still judged by the machine.
    const c = this.state.context;
    const key = `${c.idleSeconds}|${c.emptyPollsToIdle}|${c.emptyPollsToTerminate}|${pollWaitSeconds}`;
    const known = idleAfterBySetting.get(key);
    if (known !== undefined) {
      this.idleAfterMs = known;
      return;
    }
    this.idleAfterMs = this.searchIdleAfter(pollWaitSeconds);
    idleAfterBySetting.set(key, this.idleAfterMs);
  }

  private searchIdleAfter(pollWaitSeconds: number): number {
    if (this.state.kind !== 'instance') return Infinity;
    // From the whole millisecond the machine recorded (events carry ms), so the result holds for any start.
    const since = Date.parse(this.state.context.emptySince ?? iso(this.bootAt)) - simEpochMs;
    let t = since;
    for (let poll = 0; poll < 100_000; poll += 1) {
      t = Math.round(t + idleWaitSeconds(pollWaitSeconds, this.state.context, simEpochMs + t) * 1000);
      const at = iso(t);
      if (allows(this.stream, this.state, [{ type: 'InstancePolledEmpty', at, data: {} }, { type: 'InstanceTerminating', at, data: { reason: 'idle' } }])) return t - since;
    }
    return Infinity;
  }

  /** When it leaves if no message comes: its idle time after the (whole) ms it became free. */
  get idleEnd(): number {
    return Math.ceil(this.freeAt) + this.idleAfterMs;
  }

  /** Leaves on its own at `atMs`: its last job, the empty poll and the goodbye, judged by the machine. */
  selfTerminate(atMs: number, exitMs: number): void {
    this.foldLastJob();
    this.apply('InstancePolledEmpty', atMs, {});
    this.apply('InstanceTerminating', atMs, { reason: 'idle' });
    this.apply('InstanceTerminated', atMs + exitMs, { by: 'self' });
    this.terminatedAt = atMs + exitMs;
  }

  /** The last job, so that the machine's `emptySince` is the end of the job the worker really finished last. */
  foldLastJob(): void {
    const job = this.job;
    if (!job || this.state.state === 'working') return;
    this.apply('InstanceJobStarted', job.start, { jobId: `job${job.index}` });
    this.apply('InstanceJobFinished', job.end, { jobId: `job${job.index}`, outcome: 'done' });
  }

  /** The supervisor's view of this instance at `nowIso` (heartbeats are aggregated: a live worker's last one is now). */
  view(nowIso: string, nowMs: number): InstanceView {
    let v = this.cachedView;
    if (!v) {
      const c = this.state.context as unknown as Record<string, string | null>;
      v = this.cachedView = {
        instanceId: this.id,
        state: this.state.state,
        providerId: c.providerId ?? null,
        currentJobId: null,
        requestedAt: c.requestedAt ?? null,
        bootedAt: c.bootedAt ?? null,
        lastHeartbeatAt: c.lastHeartbeatAt ?? null,
        terminatingAt: c.terminatingAt ?? null,
        terminatedAt: c.terminatedAt ?? null,
        updatedAt: c.updatedAt ?? null,
      };
    }
    if (this.booted && !this.hung && !this.finished) v.lastHeartbeatAt = nowIso;
    else if (this.hung) v.lastHeartbeatAt = iso(Math.min(this.hangAt, nowMs));
    return v;
  }
}
