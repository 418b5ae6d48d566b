/**
 * The ports: the only way services reach queues, blobs, the event store and compute. Each has an
 * embedded implementation (SQLite, file system, child processes) and an AWS one (SQS, S3, DynamoDB,
 * EC2), and every implementation passes the same conformance suite in test/conformance/.
 */
import type { Readable } from 'node:stream';
import type { NewEvent, ReadModelRow, StoredEvent, StreamKind } from '../machines/index.ts';

// ───────────────────────────── EventStore ─────────────────────────────

export interface AppendResult {
  /** Seq of the last event written. */
  seq: number;
  /** The stored events, with stream and seq. */
  events: StoredEvent[];
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  next?: string;
}

export interface ReadModelQuery {
  kind: StreamKind;
  /** Only rows in this state (or any of these states). */
  state?: string | string[];
  /** At most this many rows (default 50, at most 500). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  cursor?: string;
}

export interface ChangeFeedPage {
  rows: ReadModelRow[];
  /** Pass back to get only later changes. */
  cursor: string;
}

export interface EventStore {
  /**
   * Appends events to a stream if its last seq is still `expectedSeq` (0 for a new stream), and in
   * the same write (SQLite: one transaction; DynamoDB: right after, only moving forward) stores the
   * stream's read model row `view` when given. Throws VersionConflictError when someone else
   * appended first; then nothing was written.
   */
  append(stream: string, expectedSeq: number, events: NewEvent[], view?: ReadModelRow): Promise<AppendResult>;
  /** The stream's events with seq ≥ fromSeq (default 1), in order; [] for an unknown stream. */
  read(stream: string, fromSeq?: number): Promise<StoredEvent[]>;
  /** One read model row, or undefined. */
  get(kind: StreamKind, id: string): Promise<ReadModelRow | undefined>;
  /** Read model rows of a kind, newest first (by createdAt), optionally by state, paged. */
  list(query: ReadModelQuery): Promise<Page<ReadModelRow>>;
  /**
   * Number of rows per state for a kind (states with no rows are absent), only of `states` when
   * given. SQLite: counters moved with every append (constant cost); DynamoDB: COUNT queries of the
   * by-state index, so ask only for the states you need (done grows with history).
   */
  counts(kind: StreamKind, states?: readonly string[]): Promise<Record<string, number>>;
  /**
   * Rows changed after `cursor` (omit it for "from now on": returns no rows and a cursor), oldest
   * change first, at most `limit`. Drives the SSE stream and the inspector.
   */
  changes(cursor?: string, limit?: number): Promise<ChangeFeedPage>;
  /** Releases connections. */
  close(): Promise<void>;
}

// ───────────────────────────── Queue ─────────────────────────────

export interface QueueMessage {
  /** Stable id of the message. */
  id: string;
  /** Handle for delete / changeVisibility of this receipt (changes on every receive). */
  receiptHandle: string;
  body: string;
  /** How many times the message has been received, this time included. */
  receiveCount: number;
  /** ISO time the message was first sent. */
  sentAt: string;
}

export interface ReceiveOptions {
  /** 1..10, default 1. */
  maxMessages?: number;
  /**
   * Long-poll up to this many seconds (0..20, fractions allowed; SQS rounds up to whole seconds)
   * for a first message; returns as soon as one arrives.
   */
  waitSeconds?: number;
  /** Hide received messages for this many seconds (default: the queue's). */
  visibilityTimeoutSeconds?: number;
  /** Aborts the long poll (resolves with []); use only at shutdown. */
  signal?: AbortSignal;
}

export interface Queue {
  /** The queue's name. */
  readonly name: string;
  /** Sends one message; resolves to its id. */
  send(body: string, options?: { delaySeconds?: number }): Promise<string>;
  /**
   * Receives up to maxMessages visible messages and hides them for the visibility timeout. A message
   * received more than the queue's maxReceives is moved to its dead-letter queue instead of returned.
   */
  receive(options?: ReceiveOptions): Promise<QueueMessage[]>;
  /** Deletes a received message; a stale receipt handle is ignored. */
  delete(receiptHandle: string): Promise<void>;
  /** Changes how long a received message stays hidden (0 makes it visible now). */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  /** Messages ready to receive and messages received but not yet deleted. */
  depth(): Promise<{ visible: number; inFlight: number }>;
  /** Deletes every message (tests only). */
  purge(): Promise<void>;
}

