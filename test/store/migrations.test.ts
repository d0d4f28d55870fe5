import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TerminalError } from '../../src/domain/errors.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { defaultMigrationsDir } from '../../src/store/migration-files.js';
import { migrate, migrationStatus, pendingMigrations } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/index.js';
import { useTempDir } from './fixtures.js';

const NOW = new Date('2026-11-20T10:00:00.000Z');
const now = (): Date => NOW;

function withDb<T>(path: string, fn: (db: Database) => T): T {
  const db = openDatabase(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function recorded(db: Database): { version: number; name: string; applied_at: string; checksum: string }[] {
  return db
    .prepare('SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version')
    .all() as {
    version: number;
    name: string;
    applied_at: string;
    checksum: string;
  }[];
}

describe('migrations', () => {
  const tmp = useTempDir();

  /** A private copy of the shipped migrations that a test may extend or edit. */
  function migrationsCopy(): string {
    const dir = join(tmp.dir(), 'migrations');
    mkdirSync(dir);
    copyFileSync(join(defaultMigrationsDir(), '0001_initial.sql'), join(dir, '0001_initial.sql'));
    return dir;
  }

  it('finds the shipped migrations from the package root', () => {
    expect(defaultMigrationsDir()).toBe(join(process.cwd(), 'migrations'));
  });

  it('applies the initial migration once and records version, name, time and checksum', () => {
    withDb(tmp.dbPath(), (db) => {
      expect(pendingMigrations(db)).toContain('0001_initial');
      const result = migrate(db, { now });
      expect(result.applied[0]).toBe('0001_initial');
      const file = readFileSync(join(defaultMigrationsDir(), '0001_initial.sql'), 'utf8');
      const rows = recorded(db);
      expect(rows[0]).toEqual({
        version: 1,
        name: '0001_initial',
        applied_at: NOW.toISOString(),
        checksum: createHash('sha256').update(file.replace(/\r\n/g, '\n')).digest('hex'),
      });
      expect(result.current).toBe(rows.at(-1)?.version);
      expect(pendingMigrations(db)).toEqual([]);
    });
  });

  it('creates the fleet tables', () => {
    withDb(tmp.dbPath(), (db) => {
      migrate(db, { now });
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'findings',
          'host_observations',
          'instances',
          'manifests',
          'scans',
          'schema_migrations',
        ]),
      );
    });
  });

  it('does nothing when the database is re-opened', () => {
    withDb(tmp.dbPath(), (db) => migrate(db, { now }));
    const later = (): Date => new Date('2027-01-01T00:00:00.000Z');
    withDb(tmp.dbPath(), (db) => {
      const before = recorded(db);
      const result = migrate(db, { now: later });
      expect(result.applied).toEqual([]);
      expect(recorded(db)).toEqual(before);
      expect(migrationStatus(db)).toMatchObject({ pending: [], problem: null, current: result.current });
    });
  });

  it('reports an empty database as version 0 with everything pending', () => {
    withDb(tmp.dbPath(), (db) => {
      const status = migrationStatus(db);
      expect(status.current).toBe(0);
      expect(status.latest).toBeGreaterThanOrEqual(1);
      expect(status.applied).toEqual([]);
      expect(status.pending[0]).toBe('0001_initial');
      expect(status.problem).toBeNull();
    });
  });

  it('refuses a database from a newer driftwarden, naming both versions', () => {
    withDb(tmp.dbPath(), (db) => {
      migrate(db, { now });
      db.prepare(
        "INSERT INTO schema_migrations VALUES (999, '0999_future', '2030-01-01T00:00:00.000Z', 'x')",
      ).run();
    });
    withDb(tmp.dbPath(), (db) => {
      const latest = migrationStatus(db).latest;
      expect(() => migrate(db, { now })).toThrow(TerminalError);
      expect(() => migrate(db, { now })).toThrow(
        new RegExp(`schema version 999 is newer than this build .*newest known migration: ${latest}\\b`),
      );
      expect(migrationStatus(db).problem).toMatch(/999/);
    });
    expect(() => openStore(tmp.dbPath(), { now })).toThrow(/newer than this build/);
  });

  it('refuses a migration that was edited after it was applied', () => {
    const dir = migrationsCopy();
    withDb(tmp.dbPath(), (db) => migrate(db, { now, directory: dir }));
    appendFileSync(join(dir, '0001_initial.sql'), '\nCREATE TABLE sneaky (x INTEGER);\n');
    withDb(tmp.dbPath(), (db) => {
      expect(() => migrate(db, { now, directory: dir })).toThrow(TerminalError);
      expect(() => migrate(db, { now, directory: dir })).toThrow(
        /migration 0001_initial was edited after it was applied/,
      );
      expect(migrationStatus(db, dir).problem).toMatch(/0001_initial was edited/);
    });
  });

  it('refuses a database whose applied migration this build does not ship', () => {
    const dir = migrationsCopy();
    writeFileSync(join(dir, '0002_second.sql'), 'CREATE TABLE second (x INTEGER);\n');
    writeFileSync(join(dir, '0003_third.sql'), 'CREATE TABLE third (x INTEGER);\n');
    withDb(tmp.dbPath(), (db) => migrate(db, { now, directory: dir }));
    rmSync(join(dir, '0002_second.sql'));
    withDb(tmp.dbPath(), (db) => {
      expect(() => migrate(db, { now, directory: dir })).toThrow(
        /migration 2 \(0002_second\) applied, but this build has no such/,
      );
    });
  });

  it('applies only the migrations added since the last run, in order', () => {
    const dir = migrationsCopy();
    withDb(tmp.dbPath(), (db) => migrate(db, { now, directory: dir }));
    writeFileSync(join(dir, '0003_third.sql'), 'ALTER TABLE extra ADD COLUMN y TEXT;\n');
    writeFileSync(join(dir, '0002_second.sql'), 'CREATE TABLE extra (x INTEGER);\n');
    withDb(tmp.dbPath(), (db) => {
      expect(pendingMigrations(db, dir)).toEqual(['0002_second', '0003_third']);
      expect(migrate(db, { now, directory: dir })).toEqual({
        applied: ['0002_second', '0003_third'],
        current: 3,
      });
      expect(recorded(db).map((r) => r.version)).toEqual([1, 2, 3]);
    });
  });

  it('applies pending migrations in one transaction: a failing one leaves nothing behind', () => {
    const dir = migrationsCopy();
    writeFileSync(join(dir, '0002_broken.sql'), 'CREATE TABLE ok (x INTEGER);\nTHIS IS NOT SQL;\n');
    withDb(tmp.dbPath(), (db) => {
      expect(() => migrate(db, { now, directory: dir })).toThrow(/migration 0002_broken failed/);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[];
      expect(tables.map((t) => t.name)).not.toContain('manifests');
      expect(tables.map((t) => t.name)).not.toContain('ok');
      expect(migrationStatus(db, dir).current).toBe(0);
    });
  });

  it('rejects a migration file that does not follow NNNN_name.sql', () => {
    const dir = migrationsCopy();
    writeFileSync(join(dir, 'second.sql'), 'SELECT 1;\n');
    withDb(tmp.dbPath(), (db) => {
      expect(() => migrate(db, { now, directory: dir })).toThrow(/second\.sql must be named NNNN_name\.sql/);
    });
  });

  it('allows at most one open finding per instance, path and change', () => {
    withDb(tmp.dbPath(), (db) => {
      migrate(db, { now });
      db.exec(
        `INSERT INTO instances (instance_id, account, region, image_id, grp, status, present, observation, first_seen,
                                last_seen, last_scan_id)
         VALUES ('i-1', NULL, 'us-east-1', 'ami-1', NULL, 'drifted', 1, '{}', 't', 't', 's')`,
      );
      const insert = db.prepare(
        `INSERT INTO findings (instance_id, image_id, path, change, rule, severity, action, expected, actual,
                               first_seen, last_seen, resolved_at)
         VALUES ('i-1', 'ami-1', 'launch.instanceType', 'changed', 'r', 'info', 'report', 'null', 'null', 't', 't', ?)`,
      );
      insert.run(null);
      expect(() => insert.run(null)).toThrow(/UNIQUE/);
      insert.run('2026-11-20T10:00:00.000Z');
      expect(() =>
        db.exec(`INSERT INTO findings (instance_id, image_id, path, change, rule, severity, action, expected, actual,
                 first_seen, last_seen) VALUES ('i-404', 'ami-1', 'p', 'added', 'r', 'info', 'report', 'null', 'null', 't', 't')`),
      ).toThrow(/FOREIGN KEY/);
    });
  });
  it('upgrades a database at version 4: open findings become unaccepted, acceptances can be stored', () => {
    const dir = join(tmp.dir(), 'migrations-v4');
    mkdirSync(dir);
    for (const name of ['0001_initial', '0002_replacements', '0003_config_cursor', '0004_host_digests'])
      copyFileSync(join(defaultMigrationsDir(), `${name}.sql`), join(dir, `${name}.sql`));
    withDb(tmp.dbPath(), (db) => {
      migrate(db, { now, directory: dir });
      db.exec(
        `INSERT INTO instances VALUES ('i-1', NULL, 'us-east-1', 'ami-1', NULL, 'drifted', 1, '{}', 't', 't', 's')`,
      );
      db.exec(`INSERT INTO findings (instance_id, image_id, path, change, rule, severity, action, expected, actual,
               first_seen, last_seen) VALUES ('i-1', 'ami-1', 'p', 'added', 'r', 'info', 'report', 'null', 'null', 't', 't')`);
    });

    const store = openStore(tmp.dbPath(), { now });
    try {
      expect(store.migrationsApplied).toEqual([
        '0005_acceptances',
        '0006_remediation_reasons',
        '0007_target_scans',
        '0008_remediation_input_indexes',
        '0009_page_indexes',
        '0010_retention',
        '0011_finding_scope',
        '0012_released',
        '0013_cause',
        '0014_launch_time',
        '0015_status_counts',
      ]);
      // Stored before peer consensus: unrated until the next scan rates it.
      expect(store.fleet.listFindings()).toMatchObject([
        { instanceId: 'i-1', accepted: false, acceptance: null, scope: 'unrated', onset: null },
      ]);
      const added = store.acceptances.add(
        { instanceId: 'i-1', rule: null, reason: 'r', until: '2026-12-01T00:00:00Z', createdBy: 'cli:me' },
        NOW.toISOString(),
      );
      expect(store.acceptances.active(NOW.toISOString())).toEqual([added]);
      // findings.acceptance_id only refers to acceptances that exist.
      expect(() => store.db.exec('UPDATE findings SET acceptance_id = 999')).toThrow(/FOREIGN KEY/);
    } finally {
      store.close();
    }
  });

  it('upgrades a database at version 5: jobs keep working, gain a note, and lose their wait reason when their state changes', () => {
    const dir = join(tmp.dir(), 'migrations-v5');
    mkdirSync(dir);
    for (const name of [
      '0001_initial',
      '0002_replacements',
      '0003_config_cursor',
      '0004_host_digests',
      '0005_acceptances',
    ])
      copyFileSync(join(defaultMigrationsDir(), `${name}.sql`), join(dir, `${name}.sql`));
    withDb(tmp.dbPath(), (db) => {
      migrate(db, { now, directory: dir });
      db.exec(`INSERT INTO replacement_jobs (job_id, instance_id, region, image_id, strategy, state, reason,
               created_at, updated_at) VALUES ('job-1', 'i-1', 'us-east-1', 'ami-1', 'asg', 'awaiting-approval', '[]', 't', 't')`);
    });

    const store = openStore(tmp.dbPath(), { now });
    try {
      expect(store.migrationsApplied).toEqual([
        '0006_remediation_reasons',
        '0007_target_scans',
        '0008_remediation_input_indexes',
        '0009_page_indexes',
        '0010_retention',
        '0011_finding_scope',
        '0012_released',
        '0013_cause',
        '0014_launch_time',
        '0015_status_counts',
      ]);
      expect(store.jobs.get('job-1')).toMatchObject({ state: 'awaiting-approval', note: null });
      const at = NOW.toISOString();
      store.reasons.setJobReasons(
        [{ id: 'job-1', instanceId: 'i-1', code: 'awaiting-approval', text: 'awaiting approval' }],
        at,
      );
      expect(store.reasons.countByCode()['awaiting-approval']).toBe(1);
      store.jobs.save('job-1', { state: 'queued', note: 'n' }, at);
      expect(store.jobs.get('job-1')?.note).toBe('n');
      expect(store.reasons.forInstance('i-1')).toEqual([]);
      expect(store.reasons.countByCode()['awaiting-approval']).toBe(0);
    } finally {
      store.close();
    }
  });
});
