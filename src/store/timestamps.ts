// Normalises times to ISO-8601 UTC before they are stored, so SQL MIN/MAX and ordering compare correctly.
import { ValidationError } from '../domain/errors.js';

/** `2026-11-20T12:00:00+02:00` → `2026-11-20T10:00:00.000Z`; an unparseable time is a ValidationError. */
export function toIsoUtc(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ValidationError(`${field} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}
