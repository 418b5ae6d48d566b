/**
 * Carries out the supervisor's commands and records each as events through `propose` (the machine
 * judges every one: an event the stream no longer allows — the worker got there first — is skipped,
 * not forced). Each command is independent: one failing is logged and the others go on.
 */
import type { Compute, EventStore, Queue } from '../../adapters/ports.ts';
import { emptyState, streamName, type InstanceEventData, type JobEventData, type NewEvent } from '../../machines/index.ts';
import { isoNow, type Clock } from '../clock.ts';
import type { ResponseMessage } from '../jobs/messages.ts';
import { propose, proposeIfAllowed } from '../streams/propose.ts';
import type { Command } from './decide.ts';

export interface ExecuteDeps {
  store: EventStore;
  compute: Compute;
  responses: Queue;
  deadLetters: Queue;
  clock: Clock;
  /** The boot environment of every launched worker (its config as FACEFLEET_* variables). */
  bootEnv: Record<string, string>;
  /** What each new instance is told on InstanceRequested (its idle time is decided per launch). */
  requestSettings: () => { emptyPollsToIdle: number; idleSeconds: number };
  log: (line: string) => void;
  /** Told of a failed launch before it is recorded; answers the backoff it set (ms), recorded on InstanceLaunchFailed. */
  launchFailed?: (failure: string) => number;
}

/** Appends `event` to the stream if the machine takes it now; resolves to whether it was written. */
export async function recordIfAllowed(store: EventStore, stream: string, event: NewEvent): Promise<boolean> {
  return (await proposeIfAllowed(store, stream, [event])).appended.length > 0;
}

/** Executes one command; throws only what the caller should log. */
/** What a command's execution reports back to the loop (only launches say anything). */
export interface ExecuteOutcome {
  /** Why the launch failed (some or all instances did not launch). */
  launchFailure?: string;
  /** True when `launchFailed` was told already (the backoff is set). */
  backedOff?: boolean;
}

export async function execute(deps: ExecuteDeps, command: Command): Promise<ExecuteOutcome | void> {
  const at = () => isoNow(deps.clock);
  switch (command.type) {
    case 'LaunchInstances':
      return launch(deps, command.n, command.backlog);
    case 'MarkLost': {
      const data: InstanceEventData<'InstanceLost'> = {
        reason: command.reason,
        lastHeartbeatAt: command.lastHeartbeatAt,
        ...(command.exitCode === undefined ? {} : { exitCode: command.exitCode }),
      };
      if (await recordIfAllowed(deps.store, streamName('instance', command.instanceId), { type: 'InstanceLost', at: at(), data })) {
        deps.log(`instance ${command.instanceId} lost (${command.reason})`);
      }
      return;
    }
    case 'RecordExit': {
      const data: InstanceEventData<'InstanceTerminated'> = { by: 'supervisor', ...(command.exitCode === undefined ? {} : { exitCode: command.exitCode }) };
      await recordIfAllowed(deps.store, streamName('instance', command.instanceId), { type: 'InstanceTerminated', at: at(), data });
      return;
    }
    case 'ForceTerminate': {
      await deps.compute.terminate(command.providerId);
      const data: InstanceEventData<'InstanceTerminationForced'> = { reason: command.reason };
      await recordIfAllowed(deps.store, streamName('instance', command.instanceId), { type: 'InstanceTerminationForced', at: at(), data });
      deps.log(`instance ${command.instanceId} (${command.providerId}) terminated by force: ${command.reason}`);
      return;
    }
    case 'FailDeadLettered': {
      const data: JobEventData<'JobFailed'> = {
        code: 'dead-letter',
        reason: 'the job was delivered the maximum number of times without a result',
      };
      const failed = await recordIfAllowed(deps.store, streamName('job', command.jobId), { type: 'JobFailed', at: at(), data });
      if (failed) {
        await deps.responses.send(JSON.stringify({ jobId: command.jobId, state: 'failed' } satisfies ResponseMessage));
        deps.log(`job ${command.jobId} failed: dead-lettered`);
      } else {
        // A job cancelled while a worker held it, whose message then ran out of receives: nobody
        // else will record the cancellation (the machine takes it only from `cancelling`).
        const cancel: JobEventData<'JobCancelled'> = { reason: 'cancelled by a client; its message was dead-lettered before a worker stopped it' };
        if (await recordIfAllowed(deps.store, streamName('job', command.jobId), { type: 'JobCancelled', at: at(), data: cancel })) {
          await deps.responses.send(JSON.stringify({ jobId: command.jobId, state: 'cancelled' } satisfies ResponseMessage));
        }
      }
      await deps.deadLetters.delete(command.receiptHandle);
      return;
    }
    case 'DeleteDeadLetter':
      await deps.deadLetters.delete(command.receiptHandle);
      return;
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

/** Requests n instances (InstanceRequested), launches them, and records each launch or failure. */
async function launch(deps: ExecuteDeps, n: number, backlog: number): Promise<ExecuteOutcome> {
  const { store, clock } = deps;
  const ids = Array.from({ length: n }, () => clock.newId());
  const settings = deps.requestSettings();
  for (const instanceId of ids) {
    const stream = streamName('instance', instanceId);
    const data: InstanceEventData<'InstanceRequested'> = { instanceId, reason: 'backlog', backlog, ...settings };
    await propose(store, stream, () => [{ type: 'InstanceRequested', at: isoNow(clock), data }], { known: emptyState(stream) });
  }
  let launched: Array<{ instanceId: string; providerId: string }> = [];
  let failure = '';
  try {
    launched = await deps.compute.launch({ instanceIds: ids, tags: { 'facefleet:role': 'worker' }, bootEnv: deps.bootEnv });
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  const byId = new Map(launched.map((l) => [l.instanceId, l.providerId]));
  const launchFailure = launched.length < n ? failure || 'compute did not launch every instance' : undefined;
  const backoffMs = launchFailure === undefined ? undefined : deps.launchFailed?.(launchFailure);
  for (const instanceId of ids) {
    const stream = streamName('instance', instanceId);
    const providerId = byId.get(instanceId);
    // The worker may have booted already (it records its provider id too): then Launched is skipped.
    const event: NewEvent = providerId
      ? { type: 'InstanceLaunched', at: isoNow(clock), data: { providerId, backend: deps.compute.backend } satisfies InstanceEventData<'InstanceLaunched'> }
      : {
          type: 'InstanceLaunchFailed',
          at: isoNow(clock),
          data: { reason: (failure || 'compute did not launch it').slice(0, 2000), ...(backoffMs === undefined ? {} : { backoffMs }) } satisfies InstanceEventData<'InstanceLaunchFailed'>,
        };
    await recordIfAllowed(store, stream, event);
  }
  deps.log(`launched ${launched.length} of ${n} instance(s) for a backlog of ${backlog}${failure ? ` (launch failed: ${failure})` : ''}`);
  return launchFailure === undefined ? {} : { launchFailure, backedOff: backoffMs !== undefined };
}