export interface QueueSettings {
  name: string;
  /** Default visibility timeout, seconds. */
  visibilityTimeoutSeconds: number;
  /** After this many receives a message goes to the dead-letter queue (when one is set). */
  maxReceives?: number;
  deadLetterQueueName?: string;
}

// ───────────────────────────── Blobs ─────────────────────────────

export interface BlobInfo {
  size: number;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface Blobs {
  /** Stores bytes under our key, atomically (a reader sees the old object or the new one, never half). */
  put(key: string, body: Buffer | Readable, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<void>;
  /** A stream of the object's bytes; throws NotFoundError when absent. */
  get(key: string): Promise<Readable>;
  /** The whole object in memory; throws NotFoundError when absent. */
  getBytes(key: string): Promise<Buffer>;
  /** Size, content type and metadata, or undefined when absent. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** Deletes the object; absent is fine. */
  delete(key: string): Promise<void>;
  /** The object's bytes and its version tag (S3: the ETag), or undefined when absent. */
  getVersioned(key: string): Promise<{ bytes: Buffer; version: string } | undefined>;
  /**
   * Stores `body` only if the object is still at version `expected` (undefined: only if absent):
   * S3 conditional writes (If-Match / If-None-Match), a lock file on the file system. Resolves true
   * when written, false when another writer changed it first (nothing written: read again, retry).
   */
  putIfVersion(key: string, body: Buffer, expected: string | undefined, options?: { contentType?: string }): Promise<boolean>;
}

// ───────────────────────────── Compute ─────────────────────────────

export interface LaunchRequest {
  /** Our instance ids (the `instance-<id>` streams), one per instance to launch. */
  instanceIds: string[];
  /** Tags for every instance (the instance id is added as tag `facefleet:instance`). */
  tags?: Record<string, string>;
  /** Environment / boot arguments handed to the worker. */
  bootEnv?: Record<string, string>;
}

export interface LaunchedInstance {
  instanceId: string;
  /** The process id or EC2 instance id. */
  providerId: string;
}

export interface DescribedInstance {
  instanceId: string;
  providerId: string;
  /** `pending` and `running` occupy capacity; `exited` means the process/instance is gone. */
  status: 'pending' | 'running' | 'stopping' | 'exited';
  exitCode?: number | null;
  launchedAt?: string;
}

export interface Compute {
  /** Which backend this is ("processes", "ec2"). */
  readonly backend: string;
  /**
   * Launches one instance per id. Resolves with those that launched; throws when none could
   * (the error says why: capacity, permissions…).
   */
  launch(request: LaunchRequest): Promise<LaunchedInstance[]>;
  /** Terminates an instance by provider id; terminating a gone instance is fine. */
  terminate(providerId: string): Promise<void>;
  /** Every instance this compute launched (and still knows about). */
  describe(): Promise<DescribedInstance[]>;
  /** The provider id of the instance this code runs on, or undefined outside a worker. */
  selfId(): Promise<string | undefined>;
}

// ───────────────────────────── Lease ─────────────────────────────

export interface LeaseState {
  /** Who holds it. */
  holder: string;
  /** When it lapses unless renewed (ms since the epoch, the holder's clock). */
  expiresAtMs: number;
}

/**
 * One named lease shared by every process of a deployment: the supervisor's, so exactly one
 * decides at a time. DynamoDB: a conditional put with an expiry; embedded: a row in a SQLite file of
 * the data dir, written in one `BEGIN IMMEDIATE` transaction.
 */
export interface Lease {
  /**
   * Takes the lease for `holder` until now + `ttlMs` when it is free, lapsed or already `holder`'s
   * (a renewal). Resolves true when `holder` holds it after the call, false when someone else does.
   */
  acquire(holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it (a standby takes over at once); otherwise nothing. */
  release(holder: string): Promise<void>;
  /** The current holder, or undefined when free or lapsed. */
  current(): Promise<LeaseState | undefined>;
  /** Releases connections (not the lease). */
  close(): Promise<void>;
}
