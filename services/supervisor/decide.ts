/**
 * The supervisor's decision: a pure function of what it observed to the commands it will execute.
 * No clock, no I/O: `now` is in the observation. The loop (supervisor.ts) gathers, decides,
 * executes and records.
 *
 * Rules (DESIGN.md, Scaling):
 * - desired = min(cap, ceil(backlog / jobsPerInstance)); launch desired − active, where active are
 *   the instances in `capacityInstanceStates` (requested through idle; terminating ones are on their way out);
 * - scale-in is self-termination only: a busy (or any healthy) worker is never killed to scale in;
 * - verify: terminating past the grace period and still running, or terminated while its process
 *   still runs → force; no heartbeat for heartbeatTimeoutSeconds → lost, then force; the boot is
 *   timed per phase: requested → launched within launchTimeoutSeconds, launched → booted within
 *   bootTimeoutSeconds (an EC2 launch answers in seconds, its boot takes minutes) → lost, then force; a process that exited while its stream says alive → lost{process-exited}
 *   and terminated{supervisor};
 * - every dead-lettered message fails its job (dead-letter) and is deleted.
 */
import type { DescribedInstance } from '../../adapters/ports.ts';
import { capacityInstanceStates, type InstanceState } from '../../machines/index.ts';

/** An instance as its read model shows it (only what decide needs). */
export interface InstanceView {
  instanceId: string;
  state: string;
  providerId: string | null;
  currentJobId: string | null;
  requestedAt: string | null;
  /** When the launch was accepted (absent in views made before launches were timed by phase). */
  launchedAt?: string | null;
  bootedAt: string | null;
  lastHeartbeatAt: string | null;
  terminatingAt: string | null;
  terminatedAt: string | null;
  /** When the stream last changed (ISO). */
  updatedAt: string | null;
}

export interface DeadLetterView {
  receiptHandle: string;
  /** undefined when the body is not a request message. */
  jobId?: string;
}

export interface SupervisorSettings {
  cap: number;
  jobsPerInstance: number;
  terminateGraceSeconds: number;
  heartbeatTimeoutSeconds: number;
  /** Launched → booted (before InstanceLaunched is known: requested → booted). */
  bootTimeoutSeconds: number;
  /** Requested → launched (the provider's answer to the launch); default bootTimeoutSeconds. */
  launchTimeoutSeconds?: number;
}

export interface Observation {
  /** Epoch ms. */
  now: number;
  queue: { visible: number; inFlight: number };
  /** Instances whose streams are not finished (plus recently terminated ones, to verify). */
  instances: InstanceView[];
  /** What compute reports running or exited. */
  processes: DescribedInstance[];
  deadLetters: DeadLetterView[];
  settings: SupervisorSettings;
}

export type LostReason = 'heartbeat-timeout' | 'boot-timeout' | 'process-exited';
export type ForceReason = 'grace-period-expired' | 'still-running' | 'lost' | 'shutdown';

export type Command =
  | { type: 'LaunchInstances'; n: number; backlog: number }
  | { type: 'MarkLost'; instanceId: string; reason: LostReason; lastHeartbeatAt: string | null; exitCode?: number | null }
  | { type: 'RecordExit'; instanceId: string; exitCode?: number | null }
  | { type: 'ForceTerminate'; instanceId: string; providerId: string; reason: ForceReason }
  | { type: 'FailDeadLettered'; jobId: string; receiptHandle: string }
  | { type: 'DeleteDeadLetter'; receiptHandle: string };


// The last time parsed: a fleet's views share timestamps (a tick's heartbeats, a launch's
// requestedAt), and decide runs every tick over every instance.
let lastIso = '';
let lastMs = Number.NaN;
const ms = (iso: string | null): number | undefined => {
  if (!iso) return undefined;
  if (iso !== lastIso) {
    lastIso = iso;
    lastMs = Date.parse(iso);
  }
  return lastMs;
};

/** Pending or running: it can still be told to go. `stopping` (EC2 shutting-down) is already leaving. */
function isRunning(process: DescribedInstance | undefined): boolean {
  return process?.status === 'pending' || process?.status === 'running';
}

/** What to do about one instance; also says whether it still counts toward the cap. */
function verify(instance: InstanceView, process: DescribedInstance | undefined, o: Observation): { commands: Command[]; active: boolean } {
  const commands = verifyCommands(instance, process, o);
  // A healthy instance in a capacity state counts; one being marked lost or exited does not.
  const active = commands.length === 0 && capacityInstanceStates.has(instance.state as InstanceState);
  return { commands, active };
}

