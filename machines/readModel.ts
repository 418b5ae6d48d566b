/**
 * The read model row of a stream: its current state and context, kept beside the events so lists
 * and counts never scan streams. It is a pure function of the fold, so it can always be rebuilt.
 */
import type { StreamKind } from './events.ts';
import { parseStream } from './events.ts';
import type { StreamState } from './evolve.ts';

export interface ReadModelRow {
  kind: StreamKind;
  id: string;
  stream: string;
  state: string;
  /** Seq of the last event the row reflects: a row only ever moves forward. */
  seq: number;
  createdAt: string;
  updatedAt: string;
  /** The machine's context after the last event. */
  context: Record<string, unknown>;
}

/** The read model row for a folded stream. */
export function toReadModel(stream: string, folded: StreamState): ReadModelRow {
  const parsed = parseStream(stream);
  if (!parsed) throw new Error(`not a stream name: ${stream}`);
  const context = folded.context as unknown as Record<string, unknown>;
  const createdAt = (context.submittedAt ?? context.requestedAt ?? context.updatedAt ?? '') as string;
  return {
    kind: parsed.kind,
    id: parsed.id,
    stream,
    state: folded.state,
    seq: folded.seq,
    createdAt,
    updatedAt: (context.updatedAt ?? createdAt) as string,
    context,
  };
}
