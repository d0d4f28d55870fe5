// Persists one scan in a single transaction, writing only what changed: instances, findings, gone and stale instances.
import {
  openFindingKey,
  type FailedScanInput,
  type PersistScanInput,
  type ScanRecord,
  type ScannedInstance,
} from '../app/ports.js';
import { AcceptanceIndex, type AcceptanceScope } from '../core/acceptance.js';
import { targetKey } from '../core/shard-assignment.js';
import type { Finding, FindingOnset, FindingScope, InstanceStatus } from '../domain/types.js';
import type { Database } from './database.js';
import { toJsonColumn, type InstanceRow } from './fleet-rows.js';
import { toIsoUtc } from './timestamps.js';

interface TargetKey {
  account: string | null;
  region: string;
}

interface TargetScope extends TargetKey {
  /** JSON array of the instance ids this scan listed. */
  seen: string;
}

function uniqueTargets(targets: readonly TargetKey[]): TargetKey[] {
  const seen = new Map<string, TargetKey>();
  for (const t of targets) seen.set(targetKey(t), { account: t.account, region: t.region });
  return [...seen.values()];
}

/** Instances compared and written per step of the scan's one transaction. */
const WRITE_CHUNK = 2_000;

function byInstanceId(a: ScannedInstance, b: ScannedInstance): number {
  const x = a.observation.instanceId;
  const y = b.observation.instanceId;
  return x < y ? -1 : x > y ? 1 : 0;
}

function byPathThenChange(a: Finding, b: Finding): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.change < b.change ? -1 : a.change > b.change ? 1 : 0;
}

// Instances of a target that this scan did not list. Unchanged instances are not rewritten, so the
// scan's own list says which were seen (a JSON array parameter avoids the bound-variable limit).
const UNTOUCHED_IN_TARGET =
  'present = 1 AND region = @region AND account IS @account AND instance_id NOT IN (SELECT value FROM json_each(@seen))';

// The target's previous successful scan: when a present instance or open finding was last seen.
export const TARGET_SEEN_AT =
  "(SELECT seen_at FROM target_scans WHERE account = coalesce(@account, '') AND region = @region)";
export const TARGET_SCAN_ID =
  "(SELECT scan_id FROM target_scans WHERE account = coalesce(@account, '') AND region = @region)";

interface FindingParams {
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
  scope: FindingScope;
  onset: FindingOnset | null;
  seenAt: string;
}

type InstanceState = Pick<
  InstanceRow,
  'account' | 'region' | 'image_id' | 'grp' | 'status' | 'present' | 'observation'
>;

interface OpenFindingRow {
  id: number;
  instance_id: string;
  path: string;
  change: string;
  image_id: string;
  rule: string;
  severity: string;
  action: string;
  for_ms: number | null;
  expected: string;
  actual: string;
  sources: string | null;
  accepted: 0 | 1;
  acceptance_id: number | null;
  scope: FindingScope;
  onset: FindingOnset | null;
}

/** The observation without its collection time: a re-listing of an unchanged instance compares equal. */
function observationContent(o: ScannedInstance['observation']): string {
  const { observedAt: _observedAt, ...content } = o;
  return JSON.stringify(content);
}

export interface ScanWriter {
  persistScan: (input: PersistScanInput) => ScanRecord;
  recordFailedScan: (input: FailedScanInput) => ScanRecord;
}

