/**
 * The Queue port on SQLite (better-sqlite3, WAL). Any number of queues share one table in one file
 * (possibly the event store's file); the worker processes open the same file, so every receive is
 * one `BEGIN IMMEDIATE` transaction: two processes never get the same message in one visibility
 * window. Long polls wake as soon as a message can be received (see queue/longPoll.ts).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Queue, QueueMessage, QueueSettings, ReceiveOptions } from '../ports.ts';
import { waitForChange } from './queue/longPoll.ts';
import type { WakeSources } from './queue/longPoll.ts';
import { migrate, prepare } from './queue/schema.ts';
import type { MessageRow, Statements } from './queue/schema.ts';

export interface SqliteQueuesOptions {
  /** The database file (created when missing); `:memory:` works within one connection. */
  file: string;
  /** How often a long poll looks for messages sent by other processes, ms (default 20: one cheap `PRAGMA data_version` read; it bounds the cross-process wake-up latency). */
  recheckMs?: number;
  /** How long to wait for another process's write lock, ms (default 5000). */
  busyTimeoutMs?: number;
  /** `full` (default): a sent message is on disk before `send` returns; `normal`: survives a process crash only. */
  durability?: 'full' | 'normal';
}

export interface SqliteQueues {
  /** A Queue over the shared connection; its messages persist in the file under `settings.name`. */
  queue(settings: QueueSettings): Queue;
  /** Ends every pending long poll (they resolve with []) and closes the connection. */
  close(): void;
}

/** The limits SQS enforces, kept here too so the embedded mode refuses what AWS would. */
const MAX_BODY_BYTES = 256 * 1024;
const MAX_BATCH = 10;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
const MAX_DELAY_SECONDS = 900;

function checkRange(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Like checkRange, for a wait that may be a fraction of a second. */
function checkSeconds(what: string, value: number, max: number): number {
  if (!Number.isFinite(value) || value < 0 || value > max) throw new RangeError(`${what} must be a number of seconds from 0 to ${max}, got ${value}`);
  return value;
}

function checkBody(body: string): string {
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) throw new RangeError(`a message body is at most ${MAX_BODY_BYTES} bytes`);
  return body;
}

/** Opens (and migrates) the queue tables in `file`. */
export function openSqliteQueues(options: SqliteQueuesOptions): SqliteQueues {
  if (options.file !== ':memory:' && options.file !== '') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  // FULL: a message acknowledged to a client (or a worker) outlives a power cut, like its job's event.
  db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  migrate(db);
  const statements = prepare(db);
  const notifier = new EventEmitter();
  notifier.setMaxListeners(0);
  const closing = new AbortController();
  /** Each queue's pending sends, written before the file closes. */
  const flushers = new Set<() => void>();

  const context: QueueContext = {
    db,
    statements,
    notifier,
    closing: closing.signal,
    recheckMs: options.recheckMs ?? 20,
    flushers,
  };

  return {
    queue: (settings) => createQueue(context, settings),
    close() {
      if (closing.signal.aborted) return;
      for (const flush of flushers) flush();
      closing.abort();
      db.close();
    },
  };
}

interface QueueContext {
  db: Database.Database;
  statements: Statements;
  notifier: EventEmitter;
  closing: AbortSignal;
  recheckMs: number;
  flushers: Set<() => void>;
}

function toMessage(row: MessageRow, receiptHandle: string): QueueMessage {
  return { id: row.id, receiptHandle, body: row.body, receiveCount: row.receive_count + 1, sentAt: row.sent_at };
}

