/**
 * Fault injection for the reliability suite (`test/faults/`), built by the composition root and
 * injected into the worker (services/worker/faultHooks.ts is the seam). Active ONLY when the
 * environment variable `FACEFLEET_FAULTS` is set (a worker inherits it from `facefleet start`);
 * unset — every normal run — every hook is a no-op. Never set it in production.
 *
 * `FACEFLEET_FAULTS` is a comma-separated list of faults:
 *
 * | fault | effect (in the worker) |
 * |---|---|
 * | `poison:<sha256>` | recognising an image whose bytes hash to `<sha256>` (hex) throws a non-input error (not `invalid-image`): the job is retried, then fails / is dead-lettered |
 * | `slow-job-ms:<ms>[:<sha256>]` | the FIRST attempt of a job (only of those image bytes when a hash is given) waits `<ms>` before recognition, and the worker does not extend the message's lease meanwhile — a stalled worker whose lease runs out, so a second worker is given the same message |
 * | `hang-on-terminate` | when the worker ends (idle or shutdown) it appends InstanceTerminating and then never exits and never appends InstanceTerminated: the supervisor must force it after terminateGraceSeconds |
 *
 * Faults that need no hook are injected from outside: SIGKILL a worker or the main process,
 * SIGSTOP a worker (its heartbeats stop: it must be marked lost and replaced).
 * An unknown or malformed fault stops the process at start: a typo must not silently test nothing.
 */
import { createHash } from 'node:crypto';
import type { FaultHooks } from '../services/worker/faultHooks.ts';

export type { FaultHooks } from '../services/worker/faultHooks.ts';

export type Fault =
  | { kind: 'poison'; sha256: string }
  | { kind: 'slow-job-ms'; ms: number; sha256?: string }
  | { kind: 'hang-on-terminate' };

/** The variable that turns fault injection on. */
export const faultsVariable = 'FACEFLEET_FAULTS';

const sha256Pattern = /^[0-9a-f]{64}$/;

function parseOne(text: string): Fault {
  const [kind, ...args] = text.split(':');
  const hash = (value: string | undefined): string => {
    const lower = (value ?? '').toLowerCase();
    if (!sha256Pattern.test(lower)) throw new Error(`${faultsVariable}: "${text}" needs a sha256 in hex`);
    return lower;
  };
  switch (kind) {
    case 'poison':
      if (args.length !== 1) throw new Error(`${faultsVariable}: "${text}" must be poison:<sha256>`);
      return { kind, sha256: hash(args[0]) };
    case 'slow-job-ms': {
      const ms = Number(args[0]);
      if (args.length < 1 || args.length > 2 || !Number.isInteger(ms) || ms < 0) throw new Error(`${faultsVariable}: "${text}" must be slow-job-ms:<ms>[:<sha256>]`);
      return args.length === 2 ? { kind, ms, sha256: hash(args[1]) } : { kind, ms };
    }
    case 'hang-on-terminate':
      if (args.length) throw new Error(`${faultsVariable}: "${text}" takes no argument`);
      return { kind };
    default:
      throw new Error(`${faultsVariable}: unknown fault "${text}" (known: poison, slow-job-ms, hang-on-terminate)`);
  }
}

/** Parses a FACEFLEET_FAULTS value; [] for unset or empty. Throws on anything it does not know. */
export function parseFaults(value: string | undefined): Fault[] {
  if (!value?.trim()) return [];
  return value.split(',').map((part) => part.trim()).filter(Boolean).map(parseOne);
}

/** Thrown by a poisoned recognition: a model failure, not the input's fault (no `invalid-image` code). */
export class InjectedFault extends Error {
  override name = 'InjectedFault';
  readonly code = 'injected-fault';
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Builds the hooks for a list of faults (tests build them directly; processes use `faultsFromEnvironment`). */
export function createFaultHooks(list: readonly Fault[], log: (line: string) => void = () => undefined): FaultHooks {
  const poisons = new Set(list.flatMap((f) => (f.kind === 'poison' ? [f.sha256] : [])));
  const slow = list.flatMap((f) => (f.kind === 'slow-job-ms' ? [f] : []));
  const hangOnTerminate = list.some((f) => f.kind === 'hang-on-terminate');
  let stalls = 0;
  const hashes = poisons.size > 0 || slow.some((f) => f.sha256 !== undefined);
  return {
    active: list.length > 0,
    hangOnTerminate,
    async beforeRecognition(bytes, attempt) {
      if (list.length === 0) return;
      const digest = hashes ? sha256(bytes) : '';
      if (poisons.has(digest)) {
        log(`fault injection: poison image ${digest.slice(0, 12)}…, the model fails`);
        throw new InjectedFault(`fault injection: the model failed on the poison image ${digest.slice(0, 12)}…`);
      }
      const delay = attempt === 1 ? slow.find((f) => f.sha256 === undefined || f.sha256 === digest) : undefined;
      if (!delay) return;
      log(`fault injection: stalling the first attempt for ${delay.ms} ms without extending the lease`);
      stalls += 1;
      try {
        await new Promise((resolve) => setTimeout(resolve, delay.ms));
      } finally {
        stalls -= 1;
      }
    },
    leaseExtensionSuspended: () => stalls > 0,
    hang() {
      log('fault injection: hanging instead of terminating');
      // A pending promise alone would let the process exit: a ref'd timer keeps it alive.
      setInterval(() => undefined, 60_000);
      return new Promise<never>(() => undefined);
    },
  };
}

/**
 * This process's hooks from FACEFLEET_FAULTS (no-ops when it is unset), announced on stderr when
 * active. Throws on an unknown or malformed fault, so the worker stops at start.
 */
export function faultsFromEnvironment(env: NodeJS.ProcessEnv = process.env): FaultHooks {
  const configured = parseFaults(env[faultsVariable]);
  const logLine = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  if (configured.length) logLine(`fault injection ACTIVE (${faultsVariable}=${env[faultsVariable]}): for the reliability tests only`);
  return createFaultHooks(configured, logLine);
}
