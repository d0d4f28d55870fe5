// SQLite-backed FleetRepository: scan persistence and the queries behind the API, CLI and metrics.
import {
  openFindingKey,
  type FindingQuery,
  type FleetRepository,
  type InstanceQuery,
  type ScanRecord,
  type ScannedInstance,
  type SectionCount,
  type StoredFinding,
  type StoredInstance,
} from '../app/ports.js';
import type { Database } from './database.js';
import {
  FINDING_COLUMNS,
  FINDING_TABLES,
  INSTANCE_COLUMNS,
  SCAN_COLUMNS,
  toJsonColumn,
  toScanRecord,
  toStoredFinding,
  toStoredInstance,
  type FindingRow,
  type InstanceRow,
  type ScanRow,
} from './fleet-rows.js';
import { createFleetPages, findingEquals, instanceFilterSql } from './fleet-pages.js';
import { createLastTargetScanReader, createSnapshotReader } from './fleet-snapshot.js';
import { createScanWriter } from './scan-writer.js';
import { createSharedCauseReader } from './shared-causes.js';
import { equalsFilter } from './sql-filter.js';
import { createStatementCache } from './statement-cache.js';
import { createTargetRelease } from './target-release.js';

/** Instances whose open findings' first-seen times are read per query. */
const FIRST_SEEN_CHUNK = 2_000;

/** SQLite reads LIMIT -1 as "no limit". */
function limitOf(query: { limit?: number }): { limit: number } {
  return { limit: query.limit ?? -1 };
}

/**
 * A section's paths are the section itself (its `truncated` summary) and those continuing with "." or
 * "[": all sort between the section and the section followed by U+007F, so a section is one range
 * of the (instance_id, path, change) index of open findings.
 */
const SECTION_RANGE = 'f.path >= @sectionLow AND f.path < @sectionHigh';

function sectionBounds(section: string): { sectionLow: string; sectionHigh: string } {
  return { sectionLow: section, sectionHigh: `${section}\u007f` };
}

