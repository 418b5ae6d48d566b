/**
 * Reading a stream's history (from the event store or a recorded history file) and turning its
 * replay into a timeline: the logic the replay CLI and the web inspector share. The fold itself is
 * machines' `replay`; this file adds where the events come from and how a person reads them.
 */
import { z } from 'zod';
import type { EventStore } from '../../adapters/ports.ts';
import { CorruptHistoryError, NotFoundError, parseStream, replay, type Replay, type ReplayStep, type StoredEvent } from '../../machines/index.ts';

/** A stream's events and where they came from. */
export interface History {
  stream: string;
  events: StoredEvent[];
  /** `store` or the history file's name, for messages. */
  source: string;
}

const storedEventSchema = z.object({
  stream: z.string().min(1),
  seq: z.number().int().min(1),
  type: z.string().min(1),
  at: z.string().min(1),
  data: z.unknown(),
});

/** Reads a stream from the store; NotFoundError when it has no events. */
export async function readHistory(store: EventStore, stream: string): Promise<History> {
  const events = await store.read(stream);
  if (events.length === 0) throw new NotFoundError(`there is no stream ${stream} in the event store`);
  return { stream, events, source: 'store' };
}

/**
 * Parses a recorded history file: a JSON array of stored events of one stream. Throws a plain Error
 * when the text is not such an array, CorruptHistoryError (naming the seq, or the entry number when
 * the seq itself is broken) for an entry that is not a stored event or belongs to another stream.
 */
export function parseHistory(text: string, source: string, stream?: string): History {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(raw)) throw new Error(`${source} is not a JSON array of stored events`);
  if (raw.length === 0) throw new Error(`${source} holds no events`);
  const first = raw[0] as { stream?: unknown } | null;
  const name = stream ?? (typeof first?.stream === 'string' ? first.stream : undefined);
  if (!name || !parseStream(name)) throw new Error(`${source} does not name a job-<id> or instance-<id> stream`);
  const events = raw.map((entry: unknown, index) => {
    const parsed = storedEventSchema.safeParse(entry);
    const seq = (entry as { seq?: unknown } | null)?.seq;
    const where = typeof seq === 'number' ? seq : 0;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const what = issue ? `${issue.path.join('.') || 'entry'}: ${issue.message}` : 'bad shape';
      throw new CorruptHistoryError(name, where, `entry ${index + 1} is not a stored event (${what})`);
    }
    if (parsed.data.stream !== name) {
      throw new CorruptHistoryError(name, parsed.data.seq, `entry ${index + 1} belongs to ${parsed.data.stream}, not ${name}`);
    }
    return parsed.data as StoredEvent;
  });
  return { stream: name, events, source };
}

/** Replays a history through its machine, keeping every step and reporting problems by seq. */
export function replayHistory(history: History): Replay {
  return replay(history.stream, history.events);
}

/** The state and context right after `seq` (problem events are skipped, as in the replay). */
export function stateAt(history: History, seq: number): { stream: string; seq: number; at: string | null; state: string; context: unknown } {
  const upTo = history.events.filter((e) => e.seq <= seq);
  const folded = replay(history.stream, upTo);
  return { stream: history.stream, seq, at: upTo.at(-1)?.at ?? null, state: folded.final.state, context: folded.final.context };
}

/** What `--json` prints. */
export function timelineJson(r: Replay): { stream: string; steps: ReplayStep[]; final: Replay['final']; problems: Replay['problems'] } {
  return { stream: r.stream, steps: r.steps, final: r.final, problems: r.problems };
}

// ───────────────────────────── text ─────────────────────────────

export interface FormatOptions {
  /** ANSI colours (only for a terminal). */
  color?: boolean;
  /** Wrap the context-change lines at this width (default 100). */
  width?: number;
}

const problemLabels: Record<NonNullable<ReplayStep['problem']>['kind'], string> = {
  'unknown-type': 'unknown type',
  'invalid-data': 'invalid data',
  refused: 'refused',
  'out-of-order': 'seq gap',
};

function paint(on: boolean | undefined, code: number, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** A value in one short token: JSON, long strings and objects cut to 40 characters. */
export function compact(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function wrap(items: string[], indent: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line ? `${line}, ${item}` : item;
    if (line && indent.length + next.length > width) {
      lines.push(`${indent}${line},`);
      line = item;
    } else line = next;
  }
  if (line) lines.push(`${indent}${line}`);
  return lines;
}

/** The human timeline: one line per event (seq, time, type, state), its context changes, its problem. */
export function formatTimeline(r: Replay, options: FormatOptions = {}): string {
  const { color } = options;
  const width = options.width ?? 100;
  const typeWidth = Math.max(5, ...r.steps.map((s) => s.type.length));
  const seqWidth = Math.max(3, ...r.steps.map((s) => String(s.seq).length));
  const timeWidth = Math.max(4, ...r.steps.map((s) => s.at.length));
  const indent = ' '.repeat(seqWidth + 4);
  const out: string[] = [
    `${r.stream} (${r.kind}): ${r.steps.length} event${r.steps.length === 1 ? '' : 's'}`,
    '',
    `${'seq'.padStart(seqWidth)}  ${'time'.padEnd(timeWidth)}  ${'event'.padEnd(typeWidth)}  state`,
  ];
  for (const step of r.steps) {
    const state =
      step.problem !== undefined
        ? `${step.stateBefore} ${paint(color, 31, `(${problemLabels[step.problem.kind]})`)}`
        : step.stateBefore === step.stateAfter
          ? step.stateAfter
          : `${step.stateBefore} → ${paint(color, 32, step.stateAfter)}`;
    out.push(`${String(step.seq).padStart(seqWidth)}  ${step.at.padEnd(timeWidth)}  ${step.type.padEnd(typeWidth)}  ${state}`);
    out.push(...wrap(step.changes.map(([field, before, after]) => `${field}: ${compact(before)} → ${compact(after)}`), indent, width));
    if (step.problem) out.push(`${indent}${paint(color, 31, `! seq ${step.seq} ${problemLabels[step.problem.kind]}: ${step.problem.reason}`)}`);
  }
  out.push('');
  out.push(`final: ${paint(color, 1, r.final.state)} at seq ${r.final.seq}`);
  out.push(
    r.problems.length === 0
      ? 'problems: none'
      : `problems: ${r.problems.length} (${r.problems.map((p) => `seq ${p.seq} ${p.type}`).join(', ')})`,
  );
  return out.join('\n') + '\n';
}

/** The state and context at one seq, one field a line. */
export function formatStateAt(at: ReturnType<typeof stateAt>, options: FormatOptions = {}): string {
  const context = at.context as Record<string, unknown>;
  const keyWidth = Math.max(...Object.keys(context).map((k) => k.length));
  return [
    `${at.stream} at seq ${at.seq}${at.at ? ` (${at.at})` : ''}: ${paint(options.color, 1, at.state)}`,
    ...Object.entries(context).map(([k, v]) => `  ${k.padEnd(keyWidth)}  ${JSON.stringify(v)}`),
  ].join('\n') + '\n';
}

/** One line per problem, for stderr. */
export function formatProblems(r: Replay): string[] {
  return r.problems.map((p) => `${r.stream} seq ${p.seq} (${p.type}): ${p.reason}`);
}
