/**
 * Reading worker instances: the paged list, one instance, its history (the same replay as jobs), and
 * counts by state. Instances are written only by workers and the supervisor.
 */
import type { EventStore } from '../../adapters/ports.ts';
import { instanceStates, NotFoundError, type ReadModelRow } from '../../machines/index.ts';
import { checkId } from '../jobs/getJob.ts';
import { streamHistory, type History, type HistoryPage } from '../jobs/jobHistory.ts';
import { listRows, withZeros, type ListInput } from '../jobs/listJobs.ts';
import { num, str } from '../contextFields.ts';
import { fleetHistory, type FleetHistory } from './fleetHistory.ts';

/** An instance as clients see it. */
export interface InstanceView {
  id: string;
  state: string;
  seq: number;
  providerId: string | null;
  backend: string | null;
  jobsDone: number;
  jobsFailed: number;
  currentJobId: string | null;
  lastHeartbeatAt: string | null;
  requestedAt: string | null;
  bootedAt: string | null;
  terminatedAt: string | null;
  terminationReason: string | null;
  forced: boolean;
  modelLoadMs: number | null;
  error: string | null;
  updatedAt: string;
}


/** The client shape of an instance read model row. Pure. */
export function instanceView(row: ReadModelRow): InstanceView {
  const c = row.context;
  return {
    id: row.id,
    state: row.state,
    seq: row.seq,
    providerId: str(c.providerId),
    backend: str(c.backend),
    jobsDone: num(c.jobsDone) ?? 0,
    jobsFailed: num(c.jobsFailed) ?? 0,
    currentJobId: str(c.currentJobId),
    lastHeartbeatAt: str(c.lastHeartbeatAt),
    requestedAt: str(c.requestedAt),
    bootedAt: str(c.bootedAt),
    terminatedAt: str(c.terminatedAt),
    terminationReason: str(c.terminationReason),
    forced: c.forced === true,
    modelLoadMs: num(c.modelLoadMs),
    error: str(c.error),
    updatedAt: row.updatedAt,
  };
}

/** The instance use cases over one event store. */
export function createInstanceService(deps: { store: EventStore; now?: () => Date }) {
  return {
    /** One page of instances, newest first. */
    async list(input: ListInput = {}): Promise<{ items: InstanceView[]; next?: string }> {
      const page = await listRows(deps.store, 'instance', input, instanceStates);
      const items = page.items.map(instanceView);
      return page.next === undefined ? { items } : { items, next: page.next };
    },
    /** One instance; NotFoundError when unknown. */
    async get(instanceId: string): Promise<InstanceView> {
      checkId('instance', instanceId);
      const row = await deps.store.get('instance', instanceId);
      if (!row) throw new NotFoundError(`There is no instance ${JSON.stringify(instanceId)}.`);
      return instanceView(row);
    },
    /** The instance's events with the state after each. */
    history: (instanceId: string, page?: HistoryPage): Promise<History> => streamHistory(deps.store, 'instance', instanceId, page),
    /** The fleet's state periods and backlog over a past range (5m, 1h, 24h); see fleetHistory. */
    fleetHistory: (range?: string): Promise<FleetHistory> => fleetHistory({ store: deps.store, now: deps.now ?? (() => new Date()) }, range),
    /** Instances per state, every state present. */
    counts: async () => withZeros(await deps.store.counts('instance'), instanceStates),
  };
}

export type InstanceService = ReturnType<typeof createInstanceService>;