/** True when `iso` is more than `seconds` before `now` (false when unknown). */
function olderThan(now: number, iso: string | null, seconds: number): boolean {
  const t = ms(iso);
  return t !== undefined && now - t > seconds * 1000;
}

/** ForceTerminate when there is something running to terminate (module-level: decide runs every tick over every instance). */
function force(instanceId: string, providerId: string | null | undefined, running: boolean, reason: ForceReason): Command[] {
  return providerId && running ? [{ type: 'ForceTerminate', instanceId, providerId, reason }] : [];
}

function lost(instanceId: string, reason: LostReason, lastHeartbeatAt: string | null, exitCode: number | null | undefined): Command {
  return { type: 'MarkLost', instanceId, reason, lastHeartbeatAt, ...(exitCode === undefined ? {} : { exitCode }) };
}

const none: Command[] = [];

function verifyCommands(instance: InstanceView, process: DescribedInstance | undefined, o: Observation): Command[] {
  const { now, settings } = o;
  const { instanceId, state } = instance;
  const providerId = instance.providerId ?? process?.providerId;
  const running = isRunning(process);
  const exited = process?.status === 'exited';
  const exitCode = process?.exitCode;

  switch (state) {
    case 'requested':
    case 'booting': {
      // Launched and gone before it booted, or not launched / not booted in time (each phase its own limit).
      if (exited) return [lost(instanceId, 'process-exited', null, exitCode), { type: 'RecordExit', instanceId, exitCode }];
      const late =
        state === 'requested'
          ? olderThan(now, instance.requestedAt, settings.launchTimeoutSeconds ?? settings.bootTimeoutSeconds)
          : olderThan(now, instance.launchedAt ?? instance.requestedAt, settings.bootTimeoutSeconds);
      if (late) {
        return [lost(instanceId, 'boot-timeout', null, exitCode), ...force(instanceId, providerId, running, 'lost')];
      }
      return none;
    }
    case 'polling':
    case 'working':
    case 'idle': {
      if (exited || (!process && providerId)) {
        return [lost(instanceId, 'process-exited', instance.lastHeartbeatAt, exitCode), { type: 'RecordExit', instanceId, exitCode }];
      }
      if (olderThan(now, instance.lastHeartbeatAt ?? instance.bootedAt, settings.heartbeatTimeoutSeconds)) {
        return [lost(instanceId, 'heartbeat-timeout', instance.lastHeartbeatAt, exitCode), ...force(instanceId, providerId, running, 'lost')];
      }
      return none;
    }
    case 'terminating': {
      if (exited || (!process && providerId)) return [{ type: 'RecordExit', instanceId, exitCode }];
      if (olderThan(now, instance.terminatingAt, settings.terminateGraceSeconds)) return force(instanceId, providerId, running, 'grace-period-expired');
      return none;
    }
    case 'lost': {
      if (running) return force(instanceId, providerId, running, 'lost');
      return [{ type: 'RecordExit', instanceId, exitCode }];
    }
    case 'terminated': {
      // It said goodbye but its process is still there after the grace period.
      if (running && olderThan(now, instance.terminatedAt ?? instance.updatedAt, settings.terminateGraceSeconds)) {
        return force(instanceId, providerId, running, 'still-running');
      }
      return none;
    }
    default:
      return none;
  }
}

/**
 * The commands for one tick. Guarantees: never more than `cap` active instances after the launch;
 * never a ForceTerminate of a healthy instance (only of lost, overdue-terminating or
 * falsely-terminated ones); the same observation always yields the same commands.
 */
export function decide(o: Observation): Command[] {
  const commands: Command[] = [];
  const byInstance = new Map<string, DescribedInstance>();
  for (const p of o.processes) byInstance.set(p.instanceId, p);
  let active = 0;
  for (const instance of o.instances) {
    const verdict = verify(instance, byInstance.get(instance.instanceId), o);
    for (const command of verdict.commands) commands.push(command);
    if (verdict.active) active += 1;
  }
  for (const letter of o.deadLetters) {
    commands.push(letter.jobId ? { type: 'FailDeadLettered', jobId: letter.jobId, receiptHandle: letter.receiptHandle } : { type: 'DeleteDeadLetter', receiptHandle: letter.receiptHandle });
  }
  const backlog = o.queue.visible + o.queue.inFlight;
  const { cap, jobsPerInstance } = o.settings;
  const desired = Math.min(cap, Math.ceil(backlog / jobsPerInstance));
  const n = desired - active;
  if (n > 0) commands.unshift({ type: 'LaunchInstances', n, backlog });
  return commands;
}
