/**
 * The Lease port on a SQLite file in the data dir: one row per lease name, read and written in one
 * `BEGIN IMMEDIATE` transaction, so two processes on this machine never both take it. Expiry uses
 * the wall clock (all holders share this machine's clock).
 */
import Database from 'better-sqlite3';
import type { Lease, LeaseState } from '../ports.ts';

export interface SqliteLeaseOptions {
  /** The database file (created with its table when absent). */
  file: string;
  /** The lease's name (default `supervisor`). */
  name?: string;
  /** Wall clock, ms (injected by tests). */
  now?: () => number;
}

interface LeaseRow {
  holder: string;
  expires_at: number;
}

export function openSqliteLease(options: SqliteLeaseOptions): Lease {
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  db.exec('CREATE TABLE IF NOT EXISTS lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)');
  const name = options.name ?? 'supervisor';
  const now = options.now ?? Date.now;
  const select = db.prepare<[string], LeaseRow>('SELECT holder, expires_at FROM lease WHERE name = ?');
  const upsert = db.prepare('INSERT INTO lease (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at');
  const remove = db.prepare('DELETE FROM lease WHERE name = ? AND holder = ?');
  let closed = false;
  const open = () => {
    if (closed) throw new Error('the lease store is closed');
  };

  const take = db.transaction((holder: string, ttlMs: number): boolean => {
    const at = now();
    const row = select.get(name);
    if (row && row.holder !== holder && row.expires_at > at) return false;
    upsert.run(name, holder, at + ttlMs);
    return true;
  });

  return {
    async acquire(holder, ttlMs) {
      open();
      return take.immediate(holder, Math.max(1, Math.round(ttlMs)));
    },
    async release(holder) {
      open();
      remove.run(name, holder);
    },
    async current(): Promise<LeaseState | undefined> {
      open();
      const row = select.get(name);
      return row && row.expires_at > now() ? { holder: row.holder, expiresAtMs: row.expires_at } : undefined;
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
