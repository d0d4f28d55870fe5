// Keyset paging: a page of rows in a list's order, and the sort key of its last row where the next page starts.

/** Rows a list endpoint or UI table shows when no `limit` is given. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest page any list serves: a bigger `limit` is refused, not cut. */
export const MAX_PAGE_SIZE = 1000;

/** Up to `limit` rows after `after` (the sort key of the previous page's last row; absent: from the start). */
export interface PageRequest<Key> {
  limit: number;
  after?: Key;
}

export interface Page<T, Key> {
  items: T[];
  /** Where the next page starts; null on the last page. */
  next: Key | null;
}

/**
 * Cuts `rows` (read with `limit + 1`, so one extra row says whether more follow) to a page. The
 * store reads limit + 1 rows of an index range, however deep the page is.
 */
export function toPage<T, Key>(rows: readonly T[], limit: number, keyOf: (row: T) => Key): Page<T, Key> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? keyOf(last) : null };
}
