/**
 * The SQLite tables of the embedded queue and the statements that touch them. Every queue lives in
 * one table, `queue_messages`, keyed by queue name; times are epoch milliseconds.
 *
 * A row is
 * - visible when `visible_at <= now`,
 * - in flight when it has been received (`receipt` set) and `visible_at > now`,
 * - delayed when it was sent with a delay and never received (`receipt` null, `visible_at > now`).
 */
import type Database from 'better-sqlite3';

const ddl = `
CREATE TABLE IF NOT EXISTS queue_messages (
  seq INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  receipt TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS queue_messages_ready ON queue_messages (queue, visible_at, seq);
`;

// Messages per queue, moved in the same transaction as every insert, delete and dead-lettering:
// depth() reads it instead of counting rows (the hidden ones it still counts are bounded by the
// messages in flight, i.e. by the fleet, through the (queue, visible_at) index).
const countsDdl = `
CREATE TABLE queue_counts (queue TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO queue_counts (queue, n) SELECT queue, count(*) FROM queue_messages GROUP BY queue;
`;

export interface MessageRow {
  seq: number;
  id: string;
  body: string;
  sent_at: string;
  receive_count: number;
}

/** Creates the tables when missing (idempotent, safe beside the event store's tables in one file). */
export function migrate(db: Database.Database): void {
  db.exec(ddl);
  // Created (and filled from the rows already there) once, under the write lock: another process may migrate too.
  db.transaction(() => {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_counts'").get()) db.exec(countsDdl);
  }).immediate();
}

/** The prepared statements, compiled once per connection. */
export function prepare(db: Database.Database) {
  return {
    insert: db.prepare<[string, string, string, string, number]>(
      'INSERT INTO queue_messages (queue, id, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)',
    ),
    ready: db.prepare<[string, number, number], MessageRow>(
      `SELECT seq, id, body, sent_at, receive_count FROM queue_messages
       WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?`,
    ),
    hide: db.prepare<[number, string, number]>(
      'UPDATE queue_messages SET visible_at = ?, receipt = ?, receive_count = receive_count + 1 WHERE seq = ?',
    ),
    moveToDeadLetter: db.prepare<[string, number, number]>(
      'UPDATE queue_messages SET queue = ?, visible_at = ?, receipt = NULL, receive_count = 0 WHERE seq = ?',
    ),
    deleteByReceipt: db.prepare<[string, string]>('DELETE FROM queue_messages WHERE queue = ? AND receipt = ?'),
    // Only a message still in flight under this receipt can change: a stale or expired receipt is ignored.
    changeVisibility: db.prepare<[number, string, string, number]>(
      'UPDATE queue_messages SET visible_at = ? WHERE queue = ? AND receipt = ? AND visible_at > ?',
    ),
    nextVisibleAt: db.prepare<[string, number], { at: number | null }>(
      'SELECT MIN(visible_at) AS at FROM queue_messages WHERE queue = ? AND visible_at > ?',
    ),
    count: db.prepare<[string], { n: number }>('SELECT n FROM queue_counts WHERE queue = ?'),
    addToCount: db.prepare<[{ queue: string; n: number }]>(
      'INSERT INTO queue_counts (queue, n) VALUES (@queue, @n) ON CONFLICT (queue) DO UPDATE SET n = n + @n',
    ),
    // Hidden = in flight or delayed: a range of the (queue, visible_at) index, as long as the fleet holds messages.
    hidden: db.prepare<[string, number], { hidden: number; inFlight: number | null }>(
      `SELECT count(*) AS hidden, SUM(receipt IS NOT NULL) AS inFlight
       FROM queue_messages WHERE queue = ? AND visible_at > ?`,
    ),
    purge: db.prepare<[string]>('DELETE FROM queue_messages WHERE queue = ?'),
    resetCount: db.prepare<[string]>('DELETE FROM queue_counts WHERE queue = ?'),
  };
}

export type Statements = ReturnType<typeof prepare>;
