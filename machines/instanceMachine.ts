/**
 * The instance machine: new → requested → booting → polling ⇄ working, polling → idle after empty
 * polls, idle → working when work arrives, → terminating → terminated; lost when heartbeats stop;
 * the supervisor can force any unfinished (or falsely finished) instance to terminated.
 * Self-termination: when InstanceRequested carries `idleSeconds`, an instance may leave once the
 * request queue has stayed empty that long (`emptySince`, set at boot and when a job finishes, read
 * against the time on the InstanceTerminating event) and it has polled empty at least once; older
 * histories use the "N empty polls" counter. Thresholds arrive on InstanceRequested.
 */
import { assign, setup } from 'xstate';
import type { InstanceEvent } from './instanceEvents.ts';
import { isoToMs } from './isoTime.ts';

export interface InstanceContext {
  instanceId: string | null;
  providerId: string | null;
  backend: string | null;
  requestReason: string | null;
  emptyPolls: number;
  emptyPollsToIdle: number;
  emptyPollsToTerminate: number;
  /** Seconds of empty queue before self-termination; null: the empty-poll counter rules. */
  idleSeconds: number | null;
  /** Since when the instance has found no work (boot or its last job's end); null while working. */
  emptySince: string | null;
  jobsDone: number;
  jobsFailed: number;
  currentJobId: string | null;
  modelLoadMs: number | null;
  requestedAt: string | null;
  /** When the provider accepted the launch (InstanceLaunched): the boot phase starts here. */
  launchedAt: string | null;
  bootedAt: string | null;
  lastHeartbeatAt: string | null;
  terminatingAt: string | null;
  terminatedAt: string | null;
  terminationReason: string | null;
  /** True once the supervisor had to terminate the instance by force. */
  forced: boolean;
  error: string | null;
  updatedAt: string | null;
}

export const initialInstanceContext: InstanceContext = {
  instanceId: null,
  providerId: null,
  backend: null,
  requestReason: null,
  emptyPolls: 0,
  emptyPollsToIdle: 1,
  emptyPollsToTerminate: 1,
  idleSeconds: null,
  emptySince: null,
  jobsDone: 0,
  jobsFailed: 0,
  currentJobId: null,
  modelLoadMs: null,
  requestedAt: null,
  launchedAt: null,
  bootedAt: null,
  lastHeartbeatAt: null,
  terminatingAt: null,
  terminatedAt: null,
  terminationReason: null,
  forced: false,
  error: null,
  updatedAt: null,
};

type Ev<T extends InstanceEvent['type']> = Extract<InstanceEvent, { type: T }>;

const forced = { target: '#instance.terminated', actions: ['recordForced', 'touch'] } as const;
const lost = { target: '#instance.lost', actions: ['recordLost', 'touch'] } as const;
const heartbeat = { actions: ['recordHeartbeat', 'touch'] } as const;
const shutdown = { guard: 'isShutdown', target: '#instance.terminating', actions: ['recordTerminating', 'touch'] } as const;