export function createFleetRepository(db: Database): FleetRepository {
  const prepared = createStatementCache(db);
  const { persistScan, recordFailedScan } = createScanWriter(db);
  const shared = createSharedCauseReader(db);
  const snapshot = createSnapshotReader(db, shared.sharedCauses);
  const selectInstance = db.prepare<[string], InstanceRow>(
    `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE instance_id = ?`,
  );
  const selectScans = db.prepare<[number], ScanRow>(
    `SELECT ${SCAN_COLUMNS} FROM scans ORDER BY finished_at DESC, started_at DESC, scan_id DESC LIMIT ?`,
  );
  // account '' is a target without an explicit account (migrations/0007_target_scans.sql).
  const selectInstancesPerTarget = db.prepare<[], { account: string; region: string; n: number }>(
    `SELECT ts.account, ts.region,
       (SELECT count(*) FROM instances i
        WHERE i.region = ts.region AND coalesce(i.account, '') = ts.account AND i.present = 1) AS n
     FROM target_scans ts ORDER BY ts.account, ts.region`,
  );
  // Served by the open-findings index (instance_id, path, change) of migration 0001.
  const selectFirstSeen = db.prepare<
    [string],
    { instance_id: string; path: string; change: string; first_seen: string; actual: string }
  >(
    `SELECT instance_id, path, change, first_seen, actual FROM findings
     WHERE resolved_at IS NULL AND instance_id IN (SELECT value FROM json_each(?))`,
  );
  const selectScan = db.prepare<[string], ScanRow>(`SELECT ${SCAN_COLUMNS} FROM scans WHERE scan_id = ?`);
  const countSection = db.prepare<
    { instanceId: string; sectionLow: string; sectionHigh: string },
    { open: number; accepted: number }
  >(
    `SELECT count(*) AS open, coalesce(sum(f.accepted), 0) AS accepted FROM findings f
     WHERE f.instance_id = @instanceId AND f.resolved_at IS NULL AND ${SECTION_RANGE}`,
  );

  return {
    persistScan,
    recordFailedScan,
    snapshot,
    pageManifestMismatches: shared.pageManifestMismatches,
    lastTargetScanAt: createLastTargetScanReader(db),
    releaseUnowned: createTargetRelease(db),
    instancesPerTarget: () =>
      selectInstancesPerTarget.all().map((r) => ({
        account: r.account === '' ? null : r.account,
        region: r.region,
        instances: r.n,
      })),
    ...createFleetPages(db),

    listInstances(query: InstanceQuery = {}): StoredInstance[] {
      const { where, params } = instanceFilterSql(query);
      const statement = prepared<Record<string, unknown>, InstanceRow>(
        `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE ${where.join(' AND ')}
         ORDER BY instance_id LIMIT @limit`,
      );
      return statement.all({ ...params, ...limitOf(query) }).map(toStoredInstance);
    },

    getInstance(instanceId: string): StoredInstance | null {
      const row = selectInstance.get(instanceId);
      return row ? toStoredInstance(row) : null;
    },

    listFindings(query: FindingQuery = {}): StoredFinding[] {
      const resolved = query.resolvedOnly
        ? ['f.resolved_at IS NOT NULL']
        : query.includeResolved
          ? []
          : ['f.resolved_at IS NULL'];
      const { where, params } = equalsFilter(findingEquals(query), resolved);
      Object.assign(params, limitOf(query));
      if (query.section !== undefined) {
        where.push(SECTION_RANGE);
        Object.assign(params, sectionBounds(query.section));
      }
      if (query.after !== undefined) {
        // Keyset paging over the open-findings index: a page costs its rows, however deep it is.
        where.push('(f.path, f.change) > (@afterPath, @afterChange)');
        params.afterPath = query.after.path;
        params.afterChange = query.after.change;
      }
      const statement = prepared<Record<string, unknown>, FindingRow>(
        `SELECT ${FINDING_COLUMNS} FROM ${FINDING_TABLES}
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${query.resolvedOnly ? 'f.resolved_at DESC, f.id DESC' : 'f.instance_id, f.path, f.change, f.id'}
         LIMIT @limit`,
      );
      return statement.all(params).map(toStoredFinding);
    },

    openFindingsFirstSeen(scanned: readonly ScannedInstance[]): Map<string, string> {
      // The actual value each scanned finding has now, in the column's encoding: the scan writer
      // rewrites a changed actual in place and keeps first_seen, but for consensus the new value was
      // first seen now.
      const actualNow = new Map<string, string>();
      for (const item of scanned)
        for (const f of item.findings)
          actualNow.set(
            openFindingKey(item.observation.instanceId, f.path, f.change),
            toJsonColumn(f.actual),
          );
      const instanceIds = scanned.map((s) => s.observation.instanceId);
      const firstSeen = new Map<string, string>();
      // A chunk at a time, like the scan writer: one JSON parameter per chunk, rows held briefly.
      for (let start = 0; start < instanceIds.length; start += FIRST_SEEN_CHUNK) {
        const ids = JSON.stringify(instanceIds.slice(start, start + FIRST_SEEN_CHUNK));
        for (const row of selectFirstSeen.all(ids)) {
          const key = openFindingKey(row.instance_id, row.path, row.change);
          if (actualNow.get(key) === row.actual) firstSeen.set(key, row.first_seen);
        }
      }
      return firstSeen;
    },

    countOpenFindings(instanceId: string, sections: readonly string[]): SectionCount[] {
      return sections.map((section) => {
        const row = countSection.get({ instanceId, ...sectionBounds(section) });
        return { section, open: row?.open ?? 0, accepted: row?.accepted ?? 0 };
      });
    },

    listScans(limit?: number): ScanRecord[] {
      return selectScans.all(limit ?? -1).map(toScanRecord);
    },

    getScan(scanId: string): ScanRecord | null {
      const row = selectScan.get(scanId);
      return row ? toScanRecord(row) : null;
    },
  };
}
