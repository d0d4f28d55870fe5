// Compares a fresh host fingerprint against the manifest's baked packages, files and services.
import type { FileFingerprint, HostObservation, HostSection, SourceView } from '../domain/types.js';
import { alignPackageKeys } from './package-key.js';
import { formatPath } from './paths.js';
import type { PathDifference } from './path-difference.js';

const FILE_ATTRIBUTES = ['sha256', 'mode', 'owner'] as const satisfies readonly (keyof FileFingerprint)[];

/**
 * Each declared map is the complete baked set, so keys on either side only are drift too.
 * `compareBoth` reports differences for a key present on both sides.
 */
function diffCompleteMap<T>(
  prefix: readonly string[],
  expected: Record<string, T>,
  actual: Record<string, T>,
  compareBoth: (path: readonly string[], expected: T, actual: T) => PathDifference[],
  unknown: (key: string) => boolean = () => false,
): PathDifference[] {
  const out: PathDifference[] = [];
  for (const [key, want] of Object.entries(expected)) {
    const path = [...prefix, key];
    if (Object.hasOwn(actual, key)) out.push(...compareBoth(path, want, actual[key] as T));
    else if (!unknown(key)) out.push({ path, change: 'removed', expected: want, actual: null });
  }
  for (const [key, have] of Object.entries(actual)) {
    if (!Object.hasOwn(expected, key))
      out.push({ path: [...prefix, key], change: 'added', expected: null, actual: have });
  }
  return out;
}

function compareValues(path: readonly string[], expected: string, actual: string): PathDifference[] {
  return expected === actual ? [] : [{ path, change: 'changed', expected, actual }];
}

/** Only attributes the manifest declares are compared; one the agent did not report counts as removed. */
function compareFiles(
  path: readonly string[],
  expected: FileFingerprint,
  actual: FileFingerprint,
): PathDifference[] {
  const out: PathDifference[] = [];
  for (const attribute of FILE_ATTRIBUTES) {
    const want = expected[attribute];
    if (want === undefined) continue;
    const have = actual[attribute];
    if (have === undefined)
      out.push({ path: [...path, attribute], change: 'removed', expected: want, actual: null });
    else if (have !== want)
      out.push({ path: [...path, attribute], change: 'changed', expected: want, actual: have });
  }
  return out;
}

/**
 * A sub-section is compared only when both sides declare it: an agent that does not collect files is not drift.
 * `skippedFiles` are paths the source could not read: unknown, so never reported as removed.
 */
export function diffHost(
  expected: HostSection,
  actual: HostSection,
  skippedFiles: readonly string[] = [],
): PathDifference[] {
  const skipped = new Set(skippedFiles);
  // A skipped directory (or "/" when the agent's list was truncated) covers everything below it.
  const isSkipped = (path: string): boolean => {
    if (skipped.size === 0) return false;
    if (skipped.has(path) || skipped.has('/')) return true;
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      if (skipped.has(path.slice(0, i))) return true;
    }
    return false;
  };
  const out: PathDifference[] = [];
  if (expected.packages && actual.packages) {
    const packages = alignPackageKeys(expected.packages, actual.packages);
    out.push(...diffCompleteMap(['host', 'packages'], packages.expected, packages.actual, compareValues));
  }
  if (expected.files && actual.files) {
    out.push(...diffCompleteMap(['host', 'files'], expected.files, actual.files, compareFiles, isSkipped));
  }
  if (expected.services && actual.services) {
    out.push(...diffCompleteMap(['host', 'services'], expected.services, actual.services, compareValues));
  }
  return out;
}

/** The value a host section holds at a difference path (`host.<section>.<key>[.<attribute>]`), null when absent. */
function valueAt(host: HostSection, path: readonly string[]): unknown {
  const [, section, key, attribute] = path;
  const map = host[section as keyof HostSection] as Record<string, unknown> | undefined;
  const entry = key === undefined ? undefined : map?.[key];
  if (attribute === undefined) return entry ?? null;
  return (entry as Record<string, unknown> | undefined)?.[attribute] ?? null;
}

/**
 * Compares every fresh source (agent first, then inventory) and merges by path: the first source
 * that reports a path gives its change and actual value. When two or more sources cover that section, the
 * difference lists what each one saw, so a disagreement (the agent sees a new openssl, inventory
 * still the baked one) is shown rather than silently resolved either way.
 */
export function diffHostSources(expected: HostSection, hosts: readonly HostObservation[]): PathDifference[] {
  const perSource = hosts.map((h) =>
    diffHost(
      expected,
      h.host,
      (h.skipped ?? []).map((s) => s.path),
    ),
  );
  if (hosts.length === 1) return perSource[0] ?? [];
  const merged = new Map<string, PathDifference>();
  for (const differences of perSource) {
    for (const d of differences) {
      const key = formatPath(d.path);
      if (merged.has(key)) continue;
      const section = d.path[1] as keyof HostSection;
      const sources: SourceView[] = hosts
        .filter((h) => h.host[section] !== undefined)
        .map((h) => ({ source: h.source, observedAt: h.observedAt, actual: valueAt(h.host, d.path) }));
      merged.set(key, sources.length > 1 ? { ...d, sources } : d);
    }
  }
  return [...merged.values()];
}
