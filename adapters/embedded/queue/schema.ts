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
    depth: db.prepare<[number, number, string], { visible: number | null; inFlight: number | null }>(
      `SELECT SUM(visible_at <= ?) AS visible, SUM(visible_at > ? AND receipt IS NOT NULL) AS inFlight
       FROM queue_messages WHERE queue = ?`,
    ),
    purge: db.prepare<[string]>('DELETE FROM queue_messages WHERE queue = ?'),
  };
}

export type Statements = ReturnType<typeof prepare>;
