/**
 * Gathers the supervisor's observation from the ports: the request queue's depth, the instance read
 * models that are not finished (plus finished ones whose process still runs), what compute sees,
 * and the dead-lettered messages (received here: they stay hidden while this tick handles them).
 */
import type { Compute, DescribedInstance, EventStore, Queue } from '../../adapters/ports.ts';
import type { ReadModelRow } from '../../machines/index.ts';
import type { Clock } from '../clock.ts';
import { parseMessage, requestMessage } from '../jobs/messages.ts';
import type { DeadLetterView, InstanceView, Observation, SupervisorSettings } from './decide.ts';
import { str } from '../contextFields.ts';

export interface ObserveDeps {
  store: EventStore;
  requests: Queue;
  deadLetters: Queue;
  compute: Compute;
  clock: Clock;
  settings: SupervisorSettings;
}

const unfinished = ['requested', 'booting', 'polling', 'working', 'idle', 'terminating', 'lost'];

/** Every read model row of the instance kind in these states (all pages). */
export async function listInstances(store: EventStore, states: string[]): Promise<ReadModelRow[]> {
  const rows: ReadModelRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ kind: 'instance', state: states, limit: 500, ...(cursor ? { cursor } : {}) });
    rows.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return rows;
}


/** The part of a read model row that decide needs. */
export function toInstanceView(row: ReadModelRow): InstanceView {
  const c = row.context;
  return {
    instanceId: row.id,
    state: row.state,
    providerId: str(c.providerId),
    currentJobId: str(c.currentJobId),
    requestedAt: str(c.requestedAt),
    launchedAt: str(c.launchedAt),
    bootedAt: str(c.bootedAt),
    lastHeartbeatAt: str(c.lastHeartbeatAt),
    terminatingAt: str(c.terminatingAt),
    terminatedAt: str(c.terminatedAt),
    updatedAt: str(c.updatedAt) ?? row.updatedAt,
  };
}

async function receiveDeadLetters(deadLetters: Queue): Promise<DeadLetterView[]> {
  const messages = await deadLetters.receive({ maxMessages: 10, waitSeconds: 0, visibilityTimeoutSeconds: 30 });
  return messages.map((m) => {
    const parsed = parseMessage(requestMessage, m.body);
    return { receiptHandle: m.receiptHandle, ...(parsed ? { jobId: parsed.jobId } : {}) };
  });
}

/** One observation of the world. */
export async function observe(deps: ObserveDeps): Promise<Observation> {
  const [queue, rows, processes, deadLetters] = await Promise.all([
    deps.requests.depth(),
    listInstances(deps.store, unfinished),
    deps.compute.describe(),
    receiveDeadLetters(deps.deadLetters),
  ]);
  const instances = rows.map(toInstanceView);
  const known = new Set(instances.map((i) => i.instanceId));
  // Processes that still run although their stream says terminated: decide verifies them.
  // A stray already shutting down (`stopping`) needs no second terminate.
  const strays = processes.filter((p: DescribedInstance) => (p.status === 'pending' || p.status === 'running') && !known.has(p.instanceId));
  const strayRows = await Promise.all(strays.map((p) => deps.store.get('instance', p.instanceId)));
  for (const row of strayRows) if (row) instances.push(toInstanceView(row));
  return { now: deps.clock.now().getTime(), queue, instances, processes, deadLetters, settings: deps.settings };
}
