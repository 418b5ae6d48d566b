/**
 * The pure fold of events through the machines: `evolve` judges one event, `fold` a whole stream,
 * `replay` keeps every intermediate snapshot and reports — instead of throwing — an event that the
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

export type JobSnapshot = LightSnapshot<JobContext>;
export type InstanceSnapshot = LightSnapshot<InstanceContext>;
type AnySnapshot = JobSnapshot | InstanceSnapshot;

/** What callers need from a folded stream, for either kind. */
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

/** The snapshot before the first event of a stream of this kind. */
export function initialSnapshot(kind: 'job'): JobSnapshot;
export function initialSnapshot(kind: 'instance'): InstanceSnapshot;
export function initialSnapshot(kind: StreamKind): AnySnapshot;
export function initialSnapshot(kind: StreamKind): AnySnapshot {
  return compiled[kind].initial as AnySnapshot;
}

/** The kind of a stream from its name; throws CorruptHistoryError for a name that is neither. */
export function kindOf(stream: string): StreamKind {
  const parsed = parseStream(stream);
  if (!parsed) throw new CorruptHistoryError(stream, 0, `"${stream}" is not a job-<id> or instance-<id> stream`);
  return parsed.kind;
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

function step(kind: StreamKind, snapshot: AnySnapshot, event: EventLike): AnySnapshot | undefined {
  return compiled[kind].step(snapshot as LightSnapshot<unknown>, event) as AnySnapshot | undefined;
}

/**
 * Applies one event and returns the next snapshot; pure. Throws IllegalTransitionError when the
 * machine refuses it, CorruptHistoryError when the type is unknown or the data invalid.
 */
export function evolve<S extends AnySnapshot>(stream: string, snapshot: S, event: EventLike): S {
  const kind = kindOf(stream);
  const verdict = validate(kind, event);
  if ('problem' in verdict) throw new CorruptHistoryError(stream, event.seq ?? 0, verdict.reason);
  const next = step(kind, snapshot, verdict.event);
  if (!next) throw new IllegalTransitionError(stream, snapshot.value, event.type);
  return next as S;
}

/** True when the machine would take this event from this snapshot (schema and guards included). */
export function allows(stream: string, snapshot: AnySnapshot, event: EventLike): boolean {
  const kind = kindOf(stream);
  const verdict = validate(kind, event);
  return !('problem' in verdict) && step(kind, snapshot, verdict.event) !== undefined;
}

/** Reduces a snapshot to kind, state name, context and seq. */
export function toState(kind: StreamKind, snapshot: AnySnapshot, seq: number): StreamState {
  return { kind, state: snapshot.value, context: snapshot.context, seq } as StreamState;
}

/** Folds a whole stream; throws CorruptHistoryError on the first event the machine cannot take. */
export function fold(stream: string, events: readonly StoredEvent[]): StreamState {
  const kind = kindOf(stream);
  let snapshot = initialSnapshot(kind);
  let seq = 0;
  for (const event of events) {
    if (event.seq !== seq + 1) throw new CorruptHistoryError(stream, event.seq, `expected seq ${seq + 1}, found ${event.seq}`);
    const verdict = validate(kind, event);
    if ('problem' in verdict) throw new CorruptHistoryError(stream, event.seq, verdict.reason);
    const next = step(kind, snapshot, verdict.event);
    if (!next) throw new CorruptHistoryError(stream, event.seq, refusal(snapshot, event));
    snapshot = next;
    seq = event.seq;
  }
  return toState(kind, snapshot, seq);
}

function refusal(snapshot: AnySnapshot, event: EventLike): string {
  return `${event.type} is not allowed in state "${snapshot.value}"`;
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
  const kind = kindOf(stream);
  let snapshot = initialSnapshot(kind);
  let lastSeq = 0;
  const steps: ReplayStep[] = [];
  const problems: Replay['problems'] = [];
  for (const event of events) {
    const before = snapshot;
    let problem: ReplayStep['problem'];
    if (event.seq !== lastSeq + 1) {
      problem = { kind: 'out-of-order', reason: `expected seq ${lastSeq + 1}, found ${event.seq}` };
    } else {
      const verdict = validate(kind, event);
      if ('problem' in verdict) problem = { kind: verdict.problem, reason: verdict.reason };
      else {
        const next = step(kind, snapshot, verdict.event);
        if (next) snapshot = next;
        else problem = { kind: 'refused', reason: refusal(snapshot, event) };
      }
    }
    lastSeq = Math.max(lastSeq, event.seq);
    if (problem) problems.push({ seq: event.seq, type: event.type, reason: problem.reason });
    steps.push({
      seq: event.seq,
      type: event.type,
      at: event.at,
      data: event.data,
      stateBefore: before.value,
      stateAfter: snapshot.value,
      changes: diffContext(before.context as unknown as Record<string, unknown>, snapshot.context as unknown as Record<string, unknown>),
      ...(problem ? { problem } : {}),
    });
  }
  return { stream, kind, steps, final: toState(kind, snapshot, lastSeq), problems };
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
