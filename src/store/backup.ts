// Online backup and restore of the database through SQLite's backup API (consistent while others write).
import { accessSync, constants, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { TerminalError, errorMessage } from '../domain/errors.js';
import { acquireDatabaseLock } from './database-lock.js';
import { openDatabase } from './database.js';

export interface BackupOptions {
  /** Replace an existing file at the target path. */
  force?: boolean;
}

export interface BackupResult {
  path: string;
  bytes: number;
}

/**
 * Copies the database at `databasePath` to `target` as one self-contained file (rollback-journal
 * mode, no `-wal` beside it). The copy is written next to the target and renamed into place, so a
 * failed backup never leaves a half-written file under the target's name.
 */
export async function backupDatabase(
  databasePath: string,
  target: string,
  options: BackupOptions = {},
): Promise<BackupResult> {
  const path = resolve(target);
  if (databasePath === ':memory:')
    throw new TerminalError('cannot back up an in-memory database (database.path is :memory:)');
  if (resolve(databasePath) === path) throw new TerminalError(`backup target ${path} is the database itself`);
  if (existsSync(path) && !options.force)
    throw new TerminalError(`backup target ${path} already exists; pass --force to replace it`, {
      location: path,
    });
  checkWritableDirectory(path);
  const source = openDatabase(databasePath, { readonly: true });
  const partial = `${path}.partial-${process.pid}`;
  try {
    await source.backup(partial);
    const copy = new BetterSqlite3(partial);
    try {
      copy.pragma('journal_mode = DELETE');
      checkIntegrity(copy, partial);
    } finally {
      copy.close();
    }
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    if (error instanceof TerminalError) throw error;
    throw new TerminalError(`cannot write backup ${path}: ${errorMessage(error)}`, {
      location: path,
      cause: error,
    });
  } finally {
    source.close();
  }
  return { path, bytes: statSync(path).size };
}

/**
 * Replaces the database's content with the backup's, page by page through the backup API (other
 * connections, such as a CLI command, see the old or the new database, never a mix). Refuses while a
 * daemon holds the database (stop it first) and refuses a backup that fails `PRAGMA integrity_check`
 * or is not a driftwarden database. The schema is migrated as usual when the daemon next opens it.
 */
export async function restoreDatabase(backupPath: string, databasePath: string): Promise<void> {
  if (databasePath === ':memory:')
    throw new TerminalError('cannot restore into an in-memory database (database.path is :memory:)');
  const path = resolve(backupPath);
  if (resolve(databasePath) === path) throw new TerminalError(`backup ${path} is the database itself`);
  if (!existsSync(path)) throw new TerminalError(`backup ${path} does not exist`, { location: path });
  const lock = acquireDatabaseLock(databasePath);
  try {
    const backup = openDatabase(path, { readonly: true });
    try {
      checkIntegrity(backup, path);
      const migrations = backup
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        .get();
      if (migrations === undefined)
        throw new TerminalError(`${path} is not a driftwarden database (no schema_migrations table)`, {
          location: path,
        });
      checkWritableDirectory(resolve(databasePath));
      await backup.backup(databasePath);
    } finally {
      backup.close();
    }
  } finally {
    lock.release();
  }
}

function checkIntegrity(db: BetterSqlite3.Database, path: string): void {
  let result: unknown;
  try {
    result = db.pragma('integrity_check', { simple: true });
  } catch (error) {
    // E.g. "file is not a database": say which file.
    throw new TerminalError(`${path} cannot be checked: ${errorMessage(error)}`, {
      location: path,
      cause: error,
    });
  }
  if (result !== 'ok')
    throw new TerminalError(`${path} fails PRAGMA integrity_check: ${String(result)}`, { location: path });
}

function checkWritableDirectory(file: string): void {
  const directory = dirname(file);
  try {
    if (!statSync(directory).isDirectory())
      throw new TerminalError(`cannot write ${file}: ${directory} is not a directory`);
    accessSync(directory, constants.W_OK);
  } catch (error) {
    if (error instanceof TerminalError) throw error;
    const code = error instanceof Error && 'code' in error ? error.code : null;
    const reason =
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not writable' : errorMessage(error);
    throw new TerminalError(`cannot write ${file}: directory ${directory} ${reason}`, {
      location: directory,
      cause: error,
    });
  }
}
