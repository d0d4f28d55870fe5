// Validates manifest input against a schema, reporting `origin[:line]: json.path: reason` per problem.
import type { z } from 'zod';
import { simplifyZodIssues } from '../config/zod-issues.js';
import { ValidationError } from '../domain/errors.js';
import { formatJsonPath } from './json-path.js';

/** 1-based line of a JSON path in the source text, when the input came from text. */
export type LineLocator = (path: readonly PropertyKey[]) => number | null;

export function describeIssue(
  origin: string,
  path: readonly PropertyKey[],
  message: string,
  locate?: LineLocator,
): string {
  const line = locate?.(path) ?? null;
  return `${origin}${line === null ? '' : `:${line}`}: ${formatJsonPath(path)}: ${message}`;
}

export function validateManifestInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  origin: string,
  what: string,
  locate?: LineLocator,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = simplifyZodIssues(result.error.issues, schema).map((i) =>
    describeIssue(origin, i.path, i.message, locate),
  );
  throw new ValidationError(`${origin}: invalid ${what}`, issues, { location: origin });
}