export function createScanWriter(db: Database): ScanWriter {
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
       status = excluded.status, present = 1, released_at = NULL, observation = excluded.observation,
       last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id`,
  );
  // One query for all scanned instances (a JSON array parameter avoids the bound-variable limit).
  // The stored observation is compared without its observedAt, which changes at every listing.
  const selectInstances = db.prepare<[string], InstanceState & { instance_id: string }>(
    `SELECT instance_id, account, region, image_id, grp, status, present,
            json_remove(observation, '$.observedAt') AS observation
     FROM instances WHERE instance_id IN (SELECT value FROM json_each(?))`,
  );
  const selectOpenFindings = db.prepare<[string], OpenFindingRow>(
    `SELECT id, instance_id, path, change, image_id, rule, severity, action, for_ms, expected, actual, sources,
            accepted, acceptance_id, scope, onset
     FROM findings WHERE resolved_at IS NULL AND instance_id IN (SELECT value FROM json_each(?))`,
  );
  // Acceptance is re-decided by every scan: a new, revoked or expired acceptance shows at the next one.
  const updateFinding = db.prepare<[FindingParams & { id: number }]>(
    `UPDATE findings SET image_id = @imageId, rule = @rule, severity = @severity, action = @action,
       for_ms = @forMs, expected = @expected, actual = @actual, sources = @sources, accepted = @accepted,
       acceptance_id = @acceptanceId, scope = @scope, onset = @onset, last_seen = @seenAt
     WHERE id = @id`,
  );
  const insertFinding = db.prepare<[FindingParams & { instanceId: string; path: string; change: string }]>(
    `INSERT INTO findings (instance_id, image_id, path, change, rule, severity, action, for_ms, expected, actual,
                           sources, accepted, acceptance_id, scope, onset, first_seen, last_seen)
     VALUES (@instanceId, @imageId, @path, @change, @rule, @severity, @action, @forMs, @expected, @actual,
             @sources, @accepted, @acceptanceId, @scope, @onset, @seenAt, @seenAt)`,
  );
  // Last seen by the target's previous scan (read before this scan records itself there).
  const resolveFinding = db.prepare<[TargetKey & { at: string; id: number }]>(
    `UPDATE findings SET resolved_at = @at, last_seen = coalesce(${TARGET_SEEN_AT}, last_seen) WHERE id = @id`,
  );
  const resolveGoneFindings = db.prepare<[TargetScope & { at: string }]>(
    `UPDATE findings SET resolved_at = @at, last_seen = coalesce(${TARGET_SEEN_AT}, last_seen)
     WHERE resolved_at IS NULL
       AND instance_id IN (SELECT instance_id FROM instances WHERE ${UNTOUCHED_IN_TARGET})`,
  );
  // A gone instance keeps the time its target last saw it, since target_scans moves on without it.
  const markGone = db.prepare<[TargetScope]>(
    `UPDATE instances SET present = 0, last_seen = coalesce(${TARGET_SEEN_AT}, last_seen),
       last_scan_id = coalesce(${TARGET_SCAN_ID}, last_scan_id)
     WHERE ${UNTOUCHED_IN_TARGET}`,
  );
  const markStale = db.prepare<[TargetScope]>(
    `UPDATE instances SET status = 'stale' WHERE status <> 'stale' AND ${UNTOUCHED_IN_TARGET}`,
  );
  const recordTargetScan = db.prepare<[TargetKey & { scanId: string; seenAt: string }]>(
    `INSERT INTO target_scans (account, region, scan_id, seen_at) VALUES (coalesce(@account, ''), @region, @scanId, @seenAt)
     ON CONFLICT (account, region) DO UPDATE SET scan_id = excluded.scan_id, seen_at = excluded.seen_at`,
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

  // A chunk at a time: the stored rows compared against are held for one chunk, not the whole
  // fleet (100,000 stored observations would be about 100 MB of strings at once).
  function writeInstances(scanned: ScannedInstance[], scanId: string, seenAt: string): void {
    for (let start = 0; start < scanned.length; start += WRITE_CHUNK)
      writeChunk(scanned.slice(start, start + WRITE_CHUNK), scanId, seenAt);
  }

  function writeChunk(scanned: ScannedInstance[], scanId: string, seenAt: string): void {
    const ids = JSON.stringify(scanned.map((s) => s.observation.instanceId));
    const stored = new Map<string, InstanceState>();
    for (const row of selectInstances.all(ids)) stored.set(row.instance_id, row);
    const open = new Map<string, OpenFindingRow>();
    for (const row of selectOpenFindings.all(ids))
      open.set(openFindingKey(row.instance_id, row.path, row.change), row);
    const stillOpen = new Set<number>();

    for (const item of scanned) {
      const o = item.observation;
      const before = stored.get(o.instanceId);
      // An unchanged instance is not rewritten: its last_seen comes from target_scans.
      if (!before || !sameInstance(before, item)) {
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
      }
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
          scope: f.scope,
          onset: f.onset,
          seenAt,
        };
        // Findings are keyed on the instance being scanned, whatever instanceId the finding carries.
        const key = openFindingKey(o.instanceId, f.path, f.change);
        const existing = open.get(key);
        if (existing !== undefined) {
          if (!sameFinding(existing, params)) updateFinding.run({ ...params, id: existing.id });
          stillOpen.add(existing.id);
        } else {
          const inserted = insertFinding.run({
            ...params,
            instanceId: o.instanceId,
            path: f.path,
            change: f.change,
          });
          const newId = Number(inserted.lastInsertRowid);
          open.set(
            key,
            toOpenFindingRow(params, { id: newId, instanceId: o.instanceId, path: f.path, change: f.change }),
          );
          stillOpen.add(newId);
        }
      }
    }
    // A difference the scan no longer reports has been fixed (or the instance replaced in place).
    for (const row of open.values()) {
      if (stillOpen.has(row.id)) continue;
      const instance = stored.get(row.instance_id);
      resolveFinding.run({
        account: instance?.account ?? null,
        region: instance?.region ?? '',
        at: seenAt,
        id: row.id,
      });
    }
  }

  /**
   * The findings of a stale target's instances stay open as they were, but which acceptances cover
   * them is a decision of this scan: an expired or revoked acceptance must not silence them.
   */
  function reapplyAcceptances(
    findings: { id: number; instance_id: string; rule: string; acceptance_id: number | null }[],
    acceptances: AcceptanceIndex<AcceptanceScope>,
  ): void {
    for (const f of findings) {
      const acceptanceId = acceptances.find({ instanceId: f.instance_id, rule: f.rule })?.id ?? null;
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
    const seen = JSON.stringify(input.scanned.map((s) => s.observation.instanceId));
    for (const target of answered) {
      resolveGoneFindings.run({ ...target, seen, at: finishedAt });
      markGone.run({ ...target, seen });
      // Last: the statements above read the target's previous scan.
      recordTargetScan.run({ ...target, scanId, seenAt: finishedAt });
    }
    // A failed target proves nothing: keep its instances and findings, only say they are stale.
    const acceptances = new AcceptanceIndex(input.acceptances);
    for (const target of uniqueTargets(input.staleTargets)) {
      markStale.run({ ...target, seen: '[]' });
      reapplyAcceptances(selectUntouchedOpenFindings.all({ ...target, seen: '[]' }), acceptances);
    }

    return insertRecord(
      { scanId, outcome: input.outcome, startedAt, finishedAt, targets: input.targets },
      uniqueTargets([...input.targets, ...input.staleTargets]),
    );
  });

  /** The scan's row, with the instance and finding counts of its targets as stored now. */
  function insertRecord(
    scan: Pick<ScanRecord, 'scanId' | 'outcome' | 'startedAt' | 'finishedAt' | 'targets'>,
    targets: TargetKey[],
  ): ScanRecord {
    const record: ScanRecord = { ...scan, ...countInTargets(targets) };
    insertScan.run({
      scanId: record.scanId,
      outcome: record.outcome,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      targets: JSON.stringify(record.targets),
      counts: JSON.stringify(record.instances),
      findings: record.findings,
    });
    return record;
  }

  const recordFailed = db.transaction((input: FailedScanInput): ScanRecord =>
    insertRecord(
      {
        scanId: input.scanId,
        outcome: 'failure',
        startedAt: toIsoUtc(input.startedAt, 'startedAt'),
        finishedAt: toIsoUtc(input.finishedAt, 'finishedAt'),
        targets: input.targets,
      },
      uniqueTargets(input.targets),
    ),
  );

  return {
    // IMMEDIATE: take the write lock up front so a concurrent writer waits (busy_timeout) instead of
    // failing mid-transaction when a deferred read lock cannot be upgraded.
    persistScan: (input) => persist.immediate(input),
    recordFailedScan: (input) => recordFailed.immediate(input),
  };
}

function sameInstance(before: InstanceState, item: ScannedInstance): boolean {
  const o = item.observation;
  return (
    before.present === 1 &&
    before.account === o.account &&
    before.region === o.region &&
    before.image_id === o.imageId &&
    before.grp === item.group &&
    before.status === item.status &&
    before.observation === observationContent(o)
  );
}

/** Equal in every stored column but last_seen: nothing to write. */
function sameFinding(row: OpenFindingRow, p: FindingParams): boolean {
  return (
    row.image_id === p.imageId &&
    row.rule === p.rule &&
    row.severity === p.severity &&
    row.action === p.action &&
    row.for_ms === p.forMs &&
    row.expected === p.expected &&
    row.actual === p.actual &&
    row.sources === p.sources &&
    row.accepted === p.accepted &&
    row.acceptance_id === p.acceptanceId &&
    row.scope === p.scope &&
    row.onset === p.onset
  );
}

function toOpenFindingRow(
  p: FindingParams,
  key: { id: number; instanceId: string; path: string; change: string },
): OpenFindingRow {
  return {
    id: key.id,
    instance_id: key.instanceId,
    path: key.path,
    change: key.change,
    image_id: p.imageId,
    rule: p.rule,
    severity: p.severity,
    action: p.action,
    for_ms: p.forMs,
    expected: p.expected,
    actual: p.actual,
    sources: p.sources,
    accepted: p.accepted,
    acceptance_id: p.acceptanceId,
    scope: p.scope,
    onset: p.onset,
  };
}
