/**
 * The supervisor loop, thin on purpose: every tick it observes, calls the pure `decide`, executes
 * the commands and records them. It never crash-loops: a failed tick is logged and the next one
 * goes on. `shutdown()` terminates the instances still running through compute and records it.
 */
import type { Compute, EventStore, Queue } from '../../adapters/ports.ts';
import { isoNow, type Clock } from '../clock.ts';
import { decide, type Command, type Observation, type SupervisorSettings } from './decide.ts';
import { execute, recordIfAllowed, type ExecuteDeps } from './execute.ts';
import { BootSamples, idleSeconds, type IdlePolicy } from './idlePolicy.ts';
import { listInstances, observe } from './observe.ts';
import { streamName } from '../../machines/index.ts';

export interface SupervisorDeps {
  store: EventStore;
  requests: Queue;
  responses: Queue;
  deadLetters: Queue;
  compute: Compute;
  clock: Clock;
  settings: SupervisorSettings & { tickMs: number; emptyPollsToIdle: number; idle: IdlePolicy };
  bootEnv: Record<string, string>;
  /** The job service's repair of jobs queued without a message (called at start and now and then). */
  requeueOrphans?: () => Promise<unknown>;
  log?: (line: string) => void;
  /**
   * After a failed launch, no launch for a random time up to base × 2^(failures − 1), at most max
   * (exponential backoff with full jitter: capacity, vCPU limits and AccessDenied storms are not
   * retried every tick). Default base 1 s, max 60 s.
   */
  launchBackoff?: { baseMs: number; maxMs: number };
  /** For the jitter (tests). */
  random?: () => number;
  /** Checked before every tick: false skips it (this process no longer holds the supervisor lease). */
  mayAct?: () => boolean;
  /** Called after every tick (tests and the scaling timeline). */
  onTick?: (observation: Observation, commands: Command[]) => void;
  /** Called after each command that executed without an error (metrics). */
  onCommand?: (command: Command) => void;
}

const orphanCheckEveryTicks = 30;

