// Cursor paging at the HTTP boundary: the opaque `cursor` codec, the `limit`/`cursor` query parameters, the page answer.
import type { Request } from 'express';
import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../app/paging.js';
import {
  DRIFTED_SORT_KEYS,
  type DriftedKey,
  type FindingListKey,
  type HistoryKey,
  type InstanceKey,
  type ManifestKey,
  type MismatchKey,
  type ScanKey,
} from '../app/ports.js';
import type { JobKey } from '../app/remediation/ports.js';
import type { ReasonKey } from '../app/remediation/reason-port.js';
import { CHANGES, type Change } from '../domain/types.js';

/** Each list's cursor decodes to its sort key (see the ports); the filters travel in the query, not the cursor. */
export const CURSOR_KEYS = {
  instance: z.tuple([z.string()]) satisfies z.ZodType<InstanceKey>,
  finding: z.tuple([
    z.string(),
    z.string(),
    z.enum(CHANGES as [Change, ...Change[]]),
    z.number().int(),
  ]) satisfies z.ZodType<FindingListKey>,
  history: z.tuple([z.string(), z.number().int()]) satisfies z.ZodType<HistoryKey>,
  scan: z.tuple([z.string(), z.string(), z.string()]) satisfies z.ZodType<ScanKey>,
  manifest: z.tuple([z.string(), z.string()]) satisfies z.ZodType<ManifestKey>,
  mismatch: z.tuple([z.string(), z.string(), z.string()]) satisfies z.ZodType<MismatchKey>,
  job: z.tuple([z.string(), z.string()]) satisfies z.ZodType<JobKey>,
  reason: z.tuple([z.string(), z.string()]) satisfies z.ZodType<ReasonKey>,
  drifted: z.tuple([
    z.enum(DRIFTED_SORT_KEYS),
    z.union([z.string(), z.number()]),
    z.string(),
    z.string(),
  ]) satisfies z.ZodType<DriftedKey>,
  /** Audit entries and acceptances page by their numeric id. */
  id: z.number().int().min(0),
};

/** base64url of the JSON sort key of a page's last row: opaque to clients, so the key may change without breaking links. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor<K>(cursor: string, key: z.ZodType<K>): { key: K } | null {
  try {
    const parsed = key.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { key: parsed.data } : null;
  } catch {
    return null;
  }
}

/** A `cursor` query parameter whose decoded key must fit `key`; anything else is a 400 naming `cursor`. */
export function cursorParam<K>(key: z.ZodType<K>) {
  return z.string().transform((cursor, ctx): K => {
    const decoded = decodeCursor(cursor, key);
    if (decoded === null) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor this daemon handed out' });
      return z.NEVER;
    }
    return decoded.key;
  });
}

/** `limit`: 1 to the largest page; above it is a 400, not a silently shorter page. */
export const limitParam = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE);

/** The query parameters of a paged list whose rows sort by `key`. */
export function pageParams<K>(key: z.ZodType<K>) {
  return {
    limit: limitParam,
    cursor: cursorParam(key).optional(),
    // Offset paging skipped or repeated rows when the table changed between pages, and cost O(offset).
    offset: z.never({ error: 'offset is no longer supported; use cursor' }).optional(),
  };
}

/** The link to the page after this one: the same path and filters, with the next cursor. */
export function nextPageHref(req: Request, cursor: string, param = 'cursor'): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(req.query)) {
    if (name !== param && typeof value === 'string') query.set(name, value);
  }
  query.set(param, cursor);
  return `${req.baseUrl}${req.path}?${query.toString()}`;
}

export interface PageAnswer<T> {
  items: T[];
  limit: number;
  next: string | null;
  nextHref: string | null;
  total?: number;
}

/** `{items, limit, next, nextHref}` (and `total` where the count is cheap) for a page of `req`'s list. */
export function pageAnswer<T, K>(
  req: Request,
  page: Page<T, K>,
  limit: number,
  total?: number,
): PageAnswer<T> {
  const next = page.next === null ? null : encodeCursor(page.next);
  return {
    items: page.items,
    limit,
    next,
    nextHref: next === null ? null : nextPageHref(req, next),
    ...(total === undefined ? {} : { total }),
  };
}
