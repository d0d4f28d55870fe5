// Row shapes of the fleet tables and their mapping to the port types.
import type {
  FindingAcceptance,
  ResolvedReason,
  ScanRecord,
  StoredFinding,
  StoredInstance,
} from '../app/ports.js';
import type {
  Action,
  Change,
  FindingOnset,
  FindingScope,
  InstanceObservation,
  InstanceStatus,
  ScanOutcome,
  Severity,
  SourceView,
  TargetResult,
} from '../domain/types.js';

export interface InstanceRow {
  instance_id: string;
  account: string | null;
  region: string;
  image_id: string;
  grp: string | null;
  status: InstanceStatus;
  present: number;
  observation: string;
  first_seen: string;
  last_seen: string;
  last_scan_id: string;
  released_at: string | null;
}

/**
 * The target's last successful scan, for an instance of table alias `t`: a present instance was
 * seen by it (see migrations/0007_target_scans.sql), so the scan writer need not touch the row.
 */
function targetScan(column: 'seen_at' | 'scan_id', t: string): string {
  return `(SELECT ts.${column} FROM target_scans ts WHERE ts.region = ${t}.region AND ts.account = coalesce(${t}.account, ''))`;
}

export const INSTANCE_COLUMNS =
  'instance_id, account, region, image_id, grp, status, present, observation, first_seen, ' +
  `CASE WHEN present = 1 THEN coalesce(${targetScan('seen_at', 'instances')}, last_seen) ELSE last_seen END AS last_seen, ` +
  `CASE WHEN present = 1 THEN coalesce(${targetScan('scan_id', 'instances')}, last_scan_id) ELSE last_scan_id END AS last_scan_id, released_at`;

export function toStoredInstance(row: InstanceRow): StoredInstance {
  return {
    instanceId: row.instance_id,
    account: row.account,
    region: row.region,
    imageId: row.image_id,
    group: row.grp,
    status: row.status,
    present: row.present === 1,
    observation: JSON.parse(row.observation) as InstanceObservation,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    lastScanId: row.last_scan_id,
    releasedAt: row.released_at,
  };
}

/** A finding joined with its instance's account, region and group, and with its acceptance. */
export interface FindingRow {
  id: number;
  instance_id: string;
  image_id: string;
  path: string;
  change: Change;
  rule: string;
  severity: Severity;
  action: Action;
  for_ms: number | null;
  expected: string;
  actual: string;
  sources: string | null;
  first_seen: string;
  last_seen: string;
  resolved_at: string | null;
  resolved_reason: ResolvedReason | null;
  accepted: number;
  acceptance_id: number | null;
  scope: FindingScope;
  onset: FindingOnset | null;
  acceptance_reason: string | null;
  acceptance_until: string | null;
  acceptance_created_by: string | null;
  account: string | null;
  region: string;
  grp: string | null;
}

export const FINDING_COLUMNS =
  'f.id, f.instance_id, f.image_id, f.path, f.change, f.rule, f.severity, f.action, f.for_ms, f.expected, ' +
  'f.actual, f.sources, f.first_seen, ' +
  // An open finding of a present instance was seen when its instance was last seen.
  `CASE WHEN f.resolved_at IS NULL AND i.present = 1 THEN coalesce(${targetScan('seen_at', 'i')}, f.last_seen) ` +
  'ELSE f.last_seen END AS last_seen, f.resolved_at, f.resolved_reason, f.accepted, f.acceptance_id, f.scope, f.onset, ' +
  'a.reason AS acceptance_reason, a.until AS acceptance_until, a.created_by AS acceptance_created_by, ' +
  'i.account, i.region, i.grp';

/** The tables FINDING_COLUMNS reads from. */
/**
 * Findings drive the join (CROSS JOIN fixes SQLite's loop order): every caller filters and orders
 * by findings columns, which their indexes serve; left to itself the planner walked every instance
 * and sorted, so a page of 100 open findings cost a pass over the fleet.
 */
export const FINDING_TABLES =
  'findings f CROSS JOIN instances i ON i.instance_id = f.instance_id LEFT JOIN acceptances a ON a.id = f.acceptance_id';

function toFindingAcceptance(row: FindingRow): FindingAcceptance | null {
  const { acceptance_id: id, acceptance_reason: reason, acceptance_until: until } = row;
  // The foreign key keeps the joined row present whenever acceptance_id is set.
  if (id === null || reason === null || until === null || row.acceptance_created_by === null) return null;
  return { id, reason, until, createdBy: row.acceptance_created_by };
}

export function toStoredFinding(row: FindingRow): StoredFinding {
  return {
    id: row.id,
    instanceId: row.instance_id,
    imageId: row.image_id,
    path: row.path,
    change: row.change,
    expected: JSON.parse(row.expected) as unknown,
    actual: JSON.parse(row.actual) as unknown,
    ...(row.sources === null ? {} : { sources: JSON.parse(row.sources) as SourceView[] }),
    rule: row.rule,
    severity: row.severity,
    action: row.action,
    forMs: row.for_ms,
    account: row.account,
    region: row.region,
    group: row.grp,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    resolvedAt: row.resolved_at,
    resolvedReason: row.resolved_reason,
    accepted: row.accepted === 1,
    acceptance: toFindingAcceptance(row),
    scope: row.scope,
    onset: row.onset,
  };
}

/** `undefined` (a side that does not exist) is stored as JSON null. */
export function toJsonColumn(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export interface ScanRow {
  scan_id: string;
  outcome: ScanOutcome;
  started_at: string;
  finished_at: string;
  targets: string;
  counts: string;
  findings: number;
}

export const SCAN_COLUMNS = 'scan_id, outcome, started_at, finished_at, targets, counts, findings';

export function toScanRecord(row: ScanRow): ScanRecord {
  return {
    scanId: row.scan_id,
    outcome: row.outcome,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    targets: JSON.parse(row.targets) as TargetResult[],
    instances: JSON.parse(row.counts) as ScanRecord['instances'],
    findings: row.findings,
  };
}
