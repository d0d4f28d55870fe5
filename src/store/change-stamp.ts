// Tells whether anything in the database changed since last asked, for caching aggregates between scans.
import type { Database } from './database.js';

/**
 * A stamp that changes whenever any connection commits a change: `PRAGMA data_version` moves on
 * commits by other connections (the scan thread), `total_changes()` on this connection's own
 * writes. Both are a read of connection state, not of any table.
 */
export function createChangeStamp(db: Database): () => string {
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const ownChanges = db.prepare<[], number>('SELECT total_changes()').pluck();
  return () => `${dataVersion.get()}/${ownChanges.get()}`;
}

/** `compute`'s last answer, recomputed only when the database changed since it was computed. */
export function cachedUntilChange<T>(stamp: () => string, compute: () => T): () => T {
  let cached: { stamp: string; value: T } | null = null;
  return () => {
    const now = stamp();
    if (cached === null || cached.stamp !== now) cached = { stamp: now, value: compute() };
    return cached.value;
  };
}

/** `compute`'s answers per query (keyed by its JSON), all dropped when the database changes; at most `max` kept. */
export function cachedPerQueryUntilChange<Q, T>(
  stamp: () => string,
  max: number,
  compute: (query: Q) => T,
): (query: Q) => T {
  let cachedAt = '';
  const answers = new Map<string, T>();
  return (query) => {
    const now = stamp();
    if (now !== cachedAt) {
      answers.clear();
      cachedAt = now;
    }
    const key = JSON.stringify(query);
    const hit = answers.get(key);
    if (hit !== undefined) return hit;
    const value = compute(query);
    if (answers.size >= max) answers.delete(answers.keys().next().value as string);
    answers.set(key, value);
    return value;
  };
}
