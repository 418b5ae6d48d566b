/**
 * The one fold of events through the machines, over one type, `StreamState` (kind, state name,
 * context, seq): `evolve` judges one proposed event, `allows` says whether a sequence would be
 * taken, `fold` applies stored events (from the empty state or from a state already known), and
 * `replay` keeps every intermediate state and reports — instead of throwing — an event that the
 * machine refuses, an unknown type, data that does not match its schema, or a gap in the seqs.
 */
import type { z } from 'zod';
import { compileMachine, type CompiledMachine, type LightSnapshot } from './compiledMachine.ts';
import { CorruptHistoryError, IllegalTransitionError } from './errors.ts';
import type { StoredEvent, StreamKind } from './events.ts';
import { parseStream } from './events.ts';
import { instanceEventSchemas } from './instanceEvents.ts';
import { instanceMachine, type InstanceContext, type InstanceState } from './instanceMachine.ts';
import { jobEventSchemas } from './jobEvents.ts';
import { jobMachine, type JobContext, type JobState } from './jobMachine.ts';

/** A folded stream, for either kind: its state, its context and the seq of its last event. */
export type StreamState =
  | { kind: 'job'; state: JobState; context: JobContext; seq: number }
  | { kind: 'instance'; state: InstanceState; context: InstanceContext; seq: number };

export type EventLike = Pick<StoredEvent, 'type' | 'at' | 'data'> & { seq?: number };

const schemasByKind: Record<StreamKind, Record<string, z.ZodType>> = {
  job: jobEventSchemas,
  instance: instanceEventSchemas,
};

const compiled = {
  job: compileMachine<JobContext>(jobMachine),
  instance: compileMachine<InstanceContext>(instanceMachine),
} as Record<StreamKind, CompiledMachine<unknown>>;

/** The kind of a stream from its name; throws CorruptHistoryError for a name that is neither. */
export function kindOf(stream: string): StreamKind {
  const parsed = parseStream(stream);
  if (!parsed) throw new CorruptHistoryError(stream, 0, `"${stream}" is not a job-<id> or instance-<id> stream`);
  return parsed.kind;
}

/** The state of a stream that has no events yet (seq 0). */
export function emptyState(stream: string): StreamState {
  const kind = kindOf(stream);
  return toState(kind, compiled[kind].initial, 0);
}

type Validation = { problem: 'unknown-type' | 'invalid-data'; reason: string } | { event: EventLike };

/** Parses an event's data with its type's schema; says why when the type is unknown or the data invalid. */
function validate(kind: StreamKind, event: EventLike): Validation {
  const schema = schemasByKind[kind][event.type];
  if (!schema) return { problem: 'unknown-type', reason: `unknown ${kind} event type "${event.type}"` };
  const parsed = schema.safeParse(event.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'bad shape';
    return { problem: 'invalid-data', reason: `${event.type} data is invalid (${where})` };
  }
  return { event: { ...event, data: parsed.data } };
}

function toState(kind: StreamKind, snapshot: LightSnapshot<unknown>, seq: number): StreamState {
  return { kind, state: snapshot.value, context: snapshot.context, seq } as StreamState;
}

/** The next state, or undefined when the machine refuses the (validated) event. */
function step(state: StreamState, event: EventLike, seq: number): StreamState | undefined {
  const next = compiled[state.kind].step({ value: state.state, context: state.context }, event);
  return next && toState(state.kind, next, seq);
}

/**
 * Applies one event and returns the next state (seq + 1); pure. Throws IllegalTransitionError when
 * the machine refuses it, CorruptHistoryError when the type is unknown or the data invalid.
 */
export function evolve(stream: string, state: StreamState, event: EventLike): StreamState {
  const verdict = validate(state.kind, event);
  if ('problem' in verdict) throw new CorruptHistoryError(stream, event.seq ?? state.seq + 1, verdict.reason);
  const next = step(state, verdict.event, state.seq + 1);
  if (!next) throw new IllegalTransitionError(stream, state.state, event.type);
  return next;
}

