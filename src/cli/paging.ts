// The page a CLI list command's `--limit`/`--cursor` ask for, and what it prints when more follow.
import { z } from 'zod';
import type { Page, PageRequest } from '../app/paging.js';
import { cursorParam, encodeCursor, limitParam } from '../http/cursor.js';
import { validateInput } from '../http/validate-input.js';

import type { PageOptions } from './page-options.js';

/** The page the options ask for; a bad limit or cursor is a usage error naming the option. */
export function pageRequest<K>(options: PageOptions, key: z.ZodType<K>): PageRequest<K> {
  const parsed = validateInput(
    z.strictObject({ limit: limitParam, cursor: cursorParam(key).optional() }),
    { limit: options.limit, ...(options.cursor === undefined ? {} : { cursor: options.cursor }) },
    'options',
  );
  return { limit: parsed.limit, ...(parsed.cursor === undefined ? {} : { after: parsed.cursor }) };
}

/** The cursor of the next page, for `--json` output; null on the last page. */
export function nextCursor<T, K>(page: Page<T, K>): string | null {
  return page.next === null ? null : encodeCursor(page.next);
}

/** "showing 100 of 2,345; next page: --cursor …" when more follow; nothing on the last page. */
export function moreNote<T, K>(page: Page<T, K>, total: number): string {
  const next = nextCursor(page);
  if (next === null) return '';
  return `showing ${page.items.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}; next page: --cursor ${next} (--limit up to 1000)\n`;
}
