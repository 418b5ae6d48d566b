/**
 * The Compute port on child processes: one worker process per instance, as an EC2 instance would
 * be. A child gets its own session (it survives the main process being killed, as an instance
 * would), its output goes to `<logDir>/<instanceId>.log`, and every launch is written to a registry
 * file so that a restarted main process still knows its instances. Liveness is `kill(pid, 0)` plus
 * the start time in /proc/<pid>/stat (when there is a /proc), so a reused pid is not mistaken for
 * our worker.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Compute, DescribedInstance, LaunchedInstance, LaunchRequest } from '../ports.ts';
import { isId } from '../../machines/index.ts';

export interface ProcessComputeOptions {
  /** The worker command, e.g. `[process.execPath, 'bin/facefleet.js', 'worker']`. */
  command: string[];
  cwd?: string;
  /**
   * Added to the inherited part of the parent's environment for every child (before the launch's
   * bootEnv). Only `inheritsEnv` names pass from the parent: never its API key or cloud credentials.
   */
  env?: Record<string, string>;
  /** Which of the parent's variables a child sees (default `isRuntimeVariable`). */
  inheritsEnv?: (name: string) => boolean;
  /** Where each child's stdout and stderr go (`<instanceId>.log`); discarded when absent. */
  logDir?: string;
  /** The JSON file that remembers launched instances across restarts of the main process. */
  registryFile: string;
  /** How long a terminated child may take to exit after SIGTERM before SIGKILL, ms (default 5000). */
  graceMs?: number;
  /**
   * Told when a child's exit code could not be written to the registry (a full disk, a permission
   * problem). Only a note is lost — liveness is read from /proc — so the main process carries on
   * (default: console.warn).
   */
  onWarning?: (message: string, error: unknown) => void;
}

interface RegistryEntry {
  instanceId: string;
  providerId: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot), when known. */
  startTime?: string;
  launchedAt: string;
  tags: Record<string, string>;
  /** Set once the launching process saw the child exit (null: killed by a signal). */
  exitCode?: number | null;
}

interface Registry {
  version: 1;
  instances: RegistryEntry[];
}

const hasProc = existsSync('/proc/self/stat');

/** The provider id of the process we run in (set by the launcher), or undefined outside a worker. */
/**
 * What a worker process needs of its parent's environment: how to find programs and the locale, Node's
 * and onnxruntime's own settings, the temp folder, and the fault hooks tests inject — not secrets
 * (FACEFLEET_API_KEY, AWS_*) nor the rest of the parent's configuration, which workers get explicitly.
 */
export function isRuntimeVariable(name: string): boolean {
  return /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|TEMP|TMP|TERM|NO_COLOR|FORCE_COLOR)$/.test(name) || /^(LC_|NODE_|UV_|ONNXRUNTIME_|FACEFLEET_FAULT)/.test(name);
}

/** The parent's environment filtered by `keep`. */
function inherited(keep: (name: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && keep(name)) out[name] = value;
  return out;
}

export function processSelfId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const id = env.FACEFLEET_PROVIDER_ID;
  return id === undefined || id === '' ? undefined : id;
}

/** State and start time of a process from /proc, or undefined when there is no such process. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** True while the registered process is alive and still the one we launched. */
function isAlive(entry: RegistryEntry): boolean {
  try {
    process.kill(entry.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc) return true;
  const stat = procStat(entry.pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return entry.startTime === undefined || stat.startTime === entry.startTime;
}

/** Sends `signal` to the child's process group (it leads its own session), or to the pid alone. */
function signalInstance(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // Try the pid alone; if that is gone too, the process already exited.
    }
  }
}

function readRegistry(file: string): Registry {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Registry>;
    return { version: 1, instances: Array.isArray(parsed.instances) ? parsed.instances : [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, instances: [] };
    throw new Error(`cannot read the process registry ${file}`, { cause: error });
  }
}

/** Exited instances remembered (for describe's exit codes); older ones are forgotten so describe stays bounded. */
const keptExited = 100;

/** Keeps every instance not known to have exited, and the last `keptExited` that did. */
function prune(registry: Registry): Registry {
  const exited = registry.instances.filter((e) => e.exitCode !== undefined);
  if (exited.length <= keptExited) return registry;
  const forget = new Set(exited.slice(0, exited.length - keptExited));
  return { ...registry, instances: registry.instances.filter((e) => !forget.has(e)) };
}

