// The opaque `cursor` of paged instance findings, and the query schema both the API and the UI page accept.
import { z } from 'zod';
import { MAX_FINDINGS_PAGE } from '../app/instance-findings.js';
import type { FindingKey } from '../app/ports.js';
import { FINDING_SECTIONS } from '../core/finding-cap.js';
import { CHANGES, type Change } from '../domain/types.js';

const keySchema = z.tuple([z.string().min(1), z.enum(CHANGES as [Change, ...Change[]])]);

/** base64url of `[path, change]`: opaque to clients, so the paging key may change without breaking links. */
export function encodeFindingCursor(key: FindingKey): string {
  return Buffer.from(JSON.stringify([key.path, key.change])).toString('base64url');
}

function decodeFindingCursor(cursor: string): FindingKey | null {
  try {
    const parsed = keySchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { path: parsed.data[0], change: parsed.data[1] } : null;
  } catch {
    return null;
  }
}

export const sectionFindingsQuery = z.strictObject({
  section: z.enum(FINDING_SECTIONS),
  cursor: z
    .string()
    .transform((cursor, ctx) => {
      const key = decodeFindingCursor(cursor);
      if (key === null) ctx.addIssue({ code: 'custom', message: 'not a cursor this daemon handed out' });
      return key ?? z.NEVER;
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(MAX_FINDINGS_PAGE).default(100),
});
