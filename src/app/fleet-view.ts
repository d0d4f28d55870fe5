// One fleet view across shards: each shard's own report, merged into totals and per-target freshness, and findings pages merged in list order.
import { compareStrings } from '../core/compare-strings.js';
import {
  INSTANCE_STATUSES,
  SEVERITIES,
  type Change,
  type InstanceStatus,
  type Severity,
} from '../domain/types.js';
import type { FindingListKey, FleetSnapshot } from './ports.js';

/** Open findings of one rule and severity, as the metrics count them (accepted ones left out). */
export interface RuleSeverityCount {
  rule: string;
  severity: Severity;
  count: number;
}

/** What one shard reports of itself (`GET /api/v1/fleet/shard`): the parts the fleet view merges. */
export interface ShardReport {
  shard: number;
  instances: Record<InstanceStatus, number>;
  findings: RuleSeverityCount[];
  /** When each of its targets was last listed successfully; never-listed targets are absent. */
  targetScans: { account: string | null; region: string; scannedAt: string }[];
}

/** A target (account × region) and the shard the assignment gives it. */
export interface AssignedTarget {
  account: string | null;
  region: string;
  shard: number;
}

/** A peer asked for its part, and what came back: the shard it answered as, or why it did not. */
export interface PeerOutcome {
  url: string;
  shard: number | null;
  error: string | null;
}

export type TargetState = 'fresh' | 'stale';
/** Why a target is stale: its shard did not answer, it was never listed, or not within `scan.staleAfter`. */
export type StaleReason = 'shard-not-answering' | 'never-scanned' | 'not-scanned-recently';

export interface FleetTarget extends AssignedTarget {
  lastScannedAt: string | null;
  state: TargetState;
  staleReason: StaleReason | null;
}

export interface ShardStatus {
  shard: number;
  answered: boolean;
  /** Targets the assignment gives this shard, and how many of them are stale in the merged view. */
  targets: number;
  staleTargets: number;
  /** Its own totals; null when it did not answer. */
  instances: Record<InstanceStatus, number> | null;
  findings: number | null;
}

export interface FleetSummary {
  shardCount: number;
  /** Every shard in index order, answered or not. */
  shards: ShardStatus[];
  /** The peers asked (none unsharded), in URL order. */
  peers: PeerOutcome[];
  /** Sums over the shards that answered. */
  instances: Record<InstanceStatus, number>;
  findings: { total: number; bySeverity: Record<Severity, number>; byRule: RuleSeverityCount[] };
  targets: { total: number; fresh: number; stale: number };
}

export interface FleetTargets {
  shardCount: number;
  shards: ShardStatus[];
  peers: PeerOutcome[];
  /** Every configured target, in account and region order. */
  items: FleetTarget[];
}

export interface FleetMergeInput {
  shardCount: number;
  /** Every configured target with its shard. */
  targets: readonly AssignedTarget[];
  /** The reports that came back: this replica's and each answering peer's. */
  reports: readonly ShardReport[];
  peers: readonly PeerOutcome[];
  now: Date;
  staleAfterMs: number;
}

const targetId = (t: { account: string | null; region: string }): string => `${t.account ?? ''}|${t.region}`;

function zeroInstances(): Record<InstanceStatus, number> {
  return Object.fromEntries(INSTANCE_STATUSES.map((s) => [s, 0])) as Record<InstanceStatus, number>;
}

/** The snapshot counts per rule, severity and consensus scope, summed over the scopes. */
function byRuleSeverity(counts: readonly RuleSeverityCount[]): RuleSeverityCount[] {
  const sums = new Map<string, RuleSeverityCount>();
  for (const { rule, severity, count } of counts) {
    const key = `${rule}\u0000${severity}`;
    const sum = sums.get(key);
    if (sum) sum.count += count;
    else sums.set(key, { rule, severity, count });
  }
  return [...sums.values()];
}

/** This replica's report: its last snapshot's totals and the scan times of the targets it owns. */
export function shardReport(
  snapshot: Pick<FleetSnapshot, 'instancesByStatus' | 'findingsByRuleSeverity' | 'targetScans'>,
  shard: number,
  owned: readonly { account: string | null; region: string }[],
): ShardReport {
  const mine = new Set(owned.map(targetId));
  return {
    shard,
    instances: snapshot.instancesByStatus,
    findings: byRuleSeverity(snapshot.findingsByRuleSeverity),
    // A target that moved away keeps its rows here; only its owner says when it was scanned.
    targetScans: snapshot.targetScans.filter((t) => mine.has(targetId(t))),
  };
}

