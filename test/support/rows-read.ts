// Counts the rows every SQLite statement hands back to driftwarden, so a test can prove that a read
// costs what it shows (a page, an index lookup) and fails when it regresses to a full-table load.
import BetterSqlite3 from 'better-sqlite3';

export interface RowsRead {
  /** Rows returned by `get`/`all`/`iterate` since the last reset, all statements together. */
  rows: number;
  /** Statements executed (`get`/`all`/`iterate`/`run`) since the last reset. */
  statements: number;
  /** Rows per SQL text, largest first: what to print when an assertion fails. */
  bySql(): Array<{ sql: string; rows: number }>;
  /**
   * SQLite's plan (EXPLAIN QUERY PLAN, with the arguments it last ran with) of every statement run
   * since the last reset: what shows a sort of every match or a pass over a whole table, which the
   * rows handed back do not.
   */
  plans(): Array<{ sql: string; plan: string[] }>;
  reset(): void;
  /** Restores better-sqlite3's own `prepare`; statements prepared meanwhile keep counting. */
  restore(): void;
}

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/**
 * Wraps `Database.prototype.prepare` for every connection opened in this process (the store
 * prepares its statements when a repository is created, so install this before `openStore`).
 */
export function countRowsRead(): RowsRead {
  const proto = BetterSqlite3.prototype as unknown as { prepare: (sql: string) => Statement };
  const original = proto.prepare;
  const perSql = new Map<string, number>();
  const lastRun = new Map<string, { db: unknown; args: unknown[] }>();
  const counter: RowsRead = {
    rows: 0,
    statements: 0,
    bySql: () => [...perSql.entries()].map(([sql, rows]) => ({ sql, rows })).sort((a, b) => b.rows - a.rows),
    plans: () =>
      [...lastRun.entries()].map(([sql, { db, args }]) => ({
        sql,
        plan: (original.call(db, `EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map(
          (row) => row.detail,
        ),
      })),
    reset() {
      counter.rows = 0;
      counter.statements = 0;
      perSql.clear();
      lastRun.clear();
    },
    restore() {
      proto.prepare = original;
    },
  };
  const add = (sql: string, rows: number): void => {
    counter.statements += 1;
    counter.rows += rows;
    perSql.set(sql, (perSql.get(sql) ?? 0) + rows);
  };
  proto.prepare = function prepare(this: unknown, sql: string): Statement {
    const statement = original.call(this, sql);
    const db: unknown = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the connection EXPLAIN runs on
    const ran = (args: unknown[]): void => {
      if (statement.reader) lastRun.set(sql, { db, args });
    };
    const get = statement.get.bind(statement);
    const all = statement.all.bind(statement);
    const iterate = statement.iterate.bind(statement);
    const run = statement.run.bind(statement);
    // `pluck`/`raw`/`expand` return the statement itself, so the wrappers below stay in place.
    Object.assign(statement, {
      get: (...args: unknown[]) => {
        ran(args);
        const row = get(...args);
        add(sql, row === undefined ? 0 : 1);
        return row;
      },
      all: (...args: unknown[]) => {
        ran(args);
        const rows = all(...args);
        add(sql, rows.length);
        return rows;
      },
      iterate: function* (...args: unknown[]) {
        ran(args);
        let n = 0;
        try {
          for (const row of iterate(...args)) {
            n += 1;
            yield row;
          }
        } finally {
          add(sql, n);
        }
      },
      run: (...args: unknown[]) => {
        add(sql, 0);
        return run(...args);
      },
    });
    return statement;
  };
  return counter;
}
