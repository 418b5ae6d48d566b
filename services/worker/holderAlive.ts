/**
 * Is the instance holding a job alive and on that job? Judged from its own stream: it is working on
 * exactly this job and its last sign of life (any instance event counts as one) is younger than the
 * heartbeat timeout the supervisor uses to declare an instance lost. The same rule on both sides:
 * a holder the supervisor would still trust keeps its job.
 */
import type { EventStore } from '../../adapters/ports.ts';
import { streamName } from '../../machines/index.ts';
import type { Clock } from '../clock.ts';
import { load } from '../streams/propose.ts';

export function holderAliveFrom(store: EventStore, clock: Clock, heartbeatTimeoutSeconds: number): (holderId: string, jobId: string) => Promise<boolean> {
  return async (holderId, jobId) => {
    const holder = await load(store, streamName('instance', holderId));
    if (holder.kind !== 'instance' || holder.state !== 'working' || holder.context.currentJobId !== jobId) return false;
    const lastSign = holder.context.lastHeartbeatAt;
    return lastSign !== null && clock.now().getTime() - Date.parse(lastSign) < heartbeatTimeoutSeconds * 1000;
  };
}
