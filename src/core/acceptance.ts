// Drift acceptances: which active acceptance covers a finding, and when a new acceptance may end.
import { parseDuration } from './duration.js';

/** What an acceptance covers: every field it sets must match; null matches anything. */
export interface AcceptanceScope {
  id: number;
  instanceId: string | null;
  rule: string | null;
}

/** The finding fields an acceptance is matched on: the rule id is the one the finding was classified with. */
export interface AcceptableFinding {
  instanceId: string;
  rule: string;
}

export type AcceptanceState = 'active' | 'expired' | 'revoked';

/** Longest an acceptance may run: accepted drift must come back to someone's attention. */
export const MAX_ACCEPTANCE_DAYS = 365;
const DAY_MS = 86_400_000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const DATE_TIME_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/i;

export function acceptanceMatches(scope: AcceptanceScope, finding: AcceptableFinding): boolean {
  return (
    (scope.instanceId === null || scope.instanceId === finding.instanceId) &&
    (scope.rule === null || scope.rule === finding.rule)
  );
}

/**
 * Active acceptances by what they cover, for a scan's many findings: a lookup reads four entries
 * (instance and rule, instance, rule, everything) whatever the number of acceptances, where a walk
 * over them cost one comparison per acceptance per finding.
 */
export class AcceptanceIndex<A extends AcceptanceScope> {
  /** Instance id (null: any) → rule (null: any) → the covering acceptance with the lowest id. */
  private readonly byScope = new Map<string | null, Map<string | null, A>>();

  constructor(active: Iterable<A> = []) {
    for (const acceptance of active) this.add(acceptance);
  }

  add(acceptance: A): void {
    let byRule = this.byScope.get(acceptance.instanceId);
    if (byRule === undefined) {
      byRule = new Map<string | null, A>();
      this.byScope.set(acceptance.instanceId, byRule);
    }
    const held = byRule.get(acceptance.rule);
    if (held === undefined || acceptance.id < held.id) byRule.set(acceptance.rule, acceptance);
  }

  /** The matching acceptance with the lowest id (the oldest one wins, whatever order they came in), or null. */
  find(finding: AcceptableFinding): A | null {
    let found: A | null = null;
    for (const instanceId of [finding.instanceId, null]) {
      const byRule = this.byScope.get(instanceId);
      if (byRule === undefined) continue;
      for (const rule of [finding.rule, null]) {
        const candidate = byRule.get(rule);
        if (candidate !== undefined && (found === null || candidate.id < found.id)) found = candidate;
      }
    }
    return found;
  }
}

/** Date.parse rolls 2026-02-30 over into March; a typo should be an error instead. */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A revocation wins over expiry: it is what someone decided. `at` and `until` are ISO-8601 UTC. */
export function acceptanceState(
  acceptance: { until: string; revokedAt: string | null },
  at: string,
): AcceptanceState {
  if (acceptance.revokedAt !== null) return 'revoked';
  return acceptance.until > at ? 'active' : 'expired';
}

/**
 * Resolves the end of a new acceptance: a duration from now (`7d`, `12h`, `1d12h`), a date
 * (00:00 UTC that day) or a date-time with `Z` or an offset. It must lie in the future and at most
 * MAX_ACCEPTANCE_DAYS ahead. Returns the ISO-8601 UTC time, or why the text is not acceptable.
 */
export function resolveAcceptanceUntil(text: string, nowMs: number): { until: string } | { error: string } {
  const trimmed = text.trim();
  let ms: number;
  const duration = parseDuration(trimmed);
  if (duration !== null) {
    ms = nowMs + duration;
  } else if (DATE_ONLY.test(trimmed) || DATE_TIME.test(trimmed)) {
    ms = Date.parse(trimmed);
    if (Number.isNaN(ms) || !isCalendarDate(trimmed))
      return { error: `${JSON.stringify(text)} is not a valid date` };
  } else if (DATE_TIME_WITHOUT_ZONE.test(trimmed)) {
    return {
      error: `${JSON.stringify(text)} has no time zone; add Z or an offset (e.g. 2026-12-31T18:00:00Z)`,
    };
  } else {
    return {
      error:
        `${JSON.stringify(text)} is neither a duration (7d, 12h) nor an ISO date ` +
        '(2026-12-31, 2026-12-31T18:00:00Z)',
    };
  }
  if (ms <= nowMs) return { error: `must be in the future (${new Date(ms).toISOString()} has passed)` };
  if (ms - nowMs > MAX_ACCEPTANCE_DAYS * DAY_MS) {
    return { error: `must be at most ${MAX_ACCEPTANCE_DAYS} days ahead; accept again when it expires` };
  }
  return { until: new Date(ms).toISOString() };
}
