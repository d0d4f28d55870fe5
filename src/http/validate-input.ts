// Validates a request's query or body against a zod schema; issues name the parameter or JSON path.
import type { z } from 'zod';
import { simplifyZodIssues } from '../config/zod-issues.js';
import { ValidationError } from '../domain/errors.js';
import { formatJsonPath } from '../manifests/json-path.js';

export function validateInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      `invalid ${where}`,
      simplifyZodIssues(result.error.issues, schema).map((i) => `${formatJsonPath(i.path)}: ${i.message}`),
    );
  }
  return result.data;
}
