// The query schema of paged instance findings (one section), which both the API and the UI page accept.
import { z } from 'zod';
import type { FindingKey } from '../app/ports.js';
import { FINDING_SECTIONS } from '../core/finding-cap.js';
import { CHANGES, type Change } from '../domain/types.js';
import { cursorParam, encodeCursor, limitParam } from './cursor.js';

const findingKey = z
  .tuple([z.string().min(1), z.enum(CHANGES as [Change, ...Change[]])])
  .transform(([path, change]): FindingKey => ({ path, change }));

/** The cursor of a section page: `[path, change]` of its last finding. */
export function encodeFindingCursor(key: FindingKey): string {
  return encodeCursor([key.path, key.change]);
}

export const sectionFindingsQuery = z.strictObject({
  section: z.enum(FINDING_SECTIONS),
  cursor: cursorParam(findingKey).optional(),
  limit: limitParam,
});
