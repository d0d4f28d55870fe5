// Difference paths (docs/design.md §3): dot-separated keys, bracketed JSON strings for keys that need quoting.
import { ValidationError } from '../domain/errors.js';

const BARE = /^[A-Za-z0-9_-]+$/;
const BARE_CHAR = /[A-Za-z0-9_-]/;
// Rule globs write `launch.tags.*` and `host.files.**` bare, so patterns may use `*` unquoted.
const BARE_PATTERN_CHAR = /[A-Za-z0-9_*-]/;

export interface ParsePathOptions {
  /** Allow `*` in unquoted segments (glob patterns in rules). */
  wildcards?: boolean;
}

export function formatSegment(segment: string): string {
  return BARE.test(segment) ? segment : `[${JSON.stringify(segment)}]`;
}

export function formatPath(segments: readonly string[]): string {
  let out = '';
  for (const segment of segments) {
    const formatted = formatSegment(segment);
    out += out === '' || formatted.startsWith('[') ? formatted : `.${formatted}`;
  }
  return out;
}

/** Inverse of formatPath; throws a ValidationError naming the offending position. */
export function parsePath(path: string, options: ParsePathOptions = {}): string[] {
  const bareChar = options.wildcards ? BARE_PATTERN_CHAR : BARE_CHAR;
  const fail = (position: number, reason: string): never => {
    throw new ValidationError(`invalid path ${JSON.stringify(path)}: ${reason} at position ${position}`, [], {
      location: path,
    });
  };
  if (path === '') fail(0, 'empty path');
  const segments: string[] = [];
  let i = 0;
  while (i < path.length) {
    const ch = path[i] as string;
    if (ch === '[') {
      const [segment, end] = readQuoted(path, i + 1, fail);
      if (path[end] !== ']') fail(end, 'expected "]"');
      segments.push(segment);
      i = end + 1;
    } else {
      if (segments.length > 0) {
        if (ch !== '.') fail(i, 'expected "." or "["');
        i += 1;
      }
      const start = i;
      while (i < path.length && bareChar.test(path[i] as string)) i += 1;
      if (i === start) fail(i, 'expected a key (letters, digits, "_", "-") or a ["quoted"] key');
      segments.push(path.slice(start, i));
    }
  }
  return segments;
}

/** Reads a JSON string starting at `start` (which must be a quote); returns it and the index after it. */
function readQuoted(
  path: string,
  start: number,
  fail: (position: number, reason: string) => never,
): [string, number] {
  if (path[start] !== '"') fail(start, 'expected a JSON string after "["');
  let i = start + 1;
  while (i < path.length && path[i] !== '"') i += path[i] === '\\' ? 2 : 1;
  if (i >= path.length) fail(start, 'unterminated string');
  const literal = path.slice(start, i + 1);
  try {
    return [JSON.parse(literal) as string, i + 1];
  } catch (cause) {
    return fail(start, `invalid JSON string ${literal} (${(cause as Error).message})`);
  }
}
