// Glob patterns over difference paths for rules: `*` is one segment, `**` any number, `aws:*` a wildcard within one.
import { parsePath } from './paths.js';

export type PathMatcher = (segments: readonly string[]) => boolean;
type SegmentMatcher = (segment: string) => boolean;

const GLOBSTAR = '**';

function compileSegment(pattern: string): SegmentMatcher {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*')) return (segment) => segment === pattern;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*');
  const regex = new RegExp(`^${source}$`, 'u');
  return (segment) => regex.test(segment);
}

/** Compiles a glob written in path syntax (`launch.tags["aws:*"]`); throws a ValidationError if it does not parse. */
export function compilePathGlob(pattern: string): PathMatcher {
  return compileSegmentGlob(parsePath(pattern, { wildcards: true }));
}

/**
 * Matches segment lists against glob segments (`*` one segment, `**` any number, `a*` a wildcard
 * within one); shared by difference-path globs and the file selection of `bake`/`agent`.
 */
export function compileSegmentGlob(patternSegments: readonly string[]): PathMatcher {
  const parts = patternSegments.map((p) => (p === GLOBSTAR ? null : compileSegment(p)));
  return (segments) => matchFrom(parts, 0, segments, 0, new Map());
}

/** Backtracking match; the memo keeps consecutive `**` from going exponential. */
function matchFrom(
  parts: readonly (SegmentMatcher | null)[],
  p: number,
  segments: readonly string[],
  s: number,
  memo: Map<number, boolean>,
): boolean {
  const key = p * (segments.length + 1) + s;
  const cached = memo.get(key);
  if (cached !== undefined) return cached;
  let result: boolean;
  const part = parts[p];
  if (p === parts.length) result = s === segments.length;
  else if (part === null) {
    result =
      matchFrom(parts, p + 1, segments, s, memo) ||
      (s < segments.length && matchFrom(parts, p, segments, s + 1, memo));
  } else {
    result =
      part !== undefined &&
      s < segments.length &&
      part(segments[s] as string) &&
      matchFrom(parts, p + 1, segments, s + 1, memo);
  }
  memo.set(key, result);
  return result;
}

/** Matches a single value against a pattern where `*` is any run of characters (used for tag values). */
export function compileWildcard(pattern: string): (value: string) => boolean {
  return compileSegment(pattern);
}
