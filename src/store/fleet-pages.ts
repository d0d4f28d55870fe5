// Keyset pages of the fleet tables: each reads limit + 1 rows of an index range (migration 0009), however deep.
import { toPage, type Page, type PageRequest } from '../app/paging.js';
import type {
  FindingFilter,
  FindingListKey,
  FleetRepository,
  HistoryKey,
  InstanceFilter,
  InstanceKey,
  ScanKey,
  ScanRecord,
  StoredFinding,
  StoredInstance,
} from '../app/ports.js';
import { cachedPerQueryUntilChange, createChangeStamp } from './change-stamp.js';
import type { Database } from './database.js';
import {
  FINDING_COLUMNS,
  FINDING_TABLES,
  INSTANCE_COLUMNS,
  SCAN_COLUMNS,
  toScanRecord,
  toStoredFinding,
  toStoredInstance,
  type FindingRow,
  type InstanceRow,
  type ScanRow,
} from './fleet-rows.js';
import { equalsFilter, type SqlFilter } from './sql-filter.js';
import { createStatementCache } from './statement-cache.js';

/** Present instances matching the filter (gone instances left the fleet; getInstance still finds them). */
export function instanceFilterSql(filter: InstanceFilter): SqlFilter {
  return equalsFilter(
    {
      status: ['status', filter.status],
      region: ['region', filter.region],
      group: ['grp', filter.group],
      imageId: ['image_id', filter.imageId],
    },
    ['present = 1'],
  );
}

/** Findings matching the filter, over table alias `f`: open only unless `includeResolved`. */
export function findingFilterSql(filter: FindingFilter): SqlFilter {
  return equalsFilter(findingEquals(filter), filter.includeResolved ? [] : ['f.resolved_at IS NULL']);
}

/** The equality filters every findings listing takes, over table alias `f`. */
export function findingEquals(
  filter: Pick<FindingFilter, 'instanceId' | 'rule' | 'severity' | 'scope'>,
): Record<string, readonly [string, unknown]> {
  return {
    instanceId: ['f.instance_id', filter.instanceId],
    rule: ['f.rule', filter.rule],
    severity: ['f.severity', filter.severity],
    scope: ['f.scope', filter.scope],
  };
}

function whereClause(where: readonly string[]): string {
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

export type FleetPages = Pick<
  FleetRepository,
  'pageInstances' | 'countInstances' | 'pageFindings' | 'pageHistory' | 'pageScans'
>;

/** Pages of findings kept between two changes of the database (one entry per filter and cursor). */
const FINDING_PAGES_CACHED = 32;

export function createFleetPages(db: Database): FleetPages {
  const prepared = createStatementCache(db);

  const instancesAfter = (filter: InstanceFilter, after: InstanceKey | undefined): SqlFilter => {
    const { where, params } = instanceFilterSql(filter);
    if (after !== undefined) {
      where.push('instance_id > @afterId');
      params.afterId = after[0];
    }
    return { where, params };
  };

  const readFindingPage = (
    filter: FindingFilter,
    page: PageRequest<FindingListKey>,
  ): Page<StoredFinding, FindingListKey> => {
    const { where, params } = findingFilterSql(filter);
    if (page.after !== undefined) {
      where.push(
        '(f.instance_id, f.path, f.change, f.id) > (@afterInstance, @afterPath, @afterChange, @afterId)',
      );
      const [afterInstance, afterPath, afterChange, afterId] = page.after;
      Object.assign(params, { afterInstance, afterPath, afterChange, afterId });
    }
    const rows = prepared<Record<string, unknown>, FindingRow>(
      `SELECT ${FINDING_COLUMNS} FROM ${FINDING_TABLES} ${whereClause(where)}
       ORDER BY f.instance_id, f.path, f.change, f.id LIMIT @limit`,
    ).all({ ...params, limit: page.limit + 1 });
    return toPage(rows.map(toStoredFinding), page.limit, (f): FindingListKey => [
      f.instanceId,
      f.path,
      f.change,
      f.id,
    ]);
  };
  // Dashboards, scripts and the web UI ask for the same pages (the first above all) many times
  // between two scans: each is read once per change of the database, not once per request.
  const cachedFindingPages = cachedPerQueryUntilChange(
    createChangeStamp(db),
    FINDING_PAGES_CACHED,
    ({ filter, page }: { filter: FindingFilter; page: PageRequest<FindingListKey> }) =>
      readFindingPage(filter, page),
  );

  return {
    pageInstances(filter: InstanceFilter, page: PageRequest<InstanceKey>): Page<StoredInstance, InstanceKey> {
      const { where, params } = instancesAfter(filter, page.after);
      const rows = prepared<Record<string, unknown>, InstanceRow>(
        `SELECT ${INSTANCE_COLUMNS} FROM instances ${whereClause(where)} ORDER BY instance_id LIMIT @limit`,
      ).all({ ...params, limit: page.limit + 1 });
      return toPage(rows.map(toStoredInstance), page.limit, (i): InstanceKey => [i.instanceId]);
    },

    countInstances(filter: InstanceFilter): number {
      const { where, params } = instanceFilterSql(filter);
      return (
        prepared<Record<string, unknown>, { n: number }>(
          `SELECT count(*) AS n FROM instances ${whereClause(where)}`,
        ).get(params)?.n ?? 0
      );
    },

    pageFindings(
      filter: FindingFilter,
      page: PageRequest<FindingListKey>,
    ): Page<StoredFinding, FindingListKey> {
      return cachedFindingPages({ filter, page });
    },

    pageHistory(instanceId: string, page: PageRequest<HistoryKey>): Page<StoredFinding, HistoryKey> {
      const where = ['f.instance_id = @instanceId', 'f.resolved_at IS NOT NULL'];
      const params: Record<string, unknown> = { instanceId, limit: page.limit + 1 };
      if (page.after !== undefined) {
        where.push('(f.resolved_at, f.id) < (@afterResolved, @afterId)');
        [params.afterResolved, params.afterId] = page.after;
      }
      const rows = prepared<Record<string, unknown>, FindingRow>(
        `SELECT ${FINDING_COLUMNS} FROM ${FINDING_TABLES} ${whereClause(where)}
         ORDER BY f.resolved_at DESC, f.id DESC LIMIT @limit`,
      ).all(params);
      // Every row here is resolved (the WHERE clause), so resolvedAt is set.
      return toPage(rows.map(toStoredFinding), page.limit, (f): HistoryKey => [f.resolvedAt ?? '', f.id]);
    },

    pageScans(page: PageRequest<ScanKey>): Page<ScanRecord, ScanKey> {
      const params: Record<string, unknown> = { limit: page.limit + 1 };
      let where = '';
      if (page.after !== undefined) {
        where = 'WHERE (finished_at, started_at, scan_id) < (@afterFinished, @afterStarted, @afterId)';
        [params.afterFinished, params.afterStarted, params.afterId] = page.after;
      }
      const rows = prepared<Record<string, unknown>, ScanRow>(
        `SELECT ${SCAN_COLUMNS} FROM scans ${where}
         ORDER BY finished_at DESC, started_at DESC, scan_id DESC LIMIT @limit`,
      ).all(params);
      return toPage(rows.map(toScanRecord), page.limit, (s): ScanKey => [
        s.finishedAt,
        s.startedAt,
        s.scanId,
      ]);
    },
  };
}
