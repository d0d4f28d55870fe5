// Turns zod issues into one plain {path, message} per problem, worded for people editing a file.
import { z } from 'zod';

export interface PlainIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * Splits `unrecognized_keys` into one issue per key (pointing at the key, listing the valid ones),
 * reports a union by the branch that matched the input's type, and says "required" for a missing key.
 */
export function simplifyZodIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): PlainIssue[] {
  return issues.flatMap((issue) => simplify(issue, [], schema));
}

function simplify(issue: z.core.$ZodIssue, prefix: PropertyKey[], schema: z.ZodType): PlainIssue[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const valid = keysAt(schema, path);
      const hint = valid.length > 0 ? ` (valid keys: ${valid.join(', ')})` : '';
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown key${hint}` }));
    }
    case 'invalid_union': {
      // A branch that accepted the input's type has the useful complaints ("[1]: expected string",
      // "must not be empty"); "expected string or array" only helps when no branch did.
      const typeMismatch = (i: z.core.$ZodIssue) => i.code === 'invalid_type' && i.path.length === 0;
      const matched = issue.errors.find((branch) => branch.length > 0 && !branch.some(typeMismatch));
      if (matched) return matched.flatMap((i) => simplify(i, path, schema));
      const expected = issue.errors.flatMap((branch) =>
        branch.flatMap((i) => (i.code === 'invalid_type' ? [i.expected] : [])),
      );
      const received = issue.errors.flat()[0]?.message.match(/received (\w+)$/)?.[1];
      const wanted = [...new Set(expected)].join(' or ');
      if (received === 'undefined') return [{ path, message: `required (expected ${wanted})` }];
      return [{ path, message: `expected ${wanted}${received ? `, received ${received}` : ''}` }];
    }
    case 'invalid_key': {
      const reasons = issue.issues.map((i) => i.message).join('; ');
      return [{ path, message: `invalid key: ${reasons}` }];
    }
    case 'invalid_type':
      if (/received undefined$/.test(issue.message))
        return [{ path, message: `required (expected ${issue.expected})` }];
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** The keys an object schema at `path` accepts (empty when the path does not lead to an object). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = unwrapSchema(schema);
  for (const key of path) {
    if (!node) return [];
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[String(key)];
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else return [];
    node = node ? unwrapSchema(node) : undefined;
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** Strips defaults, optionality, nullability and transforms to reach the schema that checks the input. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let node: z.ZodType = schema;
  for (;;) {
    if (
      node instanceof z.ZodDefault ||
      node instanceof z.ZodPrefault ||
      node instanceof z.ZodOptional ||
      node instanceof z.ZodNullable
    ) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      node = node.in as z.ZodType;
    } else {
      return node;
    }
  }
}

/** True when the schema (below defaults and transforms) accepts null. */
export function acceptsNull(schema: z.ZodType): boolean {
  let node: z.ZodType = schema;
  for (;;) {
    if (node instanceof z.ZodNullable) return true;
    if (node instanceof z.ZodDefault || node instanceof z.ZodPrefault || node instanceof z.ZodOptional) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      node = node.in as z.ZodType;
    } else {
      return false;
    }
  }
}
