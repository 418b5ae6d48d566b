/**
 * The embedded EventStore: one SQLite file (better-sqlite3, WAL) shared by the web process, the
 * supervisor and the worker processes. An append is ONE `BEGIN IMMEDIATE` transaction that checks
 * the stream's last seq, inserts the events and moves the stream's read model row forward, so the
 * version check and the read models can never disagree. `busy_timeout` makes a writer wait for
 * another process's transaction instead of failing.
 *
 * Group commit: with synchronous=FULL every commit waits for an fsync, so appends that arrive in
 * the same turn of the event loop (a burst of uploads, many waiters' workers) are written in one
 * transaction — each inside its own savepoint, so one append's version conflict refuses only that
 * one — and every caller's promise settles after the one fsync that made its append durable.
 */
import Database from 'better-sqlite3';
import type { AppendResult, ChangeFeedPage, EventStore, Page, ReadModelQuery } from '../ports.ts';
import {
  parseStream,
  ValidationError,
  VersionConflictError,
  type NewEvent,
  type ReadModelRow,
  type StoredEvent,
  type StreamKind,
} from '../../machines/index.ts';
import { createSchemaSql, hasCountsTable, migrateCounts, prepareStatements, type ReadModelRecord, type Statements } from './sqlite/eventsSchema.ts';

export interface SqliteEventStoreOptions {
  /** The database file (created with its tables when absent, unless `readonly`). */
  file: string;
  /** Open an existing file for reading only (the replay CLI): nothing is created or migrated. */
  readonly?: boolean;
  /** How long a write waits for another process's transaction, ms (default 10 000). */
  busyTimeoutMs?: number;
  /**
   * `full` (default): a commit is on disk before `append` returns, so an acknowledged job survives a
   * power cut; `normal`: WAL's default, a commit survives a process crash but an OS crash may lose
   * the last ones (faster; for benchmarks and throwaway stores).
   */
  durability?: 'full' | 'normal';
  /** Appends of one event-loop turn share a transaction and its fsync (default true). */
  groupCommit?: boolean;
}

/** An append waiting for the next group commit. */
interface PendingAppend {
  args: [stream: string, expectedSeq: number, events: NewEvent[], view?: ReadModelRow];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

const streamPattern = /^(job|instance)-[A-Za-z0-9._:-]{1,200}$/;
const kinds: ReadonlySet<string> = new Set<StreamKind>(['job', 'instance']);
const defaultListLimit = 50;
const maxListLimit = 500;
const defaultChangesLimit = 100;
const maxChangesLimit = 1000;

function checkStream(stream: string): void {
  if (typeof stream !== 'string' || !streamPattern.test(stream)) {
    throw new ValidationError(`"${String(stream)}" is not a stream name (job-<id> or instance-<id>, id of letters, digits and ._:-)`);
  }
}

function checkKind(kind: string): void {
  if (!kinds.has(kind)) throw new ValidationError(`"${kind}" is not a stream kind (job or instance)`);
}

function checkLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError(`limit must be a positive integer, got ${String(limit)}`);
  return Math.min(limit, max);
}

function checkEvents(events: NewEvent[]): void {
  if (!Array.isArray(events) || events.length === 0) throw new ValidationError('append needs at least one event');
  for (const [i, event] of events.entries()) {
    if (typeof event?.type !== 'string' || event.type.length === 0) throw new ValidationError(`event ${i + 1} has no type`);
    if (typeof event.at !== 'string' || Number.isNaN(Date.parse(event.at))) {
      throw new ValidationError(`event ${i + 1} (${event.type}) has no ISO time "at"`);
    }
  }
}

function checkView(stream: string, view: ReadModelRow): void {
  const parsed = parseStream(stream);
  if (view.stream !== stream || view.kind !== parsed?.kind || view.id !== parsed.id) {
    throw new ValidationError(`the read model row of ${view.stream} cannot be stored with an append to ${stream}`);
  }
  if (!Number.isInteger(view.seq) || view.seq < 1) throw new ValidationError(`read model seq must be a positive integer, got ${view.seq}`);
}