export const instanceMachine = setup({
  types: {
    context: {} as InstanceContext,
    events: {} as InstanceEvent,
  },
  guards: {
    /** The empty poll that reaches the idle threshold. */
    reachesIdle: ({ context }) => context.emptyPolls + 1 >= context.emptyPollsToIdle,
    /** Self-termination for idleness only after N empty polls in a row. */
    idleLongEnough: ({ context, event }) => {
      if ((event as Ev<'InstanceTerminating'>).data.reason !== 'idle') return false;
      if (context.idleSeconds === null) return context.emptyPolls >= context.emptyPollsToTerminate;
      const since = context.emptySince === null ? Number.NaN : isoToMs(context.emptySince);
      return context.emptyPolls >= 1 && isoToMs(event.at) - since >= context.idleSeconds * 1000;
    },
    isShutdown: ({ event }) => (event as Ev<'InstanceTerminating'>).data.reason === 'shutdown',
    /** A job can only finish on the instance that holds it. */
    holdsJob: ({ context, event }) => (event as Ev<'InstanceJobFinished'>).data.jobId === context.currentJobId,
    /** The worker reports its own exit; the supervisor reports an exit it observed. */
    reportedBySupervisor: ({ event }) => (event as Ev<'InstanceTerminated'>).data.by === 'supervisor',
  },
  actions: {
    touch: assign({ updatedAt: ({ event }) => event.at }),
    recordRequest: assign(({ event }) => {
      const d = (event as Ev<'InstanceRequested'>).data;
      return {
        instanceId: d.instanceId,
        requestReason: d.reason,
        emptyPollsToIdle: d.emptyPollsToIdle,
        emptyPollsToTerminate: d.emptyPollsToTerminate ?? 1,
        idleSeconds: d.idleSeconds ?? null,
        requestedAt: event.at,
      };
    }),
    recordLaunch: assign(({ event }) => {
      const d = (event as Ev<'InstanceLaunched'>).data;
      return { providerId: d.providerId, backend: d.backend, launchedAt: event.at };
    }),
    recordLaunchFailure: assign(({ event }) => ({
      error: (event as Ev<'InstanceLaunchFailed'>).data.reason,
      terminatedAt: event.at,
      terminationReason: 'launch-failed',
    })),
    recordBoot: assign(({ context, event }) => {
      const d = (event as Ev<'InstanceBooted'>).data;
      return {
        providerId: d.providerId ?? context.providerId,
        modelLoadMs: d.modelLoadMs,
        bootedAt: event.at,
        emptySince: event.at,
        lastHeartbeatAt: event.at,
      };
    }),
    recordHeartbeat: assign({ lastHeartbeatAt: ({ event }) => event.at }),
    countEmptyPoll: assign({
      emptyPolls: ({ context }) => context.emptyPolls + 1,
      lastHeartbeatAt: ({ event }) => event.at,
    }),
    recordJobStart: assign(({ event }) => ({
      currentJobId: (event as Ev<'InstanceJobStarted'>).data.jobId,
      emptyPolls: 0,
      emptySince: null,
      lastHeartbeatAt: event.at,
    })),
    recordJobFinish: assign(({ context, event }) => {
      const outcome = (event as Ev<'InstanceJobFinished'>).data.outcome;
      return {
        currentJobId: null,
        emptySince: event.at,
        jobsDone: context.jobsDone + (outcome === 'done' ? 1 : 0),
        jobsFailed: context.jobsFailed + (outcome === 'failed' ? 1 : 0),
        lastHeartbeatAt: event.at,
      };
    }),
    recordTerminating: assign(({ event }) => ({
      terminatingAt: event.at,
      terminationReason: (event as Ev<'InstanceTerminating'>).data.reason,
      lastHeartbeatAt: event.at,
    })),
    recordTerminated: assign(({ context, event }) => ({
      terminatedAt: event.at,
      terminationReason: context.terminationReason ?? 'exited',
      currentJobId: null,
    })),
    recordLost: assign(({ event }) => ({ terminationReason: (event as Ev<'InstanceLost'>).data.reason })),
    recordForced: assign(({ context, event }) => ({
      forced: true,
      terminatedAt: context.terminatedAt ?? event.at,
      terminationReason: (event as Ev<'InstanceTerminationForced'>).data.reason,
      currentJobId: null,
    })),
  },
}).createMachine({
  id: 'instance',
  initial: 'new',
  context: initialInstanceContext,
  states: {
    new: {
      on: { InstanceRequested: { target: 'requested', actions: ['recordRequest', 'touch'] } },
    },
    requested: {
      on: {
        InstanceLaunched: { target: 'booting', actions: ['recordLaunch', 'touch'] },
        InstanceLaunchFailed: { target: 'terminated', actions: ['recordLaunchFailure', 'touch'] },
        // On a fast machine the worker can report its boot before the supervisor records the launch.
        InstanceBooted: { target: 'polling', actions: ['recordBoot', 'touch'] },
        InstanceLost: lost,
        InstanceTerminationForced: forced,
      },
    },
    booting: {
      on: {
        InstanceBooted: { target: 'polling', actions: ['recordBoot', 'touch'] },
        InstanceHeartbeat: heartbeat,
        InstanceTerminating: shutdown,
        InstanceLost: lost,
        InstanceTerminationForced: forced,
      },
    },
    polling: {
      on: {
        InstancePolledEmpty: [
          { guard: 'reachesIdle', target: 'idle', actions: ['countEmptyPoll', 'touch'] },
          { actions: ['countEmptyPoll', 'touch'] },
        ],
        InstanceJobStarted: { target: 'working', actions: ['recordJobStart', 'touch'] },
        InstanceHeartbeat: heartbeat,
        InstanceTerminating: [
          { guard: 'idleLongEnough', target: 'terminating', actions: ['recordTerminating', 'touch'] },
          shutdown,
        ],
        InstanceLost: lost,
        InstanceTerminationForced: forced,
      },
    },
    working: {
      on: {
        InstanceJobFinished: { guard: 'holdsJob', target: 'polling', actions: ['recordJobFinish', 'touch'] },
        InstanceHeartbeat: heartbeat,
        InstanceTerminating: shutdown,
        InstanceLost: lost,
        InstanceTerminationForced: forced,
      },
    },
    idle: {
      on: {
        InstancePolledEmpty: { actions: ['countEmptyPoll', 'touch'] },
        InstanceJobStarted: { target: 'working', actions: ['recordJobStart', 'touch'] },
        InstanceHeartbeat: heartbeat,
        InstanceTerminating: [
          { guard: 'idleLongEnough', target: 'terminating', actions: ['recordTerminating', 'touch'] },
          shutdown,
        ],
        InstanceLost: lost,
        InstanceTerminationForced: forced,
      },
    },
    terminating: {
      on: {
        InstanceTerminated: { target: 'terminated', actions: ['recordTerminated', 'touch'] },
        InstanceHeartbeat: heartbeat,
        InstanceLost: lost,
        InstanceTerminationForced: forced,
      },
    },
    lost: {
      on: {
        InstanceTerminated: { guard: 'reportedBySupervisor', target: 'terminated', actions: ['recordTerminated', 'touch'] },
        InstanceTerminationForced: forced,
      },
    },
    terminated: {
      // Not final: the supervisor may still find the process running after it said it terminated,
      // and that forced kill is recorded here.
      on: { InstanceTerminationForced: { target: 'terminated', reenter: false, actions: ['recordForced', 'touch'] } },
    },
  },
});

export type InstanceState =
  | 'new'
  | 'requested'
  | 'booting'
  | 'polling'
  | 'working'
  | 'idle'
  | 'terminating'
  | 'terminated'
  | 'lost';

export const instanceStates: readonly InstanceState[] = [
  'new', 'requested', 'booting', 'polling', 'working', 'idle', 'terminating', 'terminated', 'lost',
];

/**
 * The states that count toward the fleet's cap when the supervisor scales out: requested through
 * idle. `terminating` does not count: the instance takes no more work and is on its way out, so a
 * backlog that remains gets a replacement (the supervisor still verifies that it ends).
 */
export const capacityInstanceStates: ReadonlySet<InstanceState> = new Set<InstanceState>(['requested', 'booting', 'polling', 'working', 'idle']);
