// Opens the SQLite database with the pragmas every driftwarden connection relies on.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { TerminalError, errorMessage } from '../domain/errors.js';

export type Database = BetterSqlite3.Database;

export interface OpenDatabaseOptions {
  /** Open an existing file for reading only (e.g. an inspection command); never creates it. */
  readonly?: boolean;
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const readonly = options.readonly ?? false;
  let db: Database;
  try {
    if (!isInMemory(path) && !readonly) mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw new TerminalError(`cannot open database ${path}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    // The scheduler, API and CLI may hold connections at once: wait for locks instead of failing.
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    if (!readonly) {
      // WAL lets readers (API, metrics) run while a scan writes; NORMAL is durable enough under WAL
      // (a power loss can lose the last commits, never corrupt the file).
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
  } catch (error) {
    db.close();
    throw new TerminalError(`cannot configure database ${path}: ${errorMessage(error)}`, { cause: error });
  }
  return db;
}
