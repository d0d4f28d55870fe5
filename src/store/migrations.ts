// Forward-only schema migrations: applies pending numbered SQL files in one transaction and records them.
import { TerminalError, errorMessage } from '../domain/errors.js';
import type { Database } from './database.js';
import { loadMigrationFiles, type MigrationFile } from './migration-files.js';

export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: string;
  checksum: string;
}

export interface MigrationStatus {
  /** Highest applied version, 0 for an empty database. */
  current: number;
  /** Newest version this build ships. */
  latest: number;
  applied: AppliedMigration[];
  /** Names of migrations not applied yet, in order. */
  pending: string[];
  /** Why this build must not use the database (newer schema, edited or missing migration), else null. */
  problem: string | null;
}

export interface MigrateOptions {
  now: () => Date;
  /** Defaults to the package's `migrations/` directory. */
  directory?: string;
}

export interface MigrateResult {
  /** Names of the migrations applied by this call, in order. */
  applied: string[];
  current: number;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  checksum TEXT NOT NULL
)`;

interface AppliedRow {
  version: number;
  name: string;
  applied_at: string;
  checksum: string;
}

function readApplied(db: Database): AppliedMigration[] {
  const exists = db
    .prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    )
    .get();
  if (!exists || exists.n === 0) return [];
  return db
    .prepare<[], AppliedRow>(
      'SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version',
    )
    .all()
    .map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at, checksum: r.checksum }));
}

/** Compares what the database has applied with what this build ships. */
function compare(applied: AppliedMigration[], files: MigrationFile[]): MigrationStatus {
  const latest = files.at(-1)?.version ?? 0;
  const current = applied.at(-1)?.version ?? 0;
  const appliedVersions = new Set(applied.map((m) => m.version));
  const pending = files.filter((f) => !appliedVersions.has(f.version)).map((f) => f.name);
  let problem: string | null = null;
  const latestName = files.at(-1)?.name ?? 'none';
  if (current > latest) {
    problem =
      `database schema version ${current} is newer than this build of driftwarden supports ` +
      `(newest known migration: ${latest}, ${latestName}); run a newer driftwarden or restore a matching backup`;
  } else {
    const byVersion = new Map(files.map((f) => [f.version, f]));
    for (const m of applied) {
      const file = byVersion.get(m.version);
      if (!file) {
        problem = `database has migration ${m.version} (${m.name}) applied, but this build has no such migration file`;
        break;
      }
      if (file.checksum !== m.checksum) {
        problem =
          `migration ${file.name} was edited after it was applied: checksum ${file.checksum} of the file ` +
          `differs from ${m.checksum} recorded in the database; migrations are forward-only — add a new one instead`;
        break;
      }
    }
  }
  return { current, latest, applied, pending, problem };
}

export function migrationStatus(db: Database, directory?: string): MigrationStatus {
  return compare(readApplied(db), loadMigrationFiles(directory));
}

/** Names of migrations not yet applied (what `/readyz` checks); empty when the schema is current. */
export function pendingMigrations(db: Database, directory?: string): string[] {
  return migrationStatus(db, directory).pending;
}

/**
 * Applies every pending migration in one IMMEDIATE transaction, so two processes starting together
 * cannot both apply them and a failure leaves the schema exactly as it was.
 */
export function migrate(db: Database, options: MigrateOptions): MigrateResult {
  const files = loadMigrationFiles(options.directory);
  const run = db.transaction((): MigrateResult => {
    db.exec(CREATE_TABLE);
    const status = compare(readApplied(db), files);
    if (status.problem !== null) throw new TerminalError(`refusing to open the database: ${status.problem}`);
    const record = db.prepare<[number, string, string, string]>(
      'INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)',
    );
    const appliedAt = options.now().toISOString();
    const applied: string[] = [];
    for (const file of files) {
      if (!status.pending.includes(file.name)) continue;
      try {
        db.exec(file.sql);
      } catch (error) {
        throw new TerminalError(`migration ${file.name} failed: ${errorMessage(error)}`, { cause: error });
      }
      record.run(file.version, file.name, appliedAt, file.checksum);
      applied.push(file.name);
    }
    // A table rebuild can silently orphan rows while foreign keys are deferred inside a migration.
    const violations = applied.length > 0 ? (db.pragma('foreign_key_check') as unknown[]) : [];
    if (violations.length > 0) {
      throw new TerminalError(
        `migrations left ${violations.length} foreign key violation(s); nothing was applied`,
      );
    }
    return { applied, current: Math.max(status.current, files.at(-1)?.version ?? 0) };
  });
  return run.immediate();
}
