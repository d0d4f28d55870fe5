import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { TerminalError } from '../../src/domain/errors.js';
import { useTempDir } from './fixtures.js';

describe('openDatabase', () => {
  const tmp = useTempDir();

  it('creates the parent directory and the file', () => {
    const db = openDatabase(tmp.dbPath());
    db.close();
    expect(existsSync(tmp.dbPath())).toBe(true);
  });

  it('turns on WAL, foreign keys, a busy timeout and synchronous NORMAL', () => {
    const db = openDatabase(tmp.dbPath());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it('opens an in-memory database', () => {
    const db = openDatabase(':memory:');
    try {
      expect(db.memory).toBe(true);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it('opens an existing file read-only and refuses writes', () => {
    openDatabase(tmp.dbPath()).exec('CREATE TABLE t (x INTEGER)').close();
    const db = openDatabase(tmp.dbPath(), { readonly: true });
    try {
      expect(db.readonly).toBe(true);
      expect(() => db.exec('INSERT INTO t VALUES (1)')).toThrow(/readonly/);
    } finally {
      db.close();
    }
  });

  it('refuses to open a missing file read-only, naming the path', () => {
    const missing = `${tmp.dir()}/missing.db`;
    expect(() => openDatabase(missing, { readonly: true })).toThrow(TerminalError);
    expect(() => openDatabase(missing, { readonly: true })).toThrow(missing);
  });
});
