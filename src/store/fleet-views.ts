// The web UI's read models over the fleet tables: counts by place and state, the drifted-instance table.
import { toPage, type Page, type PageRequest } from '../app/paging.js';
import {
  DRIFTED_SORT_DESCENDING_BY_DEFAULT,
  type DriftedInstance,
  type DriftedKey,
  type DriftedQuery,
  type DriftedSortKey,
  type FleetViews,
  type FreshInstanceRecord,
  type StatusCount,
  type TrendPoint,
  type TrendWindow,
} from '../app/ports.js';
import type { Change, InstanceStatus } from '../domain/types.js';
import type { Database } from './database.js';
import { OPEN_UNACCEPTED, SEVERITY_BY_RANK, SEVERITY_RANK_SQL } from './fleet-snapshot.js';
import { cachedPerQueryUntilChange, cachedUntilChange, createChangeStamp } from './change-stamp.js';
import { equalsFilter } from './sql-filter.js';
import { createStatementCache } from './statement-cache.js';

// Each key is a fixed SQL expression over the grouped rows (none is null): user input never
// reaches ORDER BY as text.
const SORT_SQL = {
  severity: 'rank',
  instance: 'instance_id',
  region: 'region',
  group: "coalesce(grp, '')",
  image: 'image_id',
  rule: 'first_rule',
  firstSeen: 'first_seen',
  age: 'first_seen',
} satisfies Record<DriftedSortKey, string>;

// Ascending on screen means "smallest first"; for age that is the newest first_seen.
const REVERSED: ReadonlySet<DriftedSortKey> = new Set(['age']);

interface DriftedRow {
  instance_id: string;
  account: string | null;
  region: string;
  grp: string | null;
  image_id: string;
  status: InstanceStatus;
  rank: number;
  rules: string;
  findings: number;
  first_seen: string;
  sort_key: string | number;
}

interface DriftedFilter {
  where: string;
  having: string;
  params: Record<string, unknown>;
}

function driftedFilter(query: DriftedQuery): DriftedFilter {
  const { where, params } = equalsFilter({
    region: ['i.region', query.region],
    group: ['i.grp', query.group],
  });
  const having: string[] = [];
  if (query.instance !== undefined && query.instance !== '') {
    // A prefix match without LIKE: `_` and `%` in the input are literal.
    where.push('substr(i.instance_id, 1, length(@instance)) = @instance');
    params.instance = query.instance;
  }
  if (query.severity !== undefined) {
    having.push('sum(f.severity = @severity) > 0');
    params.severity = query.severity;
  }
  if (query.rule !== undefined) {
    having.push('sum(f.rule = @rule) > 0');
    params.rule = query.rule;
  }
  if (query.scope !== undefined) {
    having.push('sum(f.scope = @scope) > 0');
    params.scope = query.scope;
  }
  return {
    where: where.map((w) => ` AND ${w}`).join(''),
    having: having.length ? `HAVING ${having.join(' AND ')}` : '',
    params,
  };
}

function toDriftedInstance(r: DriftedRow): DriftedInstance {
  return {
    instanceId: r.instance_id,
    account: r.account,
    region: r.region,
    group: r.grp,
    imageId: r.image_id,
    status: r.status,
    severity: SEVERITY_BY_RANK[r.rank] ?? 'warning',
    rules: (JSON.parse(r.rules) as string[]).sort(),
    findings: r.findings,
    firstSeen: r.first_seen,
  };
}

