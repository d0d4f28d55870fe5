// Persists one scan in a single transaction: instances, open/resolved findings, gone and stale instances.
import type { PersistScanInput, ScanRecord, ScannedInstance } from '../app/ports.js';
import { findAcceptance, type AcceptanceScope } from '../core/acceptance.js';
import type { Finding, InstanceStatus } from '../domain/types.js';
import type { Database } from './database.js';
import { toJsonColumn } from './fleet-rows.js';
import { toIsoUtc } from './timestamps.js';

interface TargetKey {
  account: string | null;
  region: string;
}

interface TargetScope extends TargetKey {
  scanId: string;
}

function uniqueTargets(targets: readonly TargetKey[]): TargetKey[] {
  const seen = new Map<string, TargetKey>();
  for (const t of targets)
    seen.set(`${t.account ?? ''}\u0000${t.region}`, { account: t.account, region: t.region });
  return [...seen.values()];
}

function findingKey(instanceId: string, path: string, change: string): string {
  return `${instanceId}\u0000${path}\u0000${change}`;
}

function byInstanceId(a: ScannedInstance, b: ScannedInstance): number {
  const x = a.observation.instanceId;
  const y = b.observation.instanceId;
  return x < y ? -1 : x > y ? 1 : 0;
}

function byPathThenChange(a: Finding, b: Finding): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.change < b.change ? -1 : a.change > b.change ? 1 : 0;
}

// Instances of a target that this scan did not touch: `last_scan_id` is set on every scanned instance.
const UNTOUCHED_IN_TARGET =
  'present = 1 AND region = @region AND account IS @account AND last_scan_id <> @scanId';