function createQueue(context: QueueContext, settings: QueueSettings): Queue {
  const { db, statements: sql, notifier } = context;
  const name = settings.name;
  const defaultVisibility = checkRange('visibilityTimeoutSeconds', settings.visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS);
  const deadLetter =
    settings.deadLetterQueueName !== undefined && settings.maxReceives !== undefined
      ? { name: settings.deadLetterQueueName, maxReceives: checkRange('maxReceives', settings.maxReceives, 1, 1000) }
      : undefined;

  // Group commit for sends (as the event store's appends): the sends of one event-loop turn are one
  // transaction, so with synchronous=FULL a burst of submissions shares one fsync.
  const insertEach = db.transaction((items: Array<{ body: string; visibleAt: number }>): string[] => {
    const sentAt = new Date().toISOString();
    const ids = items.map(({ body, visibleAt }) => {
      const id = randomUUID();
      sql.insert.run(name, id, body, sentAt, visibleAt);
      return id;
    });
    sql.addToCount.run({ queue: name, n: items.length });
    return ids;
  });
  let pendingSends: Array<{ body: string; visibleAt: number; resolve(id: string): void; reject(error: unknown): void }> = [];
  const flushSends = (): void => {
    const group = pendingSends;
    pendingSends = [];
    if (group.length === 0) return;
    if (isClosed()) {
      for (const p of group) p.reject(new Error(`queue ${name} is closed`));
      return;
    }
    let ids: string[];
    try {
      ids = insertEach.immediate(group);
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => p.resolve(ids[i] as string));
    if (group.some((p) => p.visibleAt <= Date.now())) notifier.emit(name);
  };
  context.flushers.add(flushSends);

  /** One attempt: takes up to `max` visible messages, moving those past maxReceives to the DLQ. */
  const take = db.transaction((max: number, visibilitySeconds: number): { messages: QueueMessage[]; deadLettered: number } => {
    const now = Date.now();
    const hiddenUntil = now + visibilitySeconds * 1000;
    const messages: QueueMessage[] = [];
    let deadLettered = 0;
    // Rows taken or moved leave the candidate set, so asking again continues where we were.
    for (;;) {
      const rows = sql.ready.all(name, now, max - messages.length);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (deadLetter && row.receive_count + 1 > deadLetter.maxReceives) {
          sql.moveToDeadLetter.run(deadLetter.name, now, row.seq);
          sql.addToCount.run({ queue: name, n: -1 });
          sql.addToCount.run({ queue: deadLetter.name, n: 1 });
          deadLettered += 1;
          continue;
        }
        const receipt = `${row.id}.${randomUUID()}`;
        sql.hide.run(hiddenUntil, receipt, row.seq);
        messages.push(toMessage(row, receipt));
      }
      if (messages.length >= max) break;
    }
    return { messages, deadLettered };
  });

  const remove = db.transaction((receiptHandle: string): void => {
    if (sql.deleteByReceipt.run(name, receiptHandle).changes > 0) sql.addToCount.run({ queue: name, n: -1 });
  });

  const purge = db.transaction((): void => {
    sql.purge.run(name);
    sql.resetCount.run(name);
  });

  const sources: WakeSources = {
    notifier,
    dataVersion: () => db.pragma('data_version', { simple: true }) as number,
    nextVisibleAt: () => sql.nextVisibleAt.get(name, Date.now())?.at ?? undefined,
    recheckMs: context.recheckMs,
  };

  const attempt = (max: number, visibilitySeconds: number): QueueMessage[] => {
    const { messages, deadLettered } = take.immediate(max, visibilitySeconds);
    if (deadLettered > 0 && deadLetter) notifier.emit(deadLetter.name);
    return messages;
  };

  const depthTx = db.transaction((now: number): { visible: number; inFlight: number } => {
    const total = sql.count.get(name)?.n ?? 0;
    const hidden = sql.hidden.get(name, now);
    return { visible: Math.max(0, total - (hidden?.hidden ?? 0)), inFlight: hidden?.inFlight ?? 0 };
  });

  const isClosed = (): boolean => context.closing.aborted;

  return {
    name,

    async send(body, options) {
      checkBody(body);
      const delay = checkRange('delaySeconds', options?.delaySeconds ?? 0, 0, MAX_DELAY_SECONDS);
      return new Promise<string>((resolve, reject) => {
        if (pendingSends.length === 0) setImmediate(flushSends);
        pendingSends.push({ body, visibleAt: Date.now() + delay * 1000, resolve, reject });
      });
    },

    async receive(options: ReceiveOptions = {}) {
      const max = checkRange('maxMessages', options.maxMessages ?? 1, 1, MAX_BATCH);
      const wait = checkSeconds('waitSeconds', options.waitSeconds ?? 0, MAX_WAIT_SECONDS);
      const visibility = checkRange('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds ?? defaultVisibility, 0, MAX_VISIBILITY_SECONDS);
      const deadline = Date.now() + wait * 1000;
      for (;;) {
        if (isClosed() || options.signal?.aborted) return [];
        // Read before the attempt: a commit by someone else in between changes it and wakes us.
        const sinceVersion = sources.dataVersion();
        const messages = attempt(max, visibility);
        if (messages.length > 0 || Date.now() >= deadline) return messages;
        await waitForChange(sources, { queue: name, sinceVersion, deadline, signals: [options.signal, context.closing] });
      }
    },

    async delete(receiptHandle) {
      if (isClosed()) throw new Error(`queue ${name} is closed`);
      remove.immediate(receiptHandle);
    },

    async changeVisibility(receiptHandle, seconds) {
      checkRange('visibility timeout', seconds, 0, MAX_VISIBILITY_SECONDS);
      const now = Date.now();
      const changed = sql.changeVisibility.run(now + seconds * 1000, name, receiptHandle, now).changes;
      if (changed > 0 && seconds === 0) notifier.emit(name);
    },

    async depth() {
      // One read transaction: the count and the hidden rows agree with each other.
      return depthTx(Date.now());
    },

    async purge() {
      purge.immediate();
    },
  };
}
