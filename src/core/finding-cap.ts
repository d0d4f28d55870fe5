// Bounds what one instance can cost: at most N findings per section, the rest summarised as one `truncated` finding.
import type { Change, Difference, Finding, InstanceContext, RuleSet, Severity } from '../domain/types.js';
import { SEVERITIES } from '../domain/types.js';
import { classifyDifferences } from './classify.js';
import { compareStrings } from './compare-strings.js';

/** The default of `scan.maxFindingsPerSection`. */
export const DEFAULT_MAX_FINDINGS_PER_SECTION = 200;

/** The sections a cap applies to (docs/design.md §3); a summary finding's path is its section. */
export const FINDING_SECTIONS = ['image', 'launch', 'host.packages', 'host.files', 'host.services'] as const;
export type FindingSection = (typeof FINDING_SECTIONS)[number];

/** What a `truncated` summary says in `actual`: how many findings of its section were left out. */
export interface TruncatedSummary {
  omitted: number;
}

/**
 * The section of a difference path: its first segment, or its first two under `host` (each host map
 * is its own section). Plain string work: this runs once per difference, and a hostile host sends 100,000.
 */
export function findingSection(path: string): string {
  const end = (from: number): number => {
    for (let i = from; i < path.length; i += 1) {
      const ch = path[i];
      if (ch === '.' || ch === '[') return i;
    }
    return path.length;
  };
  const first = end(0);
  if (path.slice(0, first) !== 'host' || first >= path.length || path[first] !== '.')
    return path.slice(0, first);
  return path.slice(0, end(first + 1));
}

function worstSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/** The contract's finding order within an instance: by path, then change. */
export function byPathThenChange(
  a: { path: string; change: Change },
  b: { path: string; change: Change },
): number {
  return compareStrings(a.path, b.path) || compareStrings(a.change, b.change);
}

interface Cappable {
  path: string;
  change: Change;
  severity: Severity;
}

/**
 * Keeps the first `max` items of each section by path (then change), so which ones survive never
 * depends on input order; the rest of a section become one item made by `summarize(section, omitted,
 * worst severity among them)`, or nothing when it returns null. Output is sorted by path, then change;
 * a summary (path = its section) comes first in its section.
 */
export function capBySection<T extends Cappable>(
  items: readonly T[],
  max: number,
  summarize: (section: string, omitted: number, worst: Severity) => T | null,
): T[] {
  const sorted = [...items].sort(byPathThenChange);
  const kept: T[] = [];
  const bySection = new Map<string, number>();
  const omitted = new Map<string, { count: number; worst: Severity }>();
  for (const item of sorted) {
    const section = findingSection(item.path);
    const seen = bySection.get(section) ?? 0;
    bySection.set(section, seen + 1);
    if (seen < max) {
      kept.push(item);
      continue;
    }
    const rest = omitted.get(section);
    omitted.set(
      section,
      rest === undefined
        ? { count: 1, worst: item.severity }
        : { count: rest.count + 1, worst: worstSeverity(rest.worst, item.severity) },
    );
  }
  if (omitted.size === 0) return kept;
  for (const [section, { count, worst }] of omitted) {
    const summary = summarize(section, count, worst);
    if (summary !== null) kept.push(summary);
  }
  return kept.sort(byPathThenChange);
}

/**
 * Caps one instance's classified findings (output sorted by path, then change). The summary is a difference like any other (path = the
 * section, change `truncated`, `actual: {omitted}`), classified by the rules (the shipped rule
 * `truncated`); its severity is raised to the worst omitted one, so a critical finding cut off by the
 * cap still counts as critical. An ignore entry that matches it drops it.
 */
export function capFindings(
  findings: readonly Finding[],
  max: number,
  ruleSet: RuleSet,
  context: InstanceContext,
): Finding[] {
  const [first] = findings;
  if (first === undefined) return [];
  return capBySection(findings, max, (section, omitted, worst) => {
    const summary: Difference = {
      instanceId: first.instanceId,
      imageId: first.imageId,
      path: section,
      change: 'truncated',
      expected: null,
      actual: { omitted } satisfies TruncatedSummary,
    };
    const [classified] = classifyDifferences([summary], ruleSet, context);
    return classified === undefined
      ? null
      : { ...classified, severity: worstSeverity(classified.severity, worst) };
  });
}

/** "and 99,800 more": the words every view uses for a summary's count. */
export function describeOmitted(omitted: number): string {
  return `and ${omitted.toLocaleString('en-US')} more`;
}

/** One line of a replacement job's stored reason (the shape of `JobReason`). */
export interface ReasonEntry {
  rule: string;
  severity: Severity;
  path: string;
  change: Change;
  /** Only on a `truncated` entry: how many due findings of its section it stands for. */
  omitted?: number;
}

/**
 * A job's reason, bounded like findings: `max` entries per section, then one `truncated` entry with the
 * count. Reasons come from capped findings, so this only bites on rows stored before the cap (an
 * upgraded database) or a cap lowered since; a `truncated` finding already in the reason (a rule
 * that replaces on it) is a summary itself and passes through uncounted. A reason within the bound
 * keeps its order (the policy's worst first); a capped one is in path order.
 */
export function boundJobReason<T extends ReasonEntry>(reason: readonly T[], max: number): ReasonEntry[] {
  const entries = reason.filter((entry) => entry.change !== 'truncated');
  const perSection = new Map<string, number>();
  for (const entry of entries) {
    const section = findingSection(entry.path);
    perSection.set(section, (perSection.get(section) ?? 0) + 1);
  }
  if ([...perSection.values()].every((count) => count <= max)) return [...reason];
  const summaries: ReasonEntry[] = reason.filter((entry) => entry.change === 'truncated');
  return [
    ...summaries,
    ...capBySection<ReasonEntry>(entries, max, (section, omitted, worst) => ({
      rule: 'truncated',
      severity: worst,
      path: section,
      change: 'truncated',
      omitted,
    })),
  ].sort(byPathThenChange);
}
