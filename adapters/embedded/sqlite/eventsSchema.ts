/**
 * The SQLite event store's schema and its SQL, one statement per operation (as emmett's SQLite store
 * keeps them). `events.position` is the global position (AUTOINCREMENT: never reused, so it only
 * grows); a read model row's `change` is the position of the last event of the write that stored it,
 * which makes the change feed monotonic without a counter row.
 */
import type Database from 'better-sqlite3';

export const createSchemaSql = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  stream   TEXT    NOT NULL,
  seq      INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  at       TEXT    NOT NULL,
  data     TEXT    NOT NULL,
  UNIQUE (stream, seq)
);
CREATE TABLE IF NOT EXISTS read_models (
  kind       TEXT    NOT NULL,
  id         TEXT    NOT NULL,
  stream     TEXT    NOT NULL,
  state      TEXT    NOT NULL,
  seq        INTEGER NOT NULL,
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  context    TEXT    NOT NULL,
  change     INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS read_models_by_state ON read_models (kind, state, created_at, id);
CREATE INDEX IF NOT EXISTS read_models_by_created ON read_models (kind, created_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS read_models_by_change ON read_models (change);
`;

/**
 * Rows per (kind, state), moved in the append's transaction whenever a read model row changes state:
 * counts() reads a handful of rows whatever the history. Created once and filled from the rows
 * already there (a file written before the table existed).
 */
export const createCountsSql = `
CREATE TABLE read_model_counts (kind TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, state)) WITHOUT ROWID;
INSERT INTO read_model_counts (kind, state, n) SELECT kind, state, count(*) FROM read_models GROUP BY kind, state;
`;

const hasCounts = `SELECT 1 AS yes FROM sqlite_master WHERE type = 'table' AND name = 'read_model_counts'`;

const readModelState = `SELECT state, seq FROM read_models WHERE kind = ? AND id = ?`;

const addToCount = `INSERT INTO read_model_counts (kind, state, n) VALUES (@kind, @state, @n)
  ON CONFLICT (kind, state) DO UPDATE SET n = n + @n`;

const lastSeq = `SELECT seq FROM events WHERE stream = ? ORDER BY seq DESC LIMIT 1`;

const insertEvent = `INSERT INTO events (stream, seq, type, at, data) VALUES (?, ?, ?, ?, ?)`;

// Moves a row forward only: a write carrying an older seq than the stored one changes nothing.
const upsertReadModel = `
INSERT INTO read_models (kind, id, stream, state, seq, created_at, updated_at, context, change)
VALUES (@kind, @id, @stream, @state, @seq, @createdAt, @updatedAt, @context, @change)
ON CONFLICT (kind, id) DO UPDATE SET
  stream = excluded.stream, state = excluded.state, seq = excluded.seq,
  created_at = excluded.created_at, updated_at = excluded.updated_at,
  context = excluded.context, change = excluded.change
WHERE excluded.seq > read_models.seq`;

const readStream = `SELECT stream, seq, type, at, data FROM events WHERE stream = ? AND seq >= ? ORDER BY seq`;

const rowColumns = `kind, id, stream, state, seq, created_at, updated_at, context, change`;

const getReadModel = `SELECT ${rowColumns} FROM read_models WHERE kind = ? AND id = ?`;

// Keyset paging, newest first: the cursor is the (created_at, id) of the last row of the previous page.
const pageAfter = `(@afterCreated IS NULL OR created_at < @afterCreated OR (created_at = @afterCreated AND id < @afterId))`;
const listAll = `SELECT ${rowColumns} FROM read_models WHERE kind = @kind AND ${pageAfter}
  ORDER BY created_at DESC, id DESC LIMIT @limit`;
const listOneState = `SELECT ${rowColumns} FROM read_models WHERE kind = @kind AND state = @state AND ${pageAfter}
  ORDER BY created_at DESC, id DESC LIMIT @limit`;
const listStates = `SELECT ${rowColumns} FROM read_models
  WHERE kind = @kind AND state IN (SELECT value FROM json_each(@states)) AND ${pageAfter}
  ORDER BY created_at DESC, id DESC LIMIT @limit`;

const counts = `SELECT state, n FROM read_model_counts WHERE kind = ? AND n > 0`;

// Only for a file opened read-only that predates the counters (the replay CLI on an old data dir).
const countsByScan = `SELECT state, count(*) AS n FROM read_models WHERE kind = ? GROUP BY state`;

const changesAfter = `SELECT ${rowColumns} FROM read_models WHERE change > ? ORDER BY change LIMIT ?`;

const lastChange = `SELECT coalesce(max(change), 0) AS change FROM read_models`;

/** Creates the counts table when missing, under the write lock (another process may be migrating too). */
export function migrateCounts(db: Database.Database): void {
  db.transaction(() => {
    if (!hasCountsTable(db)) db.exec(createCountsSql);
  }).immediate();
}

/** A read_models row as SQLite returns it. */
export interface ReadModelRecord {
  kind: string;
  id: string;
  stream: string;
  state: string;
  seq: number;
  created_at: string;
  updated_at: string;
  context: string;
  change: number;
}

/** A stored event as SQLite returns it. */
export interface EventRecord {
  stream: string;
  seq: number;
  type: string;
  at: string;
  data: string;
}

/** Whether the file has the counts table (a read-only open of an older file may not). */
export function hasCountsTable(db: Database.Database): boolean {
  return db.prepare(hasCounts).get() !== undefined;
}

/** Every statement the store runs, prepared once per connection; without `counters`, counts scan and nothing moves them. */
export function prepareStatements(db: Database.Database, counters = true) {
  return {
    readModelState: db.prepare<[string, string], { state: string; seq: number }>(readModelState),
    addToCount: counters ? db.prepare<[{ kind: string; state: string; n: number }]>(addToCount) : undefined,
    lastSeq: db.prepare<[string], { seq: number }>(lastSeq),
    insertEvent: db.prepare<[string, number, string, string, string]>(insertEvent),
    upsertReadModel: db.prepare(upsertReadModel),
    readStream: db.prepare<[string, number], EventRecord>(readStream),
    getReadModel: db.prepare<[string, string], ReadModelRecord>(getReadModel),
    listAll: db.prepare<[object], ReadModelRecord>(listAll),
    listOneState: db.prepare<[object], ReadModelRecord>(listOneState),
    listStates: db.prepare<[object], ReadModelRecord>(listStates),
    counts: db.prepare<[string], { state: string; n: number }>(counters ? counts : countsByScan),
    changesAfter: db.prepare<[number, number], ReadModelRecord>(changesAfter),
    lastChange: db.prepare<[], { change: number }>(lastChange),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
