// Prepares each distinct SQL text once, for queries whose WHERE clause depends on which filters are set.
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.js';

export type CachedStatement<Params extends object, Row> = BetterSqlite3.Statement<[Params], Row>;

/**
 * Building the WHERE clause from the filters that are set (instead of `@x IS NULL OR col = @x`)
 * lets SQLite use the indexes; the number of distinct shapes is small and bounded.
 */
export function createStatementCache(db: Database) {
  const cache = new Map<string, BetterSqlite3.Statement<[object], unknown>>();
  return function prepared<Params extends object, Row>(sql: string): CachedStatement<Params, Row> {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare<object, unknown>(sql);
      cache.set(sql, statement);
    }
    return statement as unknown as CachedStatement<Params, Row>;
  };
}
