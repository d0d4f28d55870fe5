// Schema of one rules file (docs/design.md §4): strict, so a typo such as `serverity` is an error naming the key.
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { compilePathGlob } from '../core/path-glob.js';
import { CHANGES, SEVERITIES, type Change, type Severity } from '../domain/types.js';
import { errorMessage } from '../domain/errors.js';

export const RULE_ID = /^[a-z0-9][a-z0-9-]*$/;

/** Strict object whose unknown-key message lists the keys that are allowed there. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const valid = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `valid keys: ${valid}` : undefined),
  });
}

/** Lets a single value stand for a one-element list (`path: launch.tags.*`). */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : [value]),
    z.array(item).min(1),
  );
}

const pathGlob = z.string().superRefine((pattern, ctx) => {
  try {
    compilePathGlob(pattern);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid path glob ${JSON.stringify(pattern)}: ${errorMessage(error)}`,
    });
  }
});

const change = z.enum(CHANGES as [Change, ...Change[]]);

const match = strict({
  path: oneOrMany(pathGlob).optional(),
  change: oneOrMany(change).optional(),
});

// YAML reads an unquoted 012345678901 as a number and drops the leading zero, so account ids must be quoted.
const accountId = z.string({
  error: 'expected a quoted string (unquoted account ids are read as numbers by YAML)',
});

const where = strict({
  tags: z.record(z.string(), z.string()).optional(),
  account: oneOrMany(accountId).optional(),
  region: oneOrMany(z.string()).optional(),
  group: oneOrMany(z.string()).optional(),
  channel: oneOrMany(z.string()).optional(),
});

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(text)} (expected e.g. 30s, 5m, 1h30m)`,
    });
    return z.NEVER;
  }
  return ms;
});

export const ruleSchema = strict({
  id: z.string().regex(RULE_ID, `must match ${RULE_ID.source} (lower-case letters, digits, "-")`),
  description: z.string().optional(),
  match,
  where: where.optional(),
  severity: z.enum(SEVERITIES as [Severity, ...Severity[]]),
  action: z.enum(['report', 'replace']),
  for: duration.optional(),
  /** `required`: a replacement waits for a human to approve it (API/CLI) before it starts. */
  approval: z.enum(['required', 'none']).optional(),
});

export const ignoreSchema = strict({
  path: oneOrMany(pathGlob).optional(),
  change: oneOrMany(change).optional(),
  where: where.optional(),
}).refine((entry) => entry.path !== undefined || entry.change !== undefined, {
  message: 'an ignore entry needs at least one of path or change (otherwise it would ignore everything)',
});

export const rulesFileSchema = z.preprocess(
  // An empty file (or one with only comments) is an empty rule list, not an error.
  (value) => value ?? {},
  strict({
    ignore: z.array(ignoreSchema).optional(),
    rules: z.array(ruleSchema).optional(),
  }),
);

export type RulesFile = z.output<typeof rulesFileSchema>;
