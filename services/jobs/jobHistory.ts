/**
 * A job's history: its stored events and the state after each, from the same `replay` the CLI and
 * the inspector use. A damaged history is shown with its problems rather than refused.
 */
import type { EventStore } from '../../adapters/ports.ts';
import { checkId } from './getJob.ts';
import { NotFoundError, replay, streamName, type ReplayStep, type StreamKind } from '../../machines/index.ts';

export interface History {
  id: string;
  stream: string;
  /** The state after the last event. */
  state: string;
  seq: number;
  steps: ReplayStep[];
  problems: Array<{ seq: number; type: string; reason: string }>;
}

/** Replays the stream of a job or instance; NotFoundError when it has no events. */
export async function streamHistory(store: EventStore, kind: StreamKind, id: string): Promise<History> {
  checkId(kind, id);
  const stream = streamName(kind, id);
  const events = await store.read(stream);
  if (events.length === 0) throw new NotFoundError(`There is no ${kind} ${JSON.stringify(id)}.`);
  const replayed = replay(stream, events);
  return { id, stream, state: replayed.final.state, seq: replayed.final.seq, steps: replayed.steps, problems: replayed.problems };
}

/** The job's events, each with the state before and after it. */
export function jobHistory(store: EventStore, jobId: string): Promise<History> {
  return streamHistory(store, 'job', jobId);
}