export function createFleetViews(db: Database): FleetViews {
  const prepared = createStatementCache(db);
  const statusCounts = db.prepare<
    [],
    { account: string | null; region: string; grp: string | null; status: InstanceStatus; n: number }
  >(
    // Read from instances_present_counts (0015) alone, in its order: no row of the table is visited.
    `SELECT account, region, grp, status, count(*) AS n FROM instances WHERE present = 1
     GROUP BY region, account, grp, status ORDER BY region, account, grp, status`,
  );
  const regions = db.prepare<[], { v: string }>(
    'SELECT DISTINCT region AS v FROM instances WHERE present = 1 ORDER BY v',
  );
  const groups = db.prepare<[], { v: string }>(
    'SELECT DISTINCT grp AS v FROM instances WHERE present = 1 AND grp IS NOT NULL ORDER BY v',
  );
  const rules = db.prepare<[], { v: string }>(`SELECT DISTINCT f.rule AS v ${OPEN_UNACCEPTED} ORDER BY v`);
  // One statement for any page of images: the ids arrive as one JSON array (instances_image index).
  const perImage = db.prepare<[string], { image_id: string; n: number }>(
    `SELECT image_id, count(*) AS n FROM instances
     WHERE present = 1 AND image_id IN (SELECT value FROM json_each(?)) GROUP BY image_id`,
  );

  // The counts each scan stored with itself (scans.counts), one scan per bucket: the newest, whose
  // row SQLite's max() hands the bare columns. The range is read through scans_finished; bucket 0
  // ends at @until, so a window of N buckets never yields more than N rows. The age is rounded to
  // whole milliseconds before the integer division: julianday's fractions would put a scan exactly
  // on a boundary into either bucket.
  const trend = db.prepare<
    [{ since: string; until: string; bucketMs: number }],
    { at: string; drifted: number; stale: number; unknown_image: number }
  >(
    `SELECT max(finished_at) AS at,
            coalesce(json_extract(counts, '$.drifted'), 0) AS drifted,
            coalesce(json_extract(counts, '$.stale'), 0) AS stale,
            coalesce(json_extract(counts, '$.unknownImage'), 0) AS unknown_image
     FROM scans WHERE finished_at > @since AND finished_at <= @until
     GROUP BY CAST(round((julianday(@until) - julianday(finished_at)) * 86400000) AS INTEGER)
              / CAST(@bucketMs AS INTEGER)
     ORDER BY at`,
  );
  // Walks instances_launch_time (0014) backwards, which is this ORDER BY: SQLite matches an
  // expression index by its text, so launch_time must stay the index's exact expression.
  const launchedSince = db.prepare<
    { since: string; limit: number },
    { instance_id: string; image_id: string; launch_time: string }
  >(
    `SELECT instance_id, image_id, json_extract(observation, '$.launchTime') AS launch_time FROM instances
     WHERE present = 1 AND launch_time >= @since ORDER BY launch_time DESC, instance_id LIMIT @limit`,
  );
  // Host paths only ("host." up to "host/", the next character): the open-findings index gives the order.
  const openHostFindings = db.prepare<
    [string],
    { instance_id: string; path: string; change: Change; rule: string; actual: string; first_seen: string }
  >(
    `SELECT instance_id, path, change, rule, actual, first_seen FROM findings
     WHERE resolved_at IS NULL AND instance_id IN (SELECT value FROM json_each(?))
       AND path >= 'host.' AND path < 'host/'
     ORDER BY instance_id, path, change`,
  );
  // Both reads see one committed state: a scan between them cannot pair findings with the wrong instances.
  const freshInstances = db.transaction((since: string, limit: number): FreshInstanceRecord[] => {
    const instances = launchedSince.all({ since, limit });
    const findings = new Map<string, FreshInstanceRecord['findings']>();
    for (const row of openHostFindings.all(JSON.stringify(instances.map((i) => i.instance_id)))) {
      const list = findings.get(row.instance_id) ?? [];
      list.push({
        path: row.path,
        change: row.change,
        rule: row.rule,
        actual: JSON.parse(row.actual),
        firstSeen: row.first_seen,
      });
      findings.set(row.instance_id, list);
    }
    return instances.map((i) => ({
      instanceId: i.instance_id,
      imageId: i.image_id,
      launchTime: i.launch_time,
      findings: findings.get(i.instance_id) ?? [],
    }));
  });

  // One read transaction: the page and its total come from the same committed state. The sort is
  // on aggregates, so no index gives the order: the grouping walks the open findings (cached below
  // until the next commit) and the cursor bounds what is handed back to a page plus one.
  const listDrifted = db.transaction(
    ({ query, page }: { query: DriftedQuery; page: PageRequest<DriftedKey> }) => {
      const { where, having, params } = driftedFilter(query);
      const grouped = `SELECT i.instance_id, i.account, i.region, i.grp, i.image_id, i.status,
        max(${SEVERITY_RANK_SQL}) AS rank, json_group_array(DISTINCT f.rule) AS rules,
        min(f.rule) AS first_rule, count(*) AS findings, min(f.first_seen) AS first_seen
      ${OPEN_UNACCEPTED}${where} GROUP BY i.instance_id ${having}`;
      const sort: DriftedSortKey = query.sort ?? 'severity';
      const descending =
        (query.descending ?? DRIFTED_SORT_DESCENDING_BY_DEFAULT.includes(sort)) !== REVERSED.has(sort);
      const key = SORT_SQL[sort];
      let after = '';
      const pageParams: Record<string, unknown> = { limit: page.limit + 1 };
      if (page.after !== undefined) {
        // The sort key, then the tie-breakers first_seen and instance id (always ascending).
        after = `WHERE (${key} ${descending ? '<' : '>'} @afterValue
        OR (${key} = @afterValue AND (first_seen, instance_id) > (@afterFirstSeen, @afterId)))`;
        [, pageParams.afterValue, pageParams.afterFirstSeen, pageParams.afterId] = page.after;
      }
      const rows = prepared<Record<string, unknown>, DriftedRow>(
        `SELECT *, ${key} AS sort_key FROM (${grouped}) ${after}
       ORDER BY ${key} ${descending ? 'DESC' : 'ASC'}, first_seen ASC, instance_id ASC LIMIT @limit`,
      ).all({ ...params, ...pageParams });
      const total = prepared<Record<string, unknown>, { n: number }>(
        `SELECT count(*) AS n FROM (${grouped})`,
      ).get(params);
      const found = toPage(rows, page.limit, (r): DriftedKey => [
        sort,
        r.sort_key,
        r.first_seen,
        r.instance_id,
      ]);
      return { items: found.items.map(toDriftedInstance), next: found.next, total: total?.n ?? 0 };
    },
  );

  // The overview's aggregates walk every present instance (or open finding); they change only when
  // a scan or a write commits, so every page view in between reuses them.
  const stamp = createChangeStamp(db);
  const cachedStatusCounts = cachedUntilChange(stamp, (): StatusCount[] =>
    statusCounts.all().map((r) => ({
      account: r.account,
      region: r.region,
      group: r.grp,
      status: r.status,
      count: r.n,
    })),
  );
  const cachedFacets = cachedUntilChange(stamp, () => ({
    regions: regions.all().map((r) => r.v),
    groups: groups.all().map((r) => r.v),
    rules: rules.all().map((r) => r.v),
  }));

  // The drifted table groups every open finding to sort on aggregates; the pages on-call keeps
  // reloading are answered from memory until the next commit (at most 32 distinct queries kept).
  // Each page is its own entry (the cursor is part of the key).
  const cachedDrifted = cachedPerQueryUntilChange(
    stamp,
    32,
    (request: { query: DriftedQuery; page: PageRequest<DriftedKey> }) => listDrifted.deferred(request),
  );

  return {
    trend({ since, until, points }: TrendWindow): TrendPoint[] {
      const bucketMs = Math.ceil((until.getTime() - since.getTime()) / points);
      if (!(bucketMs > 0)) return [];
      return trend
        .all({ since: since.toISOString(), until: until.toISOString(), bucketMs })
        .map((r) => ({ at: r.at, drifted: r.drifted, stale: r.stale, unknownImage: r.unknown_image }));
    },

    statusCounts(): StatusCount[] {
      return cachedStatusCounts();
    },

    listDrifted(
      query: DriftedQuery,
      page: PageRequest<DriftedKey>,
    ): Page<DriftedInstance, DriftedKey> & { total: number } {
      return cachedDrifted({ query, page });
    },

    driftFacets() {
      return cachedFacets();
    },

    instancesPerImage(imageIds: readonly string[]): Map<string, number> {
      if (imageIds.length === 0) return new Map();
      return new Map(perImage.all(JSON.stringify(imageIds)).map((r) => [r.image_id, r.n]));
    },

    freshInstances(launchedSince: string, limit: number): FreshInstanceRecord[] {
      return freshInstances(launchedSince, limit);
    },
  };
}
