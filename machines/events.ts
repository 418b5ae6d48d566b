/**
 * The event envelope shared by every stream. A stored event is `{ stream, seq, type, at, data }`;
 * the machine receives it as it is (its `type` is the machine's event type: no mapping layer).
 * `at` is an ISO-8601 time chosen by the service that proposed the event: machines never read a clock.
 */
export interface StoredEvent<Type extends string = string, Data = unknown> {
  /** `job-<id>` or `instance-<id>`. */
  stream: string;
  /** 1-based position in the stream; the first event has seq 1. */
  seq: number;
  type: Type;
  /** ISO-8601 UTC time at which the proposing service decided the event. */
  at: string;
  data: Data;
}

/** An event proposed for appending: the store assigns stream and seq. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  at: string;
  data: Data;
}

export type StreamKind = 'job' | 'instance';

/**
 * The one id rule, for job, instance and gallery ids alike: 1–100 letters, digits, `-` or `_` — safe
 * in a URL, a blob key, a file name and a stream name. The ids we create (time-sortable, from the
 * services' clock) follow it; anything else is no id of ours.
 */
export const idPattern = /^[A-Za-z0-9_-]{1,100}$/;

/** True when `text` follows the id rule. */
export function isId(text: string): boolean {
  return idPattern.test(text);
}

/** `job-<id>` / `instance-<id>`. */
export function streamName(kind: StreamKind, id: string): string {
  return `${kind}-${id}`;
}

/** Splits a stream name into kind and id; undefined when it is neither a job nor an instance stream. */
export function parseStream(stream: string): { kind: StreamKind; id: string } | undefined {
  const match = /^(job|instance)-(.+)$/.exec(stream);
  if (!match) return undefined;
  return { kind: match[1] as StreamKind, id: match[2] as string };
}
