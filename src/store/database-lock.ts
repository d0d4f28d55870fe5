// The one-daemon-per-database lock: a write transaction held open on a side file next to the database.
//
// Why this design: SQLite's own lock on the side file is a POSIX record lock, which the kernel drops
// when the process ends in any way (also `kill -9`), so a crashed daemon never leaves a stale lock
// behind, and no PID-liveness guess is needed. Locking the database itself would not do: `PRAGMA
// locking_mode = EXCLUSIVE` under WAL keeps every other connection out (also readers such as
// `report` or `accept --list`), and a held write transaction on it would block the daemon's own scan
// thread and every CLI write. The side file is in rollback-journal mode, where a held `BEGIN
// IMMEDIATE` (a RESERVED lock) still lets others read it: a refused start reads the holder's PID.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { TerminalError, errorMessage } from '../domain/errors.js';

export interface DatabaseLock {
  /** The side file that carries the lock (`<database>.lock`). */
  readonly path: string;
  /** Ends the held transaction and closes the side file; idempotent. */
  release(): void;
}

/** The lock file of a database path; `:memory:` databases are private to a process and have none. */
function lockPathFor(databasePath: string): string | null {
  return databasePath === ':memory:' || databasePath === '' ? null : `${databasePath}.lock`;
}

/**
 * Takes the database's daemon lock for this process, or throws a TerminalError naming the database
 * and the holder's PID when another process holds it. Never waits more than a moment.
 */
export function acquireDatabaseLock(databasePath: string, now: () => Date = () => new Date()): DatabaseLock {
  const path = lockPathFor(databasePath);
  if (path === null) return { path: '', release: () => undefined };
  const db = openLockFile(path);
  try {
    if (!tryBegin(db)) throw heldError(databasePath, readHolder(db));
    db.prepare(
      `INSERT INTO holder (id, pid, since) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, since = excluded.since`,
    ).run(process.pid, now().toISOString());
    // Committed so that a refused start can read it; then the lock is taken again and kept. A start
    // that slips in between wins, and this one is refused like any second daemon.
    db.exec('COMMIT');
    if (!tryBegin(db)) throw heldError(databasePath, readHolder(db));
  } catch (error) {
    db.close();
    if (error instanceof TerminalError) throw error;
    throw new TerminalError(`cannot lock database ${databasePath} (${path}): ${errorMessage(error)}`, {
      location: path,
      cause: error,
    });
  }
  return {
    path,
    release(): void {
      if (!db.open) return;
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

function openLockFile(path: string): BetterSqlite3.Database {
  let db: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path);
  } catch (error) {
    throw new TerminalError(`cannot open lock file ${path}: ${errorMessage(error)}`, {
      location: path,
      cause: error,
    });
  }
  // Short: a reader of the holder row may briefly block our commit, but a refusal must be quick.
  db.pragma('busy_timeout = 250');
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'holder'").get();
  if (exists === undefined) {
    try {
      db.exec(
        'CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, since TEXT NOT NULL)',
      );
    } catch (error) {
      // A first daemon creating the table at this very moment holds the lock; tryBegin will say so.
      if (!isBusy(error)) throw error;
    }
  }
  return db;
}

function tryBegin(db: BetterSqlite3.Database): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if (isBusy(error)) return false;
    throw error;
  }
}

function readHolder(db: BetterSqlite3.Database): number | null {
  try {
    const row: unknown = db.prepare('SELECT pid FROM holder WHERE id = 1').get();
    const pid = typeof row === 'object' && row !== null && 'pid' in row ? row.pid : null;
    // Our own PID would only be there after a start raced this one; it says nothing about the holder.
    return typeof pid === 'number' && pid !== process.pid ? pid : null;
  } catch {
    return null;
  }
}

function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED')
  );
}

function heldError(databasePath: string, pid: number | null): TerminalError {
  return new TerminalError(
    `database ${databasePath} is in use by another driftwarden serve${pid === null ? '' : ` (pid ${pid})`}; one daemon per database`,
    { location: databasePath },
  );
}