function encodeCursor(parts: unknown): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodePageCursor(cursor: string): [string, string] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(parts) && parts.length === 2 && typeof parts[0] === 'string' && typeof parts[1] === 'string') {
      return [parts[0], parts[1]];
    }
  } catch {
    // fall through to the one error below
  }
  throw new ValidationError('the page cursor is not one this store issued');
}

function decodeChangeCursor(cursor: string): number {
  const match = /^c(\d+)$/.exec(cursor);
  if (!match) throw new ValidationError('the change cursor is not one this store issued');
  return Number(match[1]);
}

function toRow(record: ReadModelRecord): ReadModelRow {
  return {
    kind: record.kind as StreamKind,
    id: record.id,
    stream: record.stream,
    state: record.state,
    seq: record.seq,
    createdAt: record.created_at,
    updatedAt: record.updated_at,
    context: JSON.parse(record.context) as Record<string, unknown>,
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Opens (and creates when needed) the SQLite event store in `file`. */
export function openSqliteEventStore(options: SqliteEventStoreOptions): EventStore {
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  const db = new Database(options.file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
    timeout: busyTimeoutMs,
  });
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // WAL + FULL: the WAL is fsynced at every commit, so what a 202 acknowledged outlives a power cut.
    db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.exec(createSchemaSql);
    migrateCounts(db);
  }
  const sql: Statements = prepareStatements(db, hasCountsTable(db));
  let closed = false;

  const appendTx = db.transaction((stream: string, expectedSeq: number, events: NewEvent[], view?: ReadModelRow): AppendResult => {
    const last = sql.lastSeq.get(stream)?.seq ?? 0;
    if (last !== expectedSeq) throw new VersionConflictError(stream, expectedSeq, last);
    const stored: StoredEvent[] = [];
    let position = 0;
    let seq = expectedSeq;
    for (const event of events) {
      seq += 1;
      const data = JSON.stringify(event.data) ?? 'null';
      position = Number(sql.insertEvent.run(stream, seq, event.type, event.at, data).lastInsertRowid);
      stored.push({ stream, seq, type: event.type, at: event.at, data: JSON.parse(data) as unknown });
    }
    if (view) {
      const before = sql.readModelState.get(view.kind, view.id);
      const moved = sql.upsertReadModel.run({
        kind: view.kind,
        id: view.id,
        stream,
        state: view.state,
        seq: view.seq,
        createdAt: view.createdAt,
        updatedAt: view.updatedAt,
        context: JSON.stringify(view.context),
        change: position,
      }).changes > 0;
      // The counts follow the row in this transaction: counts() never scans.
      if (moved && before?.state !== view.state) {
        if (before) sql.addToCount?.run({ kind: view.kind, state: before.state, n: -1 });
        sql.addToCount?.run({ kind: view.kind, state: view.state, n: 1 });
      }
    }
    return { seq, events: stored };
  });

  /** A failed append's error as callers see it (conflicts and validation as they are). */
  const appendError = (stream: string, expectedSeq: number, error: unknown): unknown => {
    if (error instanceof VersionConflictError || error instanceof ValidationError) return error;
    // BEGIN IMMEDIATE makes this unreachable between our own writers; kept for any other writer.
    if (isUniqueViolation(error)) return new VersionConflictError(stream, expectedSeq);
    return new Error(`appending to ${stream} failed: ${(error as Error).message}`, { cause: error });
  };

  // One transaction for a group; appendTx nested in it runs in a savepoint (better-sqlite3), so a
  // refused append is rolled back alone and the others commit.
  const groupTx = db.transaction((group: PendingAppend[]) =>
    group.map((pending): { ok: AppendResult } | { error: unknown } => {
      try {
        return { ok: appendTx(...pending.args) };
      } catch (error) {
        return { error };
      }
    }),
  );
  let pending: PendingAppend[] = [];
  const flush = (): void => {
    if (pending.length === 0 || closed) return;
    const group = pending;
    pending = [];
    let outcomes: Array<{ ok: AppendResult } | { error: unknown }>;
    try {
      outcomes = groupTx.immediate(group);
    } catch (error) {
      // The commit itself failed (disk full, I/O): nothing of the group was written.
      for (const p of group) p.reject(appendError(p.args[0], p.args[1], error));
      return;
    }
    group.forEach((p, i) => {
      const outcome = outcomes[i] as { ok: AppendResult } | { error: unknown };
      if ('ok' in outcome) p.resolve(outcome.ok);
      else p.reject(appendError(p.args[0], p.args[1], outcome.error));
    });
  };

  function open(): void {
    if (closed) throw new Error('the event store is closed');
  }

  return {
    async append(stream, expectedSeq, events, view) {
      open();
      checkStream(stream);
      if (!Number.isInteger(expectedSeq) || expectedSeq < 0) {
        throw new ValidationError(`expectedSeq must be an integer ≥ 0, got ${String(expectedSeq)}`);
      }
      checkEvents(events);
      if (view) checkView(stream, view);
      if (options.groupCommit === false) {
        try {
          return appendTx.immediate(stream, expectedSeq, events, view);
        } catch (error) {
          throw appendError(stream, expectedSeq, error);
        }
      }
      return new Promise<AppendResult>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ args: [stream, expectedSeq, events, view], resolve, reject });
      });
    },

    async read(stream, fromSeq = 1) {
      open();
      checkStream(stream);
      if (!Number.isInteger(fromSeq) || fromSeq < 1) throw new ValidationError(`fromSeq must be an integer ≥ 1, got ${String(fromSeq)}`);
      return sql.readStream.all(stream, fromSeq).map((r) => ({ stream: r.stream, seq: r.seq, type: r.type, at: r.at, data: JSON.parse(r.data) as unknown }));
    },

    async get(kind, id) {
      open();
      checkKind(kind);
      const record = sql.getReadModel.get(kind, id);
      return record ? toRow(record) : undefined;
    },

    async list(query: ReadModelQuery): Promise<Page<ReadModelRow>> {
      open();
      checkKind(query.kind);
      const limit = checkLimit(query.limit, defaultListLimit, maxListLimit);
      const [afterCreated, afterId] = query.cursor === undefined ? [null, null] : decodePageCursor(query.cursor);
      const params = { kind: query.kind, afterCreated, afterId, limit: limit + 1 };
      const states = query.state === undefined ? undefined : Array.isArray(query.state) ? query.state : [query.state];
      const records =
        states === undefined
          ? sql.listAll.all(params)
          : states.length === 1
            ? sql.listOneState.all({ ...params, state: states[0] })
            : sql.listStates.all({ ...params, states: JSON.stringify(states) });
      const items = records.slice(0, limit).map(toRow);
      const last = items.at(-1);
      return records.length > limit && last ? { items, next: encodeCursor([last.createdAt, last.id]) } : { items };
    },

    async counts(kind, states) {
      open();
      checkKind(kind);
      const result: Record<string, number> = {};
      for (const { state, n } of sql.counts.all(kind)) if (!states || states.includes(state)) result[state] = n;
      return result;
    },

    async changes(cursor, limit): Promise<ChangeFeedPage> {
      open();
      const max = checkLimit(limit, defaultChangesLimit, maxChangesLimit);
      if (cursor === undefined) return { rows: [], cursor: `c${sql.lastChange.get()?.change ?? 0}` };
      const after = decodeChangeCursor(cursor);
      const records = sql.changesAfter.all(after, max);
      const last = records.at(-1);
      return { rows: records.map(toRow), cursor: last ? `c${last.change}` : cursor };
    },

    async close() {
      if (closed) return;
      // Appends already accepted are written before the file closes.
      if (pending.length > 0) flush();
      closed = true;
      db.close();
    },
  };
}