export function createScanWriter(db: Database): (input: PersistScanInput) => ScanRecord {
  const upsertInstance = db.prepare<
    [
      {
        instanceId: string;
        account: string | null;
        region: string;
        imageId: string;
        group: string | null;
        status: InstanceStatus;
        observation: string;
        seenAt: string;
        scanId: string;
      },
    ]
  >(
    `INSERT INTO instances (instance_id, account, region, image_id, grp, status, present, observation,
                            first_seen, last_seen, last_scan_id)
     VALUES (@instanceId, @account, @region, @imageId, @group, @status, 1, @observation, @seenAt, @seenAt, @scanId)
     ON CONFLICT (instance_id) DO UPDATE SET
       account = excluded.account, region = excluded.region, image_id = excluded.image_id, grp = excluded.grp,
       status = excluded.status, present = 1, observation = excluded.observation,
       last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id`,
  );
  // One query for all scanned instances (a JSON array parameter avoids the bound-variable limit).
  const selectOpenFindings = db.prepare<
    [string],
    { id: number; instance_id: string; path: string; change: string }
  >(
    `SELECT id, instance_id, path, change FROM findings
     WHERE resolved_at IS NULL AND instance_id IN (SELECT value FROM json_each(?))`,
  );
  type FindingParams = {
    imageId: string;
    rule: string;
    severity: string;
    action: string;
    forMs: number | null;
    expected: string;
    actual: string;
    sources: string | null;
    accepted: 0 | 1;
    acceptanceId: number | null;
    seenAt: string;
  };
  // Acceptance is re-decided by every scan: a new, revoked or expired acceptance shows at the next one.
  const updateFinding = db.prepare<[FindingParams & { id: number }]>(
    `UPDATE findings SET image_id = @imageId, rule = @rule, severity = @severity, action = @action,
       for_ms = @forMs, expected = @expected, actual = @actual, sources = @sources, accepted = @accepted,
       acceptance_id = @acceptanceId, last_seen = @seenAt
     WHERE id = @id`,
  );
  const insertFinding = db.prepare<[FindingParams & { instanceId: string; path: string; change: string }]>(
    `INSERT INTO findings (instance_id, image_id, path, change, rule, severity, action, for_ms, expected, actual,
                           sources, accepted, acceptance_id, first_seen, last_seen)
     VALUES (@instanceId, @imageId, @path, @change, @rule, @severity, @action, @forMs, @expected, @actual,
             @sources, @accepted, @acceptanceId, @seenAt, @seenAt)`,
  );
  const resolveFinding = db.prepare<[string, number]>('UPDATE findings SET resolved_at = ? WHERE id = ?');
  const resolveGoneFindings = db.prepare<[TargetScope & { at: string }]>(
    `UPDATE findings SET resolved_at = @at
     WHERE resolved_at IS NULL
       AND instance_id IN (SELECT instance_id FROM instances WHERE ${UNTOUCHED_IN_TARGET})`,
  );
  const markGone = db.prepare<[TargetScope]>(`UPDATE instances SET present = 0 WHERE ${UNTOUCHED_IN_TARGET}`);
  const markStale = db.prepare<[TargetScope]>(
    `UPDATE instances SET status = 'stale' WHERE ${UNTOUCHED_IN_TARGET}`,
  );
  const selectUntouchedOpenFindings = db.prepare<
    [TargetScope],
    { id: number; instance_id: string; rule: string; acceptance_id: number | null }
  >(
    `SELECT id, instance_id, rule, acceptance_id FROM findings
     WHERE resolved_at IS NULL
       AND instance_id IN (SELECT instance_id FROM instances WHERE ${UNTOUCHED_IN_TARGET})`,
  );
  const setAcceptance = db.prepare<[{ id: number; accepted: 0 | 1; acceptanceId: number | null }]>(
    'UPDATE findings SET accepted = @accepted, acceptance_id = @acceptanceId WHERE id = @id',
  );
  const countByStatus = db.prepare<[TargetKey], { status: InstanceStatus; n: number }>(
    `SELECT status, count(*) AS n FROM instances
     WHERE present = 1 AND region = @region AND account IS @account GROUP BY status`,
  );
  const countOpenFindings = db.prepare<[TargetKey], { n: number }>(
    `SELECT count(*) AS n FROM findings f JOIN instances i ON i.instance_id = f.instance_id
     WHERE f.resolved_at IS NULL AND i.present = 1 AND i.region = @region AND i.account IS @account`,
  );
  const insertScan = db.prepare<
    [
      {
        scanId: string;
        outcome: string;
        startedAt: string;
        finishedAt: string;
        targets: string;
        counts: string;
        findings: number;
      },
    ]
  >(
    `INSERT INTO scans (scan_id, outcome, started_at, finished_at, targets, counts, findings)
     VALUES (@scanId, @outcome, @startedAt, @finishedAt, @targets, @counts, @findings)`,
  );

  function writeInstances(scanned: ScannedInstance[], scanId: string, seenAt: string): void {
    const open = new Map<string, number>();
    const ids = JSON.stringify(scanned.map((s) => s.observation.instanceId));
    for (const row of selectOpenFindings.all(ids))
      open.set(findingKey(row.instance_id, row.path, row.change), row.id);
    const stillOpen = new Set<number>();

    for (const item of scanned) {
      const o = item.observation;
      upsertInstance.run({
        instanceId: o.instanceId,
        account: o.account,
        region: o.region,
        imageId: o.imageId,
        group: item.group,
        status: item.status,
        observation: JSON.stringify(o),
        seenAt,
        scanId,
      });
      for (const f of [...item.findings].sort(byPathThenChange)) {
        const params: FindingParams = {
          imageId: f.imageId,
          rule: f.rule,
          severity: f.severity,
          action: f.action,
          forMs: f.forMs ?? null,
          expected: toJsonColumn(f.expected),
          actual: toJsonColumn(f.actual),
          sources: f.sources ? JSON.stringify(f.sources) : null,
          accepted: f.acceptanceId === null ? 0 : 1,
          acceptanceId: f.acceptanceId,
          seenAt,
        };
        // Findings are keyed on the instance being scanned, whatever instanceId the finding carries.
        const key = findingKey(o.instanceId, f.path, f.change);
        const id = open.get(key);
        if (id !== undefined) {
          updateFinding.run({ ...params, id });
          stillOpen.add(id);
        } else {
          const inserted = insertFinding.run({
            ...params,
            instanceId: o.instanceId,
            path: f.path,
            change: f.change,
          });
          const newId = Number(inserted.lastInsertRowid);
          open.set(key, newId);
          stillOpen.add(newId);
        }
      }
    }
    // A difference the scan no longer reports has been fixed (or the instance replaced in place).
    for (const id of open.values()) if (!stillOpen.has(id)) resolveFinding.run(seenAt, id);
  }

  /**
   * The findings of a stale target's instances stay open as they were, but which acceptances cover
   * them is a decision of this scan: an expired or revoked acceptance must not silence them.
   */
  function reapplyAcceptances(
    findings: { id: number; instance_id: string; rule: string; acceptance_id: number | null }[],
    acceptances: readonly AcceptanceScope[],
  ): void {
    for (const f of findings) {
      const acceptanceId =
        findAcceptance({ instanceId: f.instance_id, rule: f.rule }, acceptances)?.id ?? null;
      if (acceptanceId !== f.acceptance_id)
        setAcceptance.run({ id: f.id, accepted: acceptanceId === null ? 0 : 1, acceptanceId });
    }
  }

  function countInTargets(targets: TargetKey[]): Pick<ScanRecord, 'instances' | 'findings'> {
    const instances = { total: 0, compliant: 0, drifted: 0, unknownImage: 0, stale: 0 };
    let findings = 0;
    for (const target of targets) {
      for (const { status, n } of countByStatus.all(target)) {
        instances.total += n;
        if (status === 'unknown_image') instances.unknownImage += n;
        else instances[status] += n;
      }
      findings += countOpenFindings.get(target)?.n ?? 0;
    }
    return { instances, findings };
  }

  const persist = db.transaction((input: PersistScanInput): ScanRecord => {
    const scanId = input.scanId;
    const startedAt = toIsoUtc(input.startedAt, 'startedAt');
    const finishedAt = toIsoUtc(input.finishedAt, 'finishedAt');

    writeInstances([...input.scanned].sort(byInstanceId), scanId, finishedAt);

    // A target that answered without an instance it used to have: that instance left the fleet.
    const answered = uniqueTargets(input.targets.filter((t) => t.status === 'ok'));
    for (const target of answered) {
      resolveGoneFindings.run({ ...target, scanId, at: finishedAt });
      markGone.run({ ...target, scanId });
    }
    // A failed target proves nothing: keep its instances and findings, only say they are stale.
    for (const target of uniqueTargets(input.staleTargets)) {
      markStale.run({ ...target, scanId });
      reapplyAcceptances(selectUntouchedOpenFindings.all({ ...target, scanId }), input.acceptances);
    }

    const counts = countInTargets(uniqueTargets([...input.targets, ...input.staleTargets]));
    const record: ScanRecord = {
      scanId,
      outcome: input.outcome,
      startedAt,
      finishedAt,
      targets: input.targets,
      instances: counts.instances,
      findings: counts.findings,
    };
    insertScan.run({
      scanId,
      outcome: record.outcome,
      startedAt,
      finishedAt,
      targets: JSON.stringify(record.targets),
      counts: JSON.stringify(record.instances),
      findings: record.findings,
    });
    return record;
  });

  // IMMEDIATE: take the write lock up front so a concurrent writer waits (busy_timeout) instead of
  // failing mid-transaction when a deferred read lock cannot be upgraded.
  return (input) => persist.immediate(input);
}
