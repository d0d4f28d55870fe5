// Turns differences into findings: ignore entries drop them, then the first matching rule sets severity and action.
import type {
  Change,
  Difference,
  Finding,
  IgnoreEntry,
  InstanceContext,
  Rule,
  RuleMatch,
  RuleSet,
  RuleWhere,
} from '../domain/types.js';
import { UNCLASSIFIED_RULE } from '../domain/types.js';
import { compilePathGlob, compileWildcard, type PathMatcher } from './path-glob.js';
import { parsePath } from './paths.js';

type WherePredicate<K extends keyof RuleWhere> = (
  expected: NonNullable<RuleWhere[K]>,
  context: InstanceContext,
) => boolean;

function inList(value: string | null, list: readonly string[]): boolean {
  return value !== null && list.includes(value);
}

/** Every `where` key is one predicate; adding a scope means adding an entry here and to the rules schema. */
export const WHERE_PREDICATES = {
  // Tag values may use `*` (e.g. `env: prod-*`); an absent tag never matches, not even `*`.
  tags: (expected, context) =>
    Object.entries(expected).every(
      ([key, pattern]) =>
        Object.hasOwn(context.tags, key) && compileWildcard(pattern)(context.tags[key] as string),
    ),
  account: (expected, context) => inList(context.account, expected),
  region: (expected, context) => inList(context.region, expected),
  group: (expected, context) => inList(context.group, expected),
  channel: (expected, context) => inList(context.channel, expected),
} satisfies { [K in keyof RuleWhere]-?: WherePredicate<K> };

function whereHolds(where: RuleWhere | null, context: InstanceContext): boolean {
  if (where === null) return true;
  return (Object.keys(WHERE_PREDICATES) as (keyof RuleWhere)[]).every((key) => {
    const expected = where[key];
    if (expected === undefined) return true;
    return (WHERE_PREDICATES[key] as WherePredicate<typeof key>)(expected, context);
  });
}

interface CompiledMatch {
  paths: PathMatcher[] | null;
  changes: ReadonlySet<Change> | null;
  where: RuleWhere | null;
}

// Rule sets live for a whole daemon run; compiling their globs once per set (not per instance) keeps scans cheap.
const compiledSets = new WeakMap<RuleSet, { ignore: CompiledMatch[]; rules: CompiledMatch[] }>();

function compileMatch(match: RuleMatch, where: RuleWhere | null): CompiledMatch {
  return {
    paths: match.path && match.path.length > 0 ? match.path.map(compilePathGlob) : null,
    changes: match.change && match.change.length > 0 ? new Set(match.change) : null,
    where,
  };
}

function compileRuleSet(ruleSet: RuleSet): { ignore: CompiledMatch[]; rules: CompiledMatch[] } {
  let compiled = compiledSets.get(ruleSet);
  if (compiled === undefined) {
    compiled = {
      ignore: ruleSet.ignore.map((e: IgnoreEntry) => compileMatch(e.match, e.where)),
      rules: ruleSet.rules.map((r: Rule) => compileMatch(r.match, r.where)),
    };
    compiledSets.set(ruleSet, compiled);
  }
  return compiled;
}

function matches(
  m: CompiledMatch,
  difference: Difference,
  segments: readonly string[],
  context: InstanceContext,
): boolean {
  return (
    (m.changes === null || m.changes.has(difference.change)) &&
    (m.paths === null || m.paths.some((glob) => glob(segments))) &&
    whereHolds(m.where, context)
  );
}

/** Output keeps the input order (diffPair's sorted order); ignored differences are dropped. */
export function classifyDifferences(
  differences: readonly Difference[],
  ruleSet: RuleSet,
  context: InstanceContext,
): Finding[] {
  const compiled = compileRuleSet(ruleSet);
  const findings: Finding[] = [];
  for (const difference of differences) {
    const segments = parsePath(difference.path);
    if (compiled.ignore.some((m) => matches(m, difference, segments, context))) continue;
    const index = compiled.rules.findIndex((m) => matches(m, difference, segments, context));
    const rule = ruleSet.rules[index];
    findings.push(
      rule === undefined
        ? { ...difference, rule: UNCLASSIFIED_RULE, severity: 'warning', action: 'report', forMs: null }
        : { ...difference, rule: rule.id, severity: rule.severity, action: rule.action, forMs: rule.forMs },
    );
  }
  return findings;
}