/** The first report of each shard index in range; a second replica claiming the same index is ignored. */
function reportsByShard(input: FleetMergeInput): Map<number, ShardReport> {
  const byShard = new Map<number, ShardReport>();
  for (const report of input.reports)
    if (report.shard >= 0 && report.shard < input.shardCount && !byShard.has(report.shard))
      byShard.set(report.shard, report);
  return byShard;
}

/**
 * Every configured target with its freshness. A target is fresh when its shard answered and listed
 * it within `staleAfterMs`; a shard that did not answer makes its targets stale, never gone.
 */
export function mergeTargets(input: FleetMergeInput): FleetTargets {
  const reports = reportsByShard(input);
  const scannedAt = new Map<string, string>();
  for (const report of reports.values())
    for (const t of report.targetScans) scannedAt.set(`${report.shard}/${targetId(t)}`, t.scannedAt);
  const items = [...input.targets]
    .sort((a, b) => compareStrings(a.account ?? '', b.account ?? '') || compareStrings(a.region, b.region))
    .map((t): FleetTarget => {
      const last = scannedAt.get(`${t.shard}/${targetId(t)}`) ?? null;
      const staleReason: StaleReason | null = !reports.has(t.shard)
        ? 'shard-not-answering'
        : last === null
          ? 'never-scanned'
          : input.now.getTime() - Date.parse(last) > input.staleAfterMs
            ? 'not-scanned-recently'
            : null;
      return { ...t, lastScannedAt: last, state: staleReason === null ? 'fresh' : 'stale', staleReason };
    });
  const shards = Array.from({ length: input.shardCount }, (_, shard): ShardStatus => {
    const report = reports.get(shard);
    const own = items.filter((t) => t.shard === shard);
    return {
      shard,
      answered: report !== undefined,
      targets: own.length,
      staleTargets: own.filter((t) => t.state === 'stale').length,
      instances: report?.instances ?? null,
      findings: report ? report.findings.reduce((sum, f) => sum + f.count, 0) : null,
    };
  });
  return { shardCount: input.shardCount, shards, peers: [...input.peers], items };
}

/** Totals of the shards that answered, per state, severity and rule, and the targets' freshness. */
export function mergeSummary(input: FleetMergeInput): FleetSummary {
  const { shards, peers, items } = mergeTargets(input);
  const instances = zeroInstances();
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const findings: RuleSeverityCount[] = [];
  for (const report of reportsByShard(input).values()) {
    for (const status of INSTANCE_STATUSES) instances[status] += report.instances[status];
    for (const f of report.findings) {
      bySeverity[f.severity] += f.count;
      findings.push(f);
    }
  }
  const stale = items.filter((t) => t.state === 'stale').length;
  return {
    shardCount: input.shardCount,
    shards,
    peers,
    instances,
    findings: {
      total: SEVERITIES.reduce((sum, s) => sum + bySeverity[s], 0),
      bySeverity,
      byRule: byRuleSeverity(findings).sort(
        (a, b) => compareStrings(a.rule, b.rule) || compareStrings(a.severity, b.severity),
      ),
    },
    targets: { total: items.length, fresh: items.length - stale, stale },
  };
}

/** The fields of a finding that make its list key (instance, path, change, id). */
export interface KeyedFinding {
  instanceId: string;
  path: string;
  change: Change;
  id: number;
}

export function findingKey(f: KeyedFinding): FindingListKey {
  return [f.instanceId, f.path, f.change, f.id];
}

function compareKeys(a: FindingListKey, b: FindingListKey): number {
  return (
    compareStrings(a[0], b[0]) || compareStrings(a[1], b[1]) || compareStrings(a[2], b[2]) || a[3] - b[3]
  );
}

/**
 * One page of findings from each shard's page after the same key, merged in list order. An instance
 * lives on one shard, so keys never tie across shards. The next page starts after the last row shown
 * when a shard had rows past its page or more rows came back than fit.
 */
export function mergeFindingPages<F extends KeyedFinding>(
  pages: readonly { items: readonly F[]; next: unknown }[],
  limit: number,
): { items: F[]; next: FindingListKey | null } {
  const all = pages.flatMap((p) => p.items).sort((a, b) => compareKeys(findingKey(a), findingKey(b)));
  const items = all.slice(0, limit);
  const last = items.at(-1);
  const more = all.length > limit || pages.some((p) => p.next !== null);
  return { items, next: more && last !== undefined ? findingKey(last) : null };
}
