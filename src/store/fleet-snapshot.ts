// Reads the aggregate fleet state that metrics and the dashboard show, in one consistent read.
import type { FleetSnapshot } from '../app/ports.js';
import {
  INSTANCE_STATUSES,
  type FindingScope,
  type InstanceStatus,
  type ScanOutcome,
  type Severity,
} from '../domain/types.js';
import type { Database } from './database.js';
import type { SharedCauseReader } from './shared-causes.js';

// Drift that counts: open, not accepted, on an instance still in the fleet.
export const OPEN_UNACCEPTED = `FROM findings f JOIN instances i ON i.instance_id = f.instance_id
  WHERE f.resolved_at IS NULL AND f.accepted = 0 AND i.present = 1`;

export const SEVERITY_RANK_SQL =
  "CASE f.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 END";
export const SEVERITY_BY_RANK: Record<number, Severity> = { 1: 'info', 2: 'warning', 3: 'critical' };

/** When any target was last listed successfully: one read of a table with a row per target. */
export function createLastTargetScanReader(db: Database): () => string | null {
  const lastTargetScan = db.prepare<[], { at: string | null }>('SELECT max(seen_at) AS at FROM target_scans');
  return () => lastTargetScan.get()?.at ?? null;
}

/**
 * `sharedCauses` is read in the same transaction. The per-instance drift leaves fleet-wide findings
 * out: they are one cause per image and path (`driftwarden_manifest_mismatch`,
 * `driftwarden_fleet_wide_drift`), not a page per instance (docs/signal.md).
 */
export function createSnapshotReader(
  db: Database,
  sharedCauses: SharedCauseReader['sharedCauses'],
): (driftedLimit: number) => FleetSnapshot {
  const lastSuccess = db.prepare<[], { at: string | null }>(
    "SELECT max(finished_at) AS at FROM scans WHERE outcome = 'success'",
  );
  // account '' is a target without an explicit account (migrations/0007_target_scans.sql).
  const targetScans = db.prepare<[], { account: string; region: string; seen_at: string }>(
    'SELECT account, region, seen_at FROM target_scans ORDER BY account, region',
  );
  const byStatus = db.prepare<[], { status: InstanceStatus; n: number }>(
    'SELECT status, count(*) AS n FROM instances WHERE present = 1 GROUP BY status',
  );
  const byRuleSeverity = db.prepare<[], { rule: string; severity: Severity; scope: FindingScope; n: number }>(
    `SELECT f.rule, f.severity, f.scope, count(*) AS n ${OPEN_UNACCEPTED}
     GROUP BY f.rule, f.severity, f.scope ORDER BY f.rule, ${SEVERITY_RANK_SQL} DESC, f.scope`,
  );
  // Every instance with open, unaccepted drift — also one whose region is stale right now: an
  // outage of the scanner must not silence a page about drift it already saw.
  const drifted = db.prepare<
    [number],
    {
      instance_id: string;
      account: string | null;
      region: string;
      image_id: string;
      grp: string | null;
      rank: number;
    }
  >(
    `SELECT i.instance_id, i.account, i.region, i.image_id, i.grp, max(${SEVERITY_RANK_SQL}) AS rank ${OPEN_UNACCEPTED}
       AND f.scope <> 'fleet-wide'
     GROUP BY i.instance_id ORDER BY rank DESC, i.instance_id LIMIT ?`,
  );
  const oldest = db.prepare<[], { severity: Severity; first_seen: string }>(
    `SELECT f.severity, min(f.first_seen) AS first_seen ${OPEN_UNACCEPTED} GROUP BY f.severity`,
  );
  const scansByOutcome = db.prepare<[], { outcome: ScanOutcome; n: number }>(
    'SELECT outcome, count(*) AS n FROM scans GROUP BY outcome',
  );

  const read = db.transaction((driftedLimit: number): FleetSnapshot => {
    const instancesByStatus = Object.fromEntries(INSTANCE_STATUSES.map((s) => [s, 0])) as Record<
      InstanceStatus,
      number
    >;
    for (const { status, n } of byStatus.all()) instancesByStatus[status] = n;

    const oldestOpenBySeverity: FleetSnapshot['oldestOpenBySeverity'] = {};
    for (const { severity, first_seen } of oldest.all()) oldestOpenBySeverity[severity] = first_seen;

    const scans: Record<ScanOutcome, number> = { success: 0, partial: 0, failure: 0 };
    for (const { outcome, n } of scansByOutcome.all()) scans[outcome] = n;

    const causes = sharedCauses(driftedLimit);
    return {
      instancesByStatus,
      findingsByRuleSeverity: byRuleSeverity
        .all()
        .map((r) => ({ rule: r.rule, severity: r.severity, scope: r.scope, count: r.n })),
      driftedInstances: drifted.all(Math.max(0, Math.floor(driftedLimit))).map((r) => ({
        instanceId: r.instance_id,
        account: r.account,
        region: r.region,
        imageId: r.image_id,
        group: r.grp,
        severity: SEVERITY_BY_RANK[r.rank] ?? 'warning',
      })),
      sharedCauses: causes.causes,
      sharedCausesTotal: causes.total,
      oldestOpenBySeverity,
      lastSuccessfulScanAt: lastSuccess.get()?.at ?? null,
      targetScans: targetScans.all().map((r) => ({
        account: r.account === '' ? null : r.account,
        region: r.region,
        scannedAt: r.seen_at,
      })),
      scansByOutcome: scans,
    };
  });
  // A read transaction so every number comes from the same committed state, even mid-scan.
  return (driftedLimit) => read.deferred(driftedLimit);
}
