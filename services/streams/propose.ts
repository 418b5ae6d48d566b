/**
 * Services propose, the machine judges, the store settles races: read the stream (or catch up from
 * a state already known), fold it, let the machine judge the proposed events, append them with the
 * seq that was read, and on a version conflict read again and judge again, a bounded number of times.
 * Nothing sets a state by hand: the state follows from the events.
 */
import type { EventStore } from '../../adapters/ports.ts';
import {
  allows,
  evolve,
  fold,
  toReadModel,
  VersionConflictError,
  type NewEvent,
  type StoredEvent,
  type StreamState,
} from '../../machines/index.ts';

/** Folds a stream from the store. */
export async function load(store: EventStore, stream: string): Promise<StreamState> {
  return fold(stream, await store.read(stream));
}

/** Brings a known state up to date with the events appended after it. */
export async function catchUp(store: EventStore, stream: string, known: StreamState): Promise<StreamState> {
  return fold(stream, await store.read(stream, known.seq + 1), known);
}

/** What a decision returns: the events to append, or nothing to do. */
export type Decision = NewEvent[] | null | undefined;

export interface Proposal {
  /** The state after the append (or the current state when the decision was to do nothing). */
  state: StreamState;
  /** The events written (empty when nothing was to be done). */
  appended: StoredEvent[];
}

/**
 * Runs `decide` against the stream's current state and appends what it returns. `decide` may be
 * called several times (once per conflict) and must be pure. Throws IllegalTransitionError when the
 * machine refuses a proposed event (nothing is written), VersionConflictError after `attempts`
 * conflicts in a row.
 */
export async function propose(
  store: EventStore,
  stream: string,
  decide: (state: StreamState) => Decision,
  options: { known?: StreamState; attempts?: number } = {},
): Promise<Proposal> {
  const attempts = options.attempts ?? 8;
  let state = options.known ?? (await load(store, stream));
  for (let attempt = 1; ; attempt += 1) {
    const events = decide(state) ?? [];
    if (events.length === 0) return { state, appended: [] };
    const next = events.reduce((at, event) => evolve(stream, at, event), state); // throws IllegalTransitionError: nothing written
    try {
      const result = await store.append(stream, state.seq, events, toReadModel(stream, next));
      return { state: next, appended: result.events };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= attempts) throw error;
      state = await catchUp(store, stream, state);
    }
  }
}

/**
 * Appends `events` if the machine takes them, in order, from the stream's current state (judged
 * again after a conflict); otherwise writes nothing. Resolves to what was appended (empty when the
 * stream had moved on: another worker or the supervisor got there first).
 */
export async function proposeIfAllowed(
  store: EventStore,
  stream: string,
  events: NewEvent[],
  options: { known?: StreamState } = {},
): Promise<Proposal> {
  return propose(store, stream, (state) => (allows(stream, state, events) ? events : null), options);
}