export class Supervisor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private ticks = 0;
  private readonly log: (line: string) => void;
  private readonly executeDeps: ExecuteDeps;
  private lastSummary = '';
  private readonly boots: BootSamples;
  private seeded = false;
  private launchFailures = 0;
  private launchBlockedUntil = 0;

  constructor(private readonly deps: SupervisorDeps) {
    this.log = deps.log ?? ((line) => process.stderr.write(`supervisor: ${line}\n`));
    this.boots = new BootSamples(deps.settings.idle.window);
    this.executeDeps = {
      store: deps.store,
      compute: deps.compute,
      responses: deps.responses,
      deadLetters: deps.deadLetters,
      clock: deps.clock,
      bootEnv: deps.bootEnv,
      requestSettings: () => ({ emptyPollsToIdle: deps.settings.emptyPollsToIdle, idleSeconds: this.idleSeconds() }),
      log: this.log,
      launchFailed: (failure) => this.afterLaunch(failure),
    };
  }

  /** The idle time new instances get now: configured, or the rolling median of measured boots (see idlePolicy). */
  idleSeconds(): number {
    return idleSeconds(this.deps.settings.idle, this.boots.values());
  }

  /** The last measured boots (requested → booted), ms, oldest first. */
  bootSamplesMs(): number[] {
    return this.boots.values();
  }

  /** Learns the boot times of the most recent instances once (a bounded page, newest first). */
  private async seedBootSamples(): Promise<void> {
    if (this.seeded) return;
    this.seeded = true;
    const page = await this.deps.store.list({ kind: 'instance', limit: this.deps.settings.idle.window });
    for (const row of page.items.reverse()) this.boots.add(row.id, str(row.context.requestedAt), str(row.context.bootedAt));
  }

  /** Starts ticking every tickMs (the first tick at once). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Asks for a tick as soon as possible (new work arrived): the fleet reacts to the first upload
   * without waiting for the next scheduled tick. A tick in progress is not interrupted.
   */
  nudge(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(() => {
        this.running = undefined;
        this.schedule(this.deps.settings.tickMs);
      });
    }, delay);
  }

  /** Runs one tick now: observe, decide, execute. Never throws. */
  async tick(): Promise<Command[]> {
    if (this.deps.mayAct && !this.deps.mayAct()) return [];
    this.ticks += 1;
    try {
      if (this.deps.requeueOrphans && this.ticks % orphanCheckEveryTicks === 1) {
        await this.deps.requeueOrphans().catch((error: unknown) => this.log(`requeueOrphans failed: ${describe(error)}`));
      }
      await this.seedBootSamples().catch((error: unknown) => this.log(`reading past boot times failed: ${describe(error)}`));
      const observation = await observe({ ...this.deps, settings: this.deps.settings });
      for (const i of observation.instances) this.boots.add(i.instanceId, i.requestedAt, i.bootedAt);
      const now = this.deps.clock.now().getTime();
      const commands = decide(observation).filter((command) => command.type !== 'LaunchInstances' || now >= this.launchBlockedUntil);
      for (const command of commands) {
        try {
          const outcome = await execute(this.executeDeps, command);
          // A failure was told (and its backoff recorded) before its events were written.
          if (command.type === 'LaunchInstances' && !outcome?.backedOff) this.afterLaunch(outcome?.launchFailure);
          this.deps.onCommand?.(command);
        } catch (error) {
          if (command.type === 'LaunchInstances') this.afterLaunch(describe(error));
          this.log(`${command.type} failed: ${describe(error)}`);
        }
      }
      this.summarise(observation, commands);
      this.deps.onTick?.(observation, commands);
      return commands;
    } catch (error) {
      this.log(`tick failed: ${describe(error)}`);
      return [];
    }
  }

  /** Counts failed launches and holds the next launch back (full jitter); a launch that worked resets it. */
  private afterLaunch(failure: string | undefined): number {
    if (failure === undefined) {
      this.launchFailures = 0;
      this.launchBlockedUntil = 0;
      return 0;
    }
    this.launchFailures += 1;
    const { baseMs, maxMs } = this.deps.launchBackoff ?? { baseMs: 1000, maxMs: 60_000 };
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, this.launchFailures - 1));
    const waitMs = Math.round((this.deps.random ?? Math.random)() * ceiling);
    this.launchBlockedUntil = this.deps.clock.now().getTime() + waitMs;
    this.log(`launch failed ${this.launchFailures} time(s) in a row (${failure}): no launch for ${(waitMs / 1000).toFixed(1)} s`);
    return waitMs;
  }

  private summarise(o: Observation, commands: Command[]): void {
    const byState = new Map<string, number>();
    for (const i of o.instances) byState.set(i.state, (byState.get(i.state) ?? 0) + 1);
    const states = [...byState].map(([s, n]) => `${s} ${n}`).join(', ') || 'none';
    const launched = commands.find((c) => c.type === 'LaunchInstances');
    const summary = `backlog ${o.queue.visible}+${o.queue.inFlight} in flight; instances: ${states}`;
    if (summary !== this.lastSummary || launched) this.log(summary);
    this.lastSummary = summary;
  }

  /** Stops ticking; resolves when the tick in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Terminates every instance still running through compute (the workers record their own goodbye
   * on SIGTERM), waits up to `waitMs` for them to exit, then records InstanceTerminationForced
   * {shutdown} for any stream that did not end on its own.
   */
  async shutdownInstances(waitMs: number): Promise<void> {
    const { compute, store, clock } = this.deps;
    const running = (await compute.describe()).filter((p) => p.status !== 'exited');
    await Promise.all(running.map((p) => compute.terminate(p.providerId).catch((error: unknown) => this.log(`terminate ${p.providerId} failed: ${describe(error)}`))));
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const still = (await compute.describe()).filter((p) => p.status !== 'exited');
      if (still.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = await listInstances(store, ['requested', 'booting', 'polling', 'working', 'idle', 'terminating', 'lost']);
    for (const row of rows) {
      await recordIfAllowed(store, streamName('instance', row.id), {
        type: 'InstanceTerminationForced',
        at: isoNow(clock),
        data: { reason: 'shutdown' },
      }).catch((error: unknown) => this.log(`recording the shutdown of ${row.id} failed: ${describe(error)}`));
    }
    if (running.length) this.log(`stopped ${running.length} instance(s)`);
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds a supervisor. */
export function createSupervisor(deps: SupervisorDeps): Supervisor {
  return new Supervisor(deps);
}