/** True when the machine takes every event, in order, from `state` (schemas and guards included). */
export function allows(stream: string, state: StreamState, events: readonly EventLike[]): boolean {
  let current: StreamState | undefined = state;
  for (const event of events) {
    const verdict = validate(current.kind, event);
    current = 'problem' in verdict ? undefined : step(current, verdict.event, current.seq + 1);
    if (!current) return false;
  }
  return true;
}

/**
 * Folds stored events, from the empty state or from `from` (a state already known: the events must
 * follow its seq). Calls `onEach` with the state after each event. Throws CorruptHistoryError on a
 * gap in the seqs or the first event the machine cannot take.
 */
export function fold(stream: string, events: readonly StoredEvent[], from?: StreamState, onEach?: (state: StreamState) => void): StreamState {
  let state = from ?? emptyState(stream);
  for (const event of events) {
    if (event.seq !== state.seq + 1) throw new CorruptHistoryError(stream, event.seq, `expected seq ${state.seq + 1}, found ${event.seq}`);
    const verdict = validate(state.kind, event);
    if ('problem' in verdict) throw new CorruptHistoryError(stream, event.seq, verdict.reason);
    const next = step(state, verdict.event, event.seq);
    if (!next) throw new CorruptHistoryError(stream, event.seq, refusal(state.state, event));
    state = next;
    onEach?.(state);
  }
  return state;
}

function refusal(state: string, event: EventLike): string {
  return `${event.type} is not allowed in state "${state}"`;
}

export interface ReplayStep {
  seq: number;
  type: string;
  at: string;
  data: unknown;
  /** The state before and after this event (equal when the event was rejected). */
  stateBefore: string;
  stateAfter: string;
  /** Context fields this event changed: `[field, before, after]`. */
  changes: Array<[string, unknown, unknown]>;
  /** Set when the machine could not take the event; the replay goes on from the state before it. */
  problem?: { kind: 'unknown-type' | 'invalid-data' | 'refused' | 'out-of-order'; reason: string };
}

export interface Replay {
  stream: string;
  kind: StreamKind;
  steps: ReplayStep[];
  final: StreamState;
  problems: Array<{ seq: number; type: string; reason: string }>;
}

/**
 * Replays a stream keeping every intermediate state. A rejected event is reported with its seq and
 * skipped, so a damaged history can still be inspected instead of crashing the tool.
 */
export function replay(stream: string, events: readonly StoredEvent[]): Replay {
  let state = emptyState(stream);
  let lastSeq = 0;
  const steps: ReplayStep[] = [];
  const problems: Replay['problems'] = [];
  for (const event of events) {
    const before = state;
    let problem: ReplayStep['problem'];
    if (event.seq !== lastSeq + 1) {
      problem = { kind: 'out-of-order', reason: `expected seq ${lastSeq + 1}, found ${event.seq}` };
    } else {
      const verdict = validate(state.kind, event);
      if ('problem' in verdict) problem = { kind: verdict.problem, reason: verdict.reason };
      else {
        const next = step(state, verdict.event, event.seq);
        if (next) state = next;
        else problem = { kind: 'refused', reason: refusal(state.state, event) };
      }
    }
    lastSeq = Math.max(lastSeq, event.seq);
    if (problem) problems.push({ seq: event.seq, type: event.type, reason: problem.reason });
    steps.push({
      seq: event.seq,
      type: event.type,
      at: event.at,
      data: event.data,
      stateBefore: before.state,
      stateAfter: state.state,
      changes: diffContext(before.context as unknown as Record<string, unknown>, state.context as unknown as Record<string, unknown>),
      ...(problem ? { problem } : {}),
    });
  }
  return { stream, kind: state.kind, steps, final: { ...state, seq: lastSeq }, problems };
}

function diffContext(before: Record<string, unknown>, after: Record<string, unknown>): Array<[string, unknown, unknown]> {
  if (before === after) return [];
  const changes: Array<[string, unknown, unknown]> = [];
  for (const key of Object.keys(after)) {
    const a = before[key];
    const b = after[key];
    if (a === b) continue;
    if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b)) continue;
    changes.push([key, a, b]);
  }
  return changes;
}