/** Replaces the registry through a synced temp file and a rename (synchronous, so writes never interleave). */
function writeRegistry(file: string, full: Registry): void {
  const registry = prune(full);
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeSync(fd, `${JSON.stringify(registry, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

// `$$` is the shell's pid, which `exec` hands on to the worker: the child learns its provider id
// before it starts, and the pid we see is the worker's own.
const launcherScript = 'FACEFLEET_PROVIDER_ID="proc-$$"; export FACEFLEET_PROVIDER_ID; exec "$@"';

/** Builds the child-process Compute. */
export function createProcessCompute(options: ProcessComputeOptions): Compute {
  const [program, ...args] = options.command;
  if (program === undefined) throw new Error('the worker command is empty');
  const graceMs = options.graceMs ?? 5000;
  const { registryFile } = options;
  const warn = options.onWarning ?? ((message: string, error: unknown) => console.warn(`facefleet compute: ${message}: ${(error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error))}`));
  /** Provider ids we sent SIGTERM to and that have not exited yet. */
  const stopping = new Set<string>();
  /** Children spawned here whose `exit` event has not come yet: their exit code is still to arrive. */
  const awaitingExit = new Set<string>();

  const update = (providerId: string, change: (entry: RegistryEntry) => void): void => {
    const registry = readRegistry(registryFile);
    const entry = registry.instances.findLast((e) => e.providerId === providerId);
    if (entry === undefined) return;
    change(entry);
    writeRegistry(registryFile, registry);
  };

  const spawnOne = async (instanceId: string, request: LaunchRequest): Promise<RegistryEntry> => {
    if (!isId(instanceId)) throw new Error(`not a usable instance id: ${JSON.stringify(instanceId)}`);
    let output: number | 'ignore' = 'ignore';
    if (options.logDir !== undefined) {
      mkdirSync(options.logDir, { recursive: true });
      output = openSync(join(options.logDir, `${instanceId}.log`), 'a');
    }
    let child;
    try {
      child = spawn('/bin/sh', ['-c', launcherScript, 'facefleet-instance', program, ...args], {
        cwd: options.cwd,
        env: { ...inherited(options.inheritsEnv ?? isRuntimeVariable), ...options.env, ...request.bootEnv, FACEFLEET_INSTANCE_ID: instanceId },
        stdio: ['ignore', output, output],
        detached: true,
      });
    } finally {
      // The child holds its own copy of the log descriptor; ours would only leak.
      if (typeof output === 'number') closeSync(output);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`could not start instance ${instanceId}: ${error.message}`, { cause: error });
    }
    child.unref();
    const providerId = `proc-${pid}`;
    const entry: RegistryEntry = {
      instanceId,
      providerId,
      pid,
      launchedAt: new Date().toISOString(),
      tags: { ...request.tags, 'facefleet:instance': instanceId },
    };
    const startTime = procStat(pid)?.startTime;
    if (startTime !== undefined) entry.startTime = startTime;
    // Registered at once, before the child can exit and its exit code needs an entry to land in.
    const registry = readRegistry(registryFile);
    registry.instances.push(entry);
    writeRegistry(registryFile, registry);
    awaitingExit.add(providerId);
    child.once('exit', (code) => {
      awaitingExit.delete(providerId);
      stopping.delete(providerId);
      // An event handler: a throw here would end the main process (the web tier with it).
      try {
        update(providerId, (e) => (e.exitCode = code));
      } catch (error) {
        warn(`could not record the exit of ${providerId} in the process registry`, error);
      }
    });
    child.on('error', () => {
      // After a successful spawn only a failed kill() lands here; liveness is checked on describe.
    });
    return entry;
  };

  return {
    backend: 'processes',

    async launch(request) {
      const results = await Promise.allSettled(request.instanceIds.map((id) => spawnOne(id, request)));
      const launched = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
      if (launched.length === 0 && failures.length > 0) throw new Error(`no instance launched: ${failures.join('; ')}`);
      return launched.map(({ instanceId, providerId }): LaunchedInstance => ({ instanceId, providerId }));
    },

    async terminate(providerId) {
      const entry = readRegistry(registryFile).instances.findLast((e) => e.providerId === providerId);
      if (entry === undefined || entry.exitCode !== undefined || !isAlive(entry)) return;
      stopping.add(providerId);
      signalInstance(entry.pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      // No event tells us when a process we did not spawn ends, so its liveness is re-checked.
      const watch = setInterval(() => {
        if (!isAlive(entry)) {
          clearInterval(watch);
          stopping.delete(providerId);
        } else if (Date.now() >= deadline) {
          clearInterval(watch);
          signalInstance(entry.pid, 'SIGKILL');
        }
      }, Math.min(100, graceMs));
    },

    async describe() {
      return readRegistry(registryFile).instances.map((entry): DescribedInstance => {
        const base = { instanceId: entry.instanceId, providerId: entry.providerId, launchedAt: entry.launchedAt };
        if (entry.exitCode !== undefined) return { ...base, status: 'exited', exitCode: entry.exitCode };
        // A child of ours that died is 'stopping' until its exit event brings the exit code (a few ms).
        if (!isAlive(entry)) return { ...base, status: awaitingExit.has(entry.providerId) ? 'stopping' : 'exited' };
        return { ...base, status: stopping.has(entry.providerId) ? 'stopping' : 'running' };
      });
    },

    async selfId() {
      return processSelfId();
    },
  };
}
