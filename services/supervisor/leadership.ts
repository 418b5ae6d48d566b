/**
 * Exactly one supervisor decides at a time: every process that may supervise runs this loop, which
 * takes or renews the shared lease every third of its ttl. The holder runs its supervisor; the
 * others stand by and take over once the holder stops renewing (it crashed) or releases the lease
 * (it stopped). A holder that cannot renew steps down before its lease can lapse, and `leading()`
 * turns false at the last renewal + ttl at the latest, so two supervisors never act at once while
 * the holders' clocks agree within the ttl's margin.
 */
import type { Lease } from '../../adapters/ports.ts';

export interface LeadershipDeps {
  lease: Lease;
  /** This process's holder name (host, pid and a random part). */
  holder: string;
  /** Lease length, ms; renewed every third of it. */
  ttlMs: number;
  /** Became the holder: start deciding. */
  onLead: () => void;
  /** Lost or gave up the lease: stop deciding (resolves when no tick runs any more). */
  onLose: () => Promise<void>;
  log: (line: string) => void;
  /** Local monotonic-enough clock, ms (injected by tests). */
  now?: () => number;
}

export interface Leadership {
  /** Starts the take/renew loop (the first attempt at once). */
  start(): void;
  /** True while this process holds the lease and its last renewal has not run out. */
  leading(): boolean;
  /** Stops the loop and deciding; keeps the lease (call `release` once the fleet is settled). */
  stop(): Promise<void>;
  /** Gives the lease up so a standby takes over at once. */
  release(): Promise<void>;
}

export function createLeadership(deps: LeadershipDeps): Leadership {
  const now = deps.now ?? Date.now;
  const renewMs = Math.max(50, Math.floor(deps.ttlMs / 3));
  let heldUntil = 0; // local time the lease surely still holds until
  let leader = false;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let lastStandbyHolder: string | undefined;

  async function stepDown(why: string) {
    if (!leader) return;
    leader = false;
    deps.log(`supervisor lease lost (${why}): standing by`);
    await deps.onLose();
  }

  async function attempt() {
    const startedAt = now();
    try {
      const held = await deps.lease.acquire(deps.holder, deps.ttlMs);
      if (stopped) return;
      if (held) {
        // Counted from before the write: the lease surely holds until then.
        heldUntil = startedAt + deps.ttlMs;
        lastStandbyHolder = undefined;
        if (!leader) {
          leader = true;
          deps.log(`supervisor lease taken by ${deps.holder}: this process decides`);
          deps.onLead();
        }
      } else {
        await stepDown('another process holds it');
        const current = await deps.lease.current().catch(() => undefined);
        if (current && current.holder !== lastStandbyHolder) {
          lastStandbyHolder = current.holder;
          deps.log(`supervisor standing by: the lease is held by ${current.holder}`);
        }
      }
    } catch (error) {
      deps.log(`supervisor lease renewal failed: ${error instanceof Error ? error.message : String(error)}`);
      // Give up before the lease can lapse under us: a standby may take it then.
      if (leader && now() + renewMs >= heldUntil) await stepDown('renewals failed');
    }
  }

  function schedule(delay: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      round = attempt().finally(() => {
        round = undefined;
        schedule(renewMs);
      });
    }, delay);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    leading: () => leader && now() < heldUntil,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await round;
      if (leader) await deps.onLose();
    },
    async release() {
      const was = leader;
      leader = false;
      heldUntil = 0;
      await deps.lease.release(deps.holder);
      if (was) deps.log(`supervisor lease released by ${deps.holder}`);
    },
  };
}
