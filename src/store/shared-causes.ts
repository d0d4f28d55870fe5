// Fleet-wide findings summed up per image and path: the manifest-mismatch list and the shared causes metrics alert on.
import { toPage, type Page, type PageRequest } from '../app/paging.js';
import type { ManifestMismatch, MismatchKey, SharedCause } from '../app/ports.js';
import type { Change, FindingOnset } from '../domain/types.js';
import type { Database } from './database.js';
import { OPEN_UNACCEPTED, SEVERITY_BY_RANK, SEVERITY_RANK_SQL } from './fleet-snapshot.js';

interface MismatchRow {
  region: string;
  image_id: string;
  path: string;
  change: Change;
  rule: string;
  rank: number;
  expected: string;
  actual: string;
  instances: number;
  first_seen: string;
}

interface CauseRow {
  region: string;
  image_id: string;
  path: string;
  onset: FindingOnset;
  rank: number;
  instances: number;
}

const FLEET_WIDE = `${OPEN_UNACCEPTED} AND f.scope = 'fleet-wide'`;

export interface SharedCauseReader {
  pageManifestMismatches: (page: PageRequest<MismatchKey>) => Page<ManifestMismatch, MismatchKey>;
  /** At most `limit` causes, worst first, and how many there are. */
  sharedCauses: (limit: number) => { causes: SharedCause[]; total: number };
}

export function createSharedCauseReader(db: Database): SharedCauseReader {
  // One path of an image has one fleet-wide value unless fleetWideShare is at most one half; then
  // min() picks one of them, the same one each time.
  const mismatchColumns = `i.region, f.image_id, f.path, min(f.change) AS change, min(f.rule) AS rule,
    max(${SEVERITY_RANK_SQL}) AS rank, min(f.expected) AS expected, min(f.actual) AS actual,
    count(*) AS instances, min(f.first_seen) AS first_seen`;
  const mismatches = `${FLEET_WIDE} AND f.onset = 'since-boot'`;
  const mismatchOrder = 'GROUP BY f.image_id, i.region, f.path ORDER BY f.image_id, i.region, f.path LIMIT ?';
  const firstMismatches = db.prepare<[number], MismatchRow>(
    `SELECT ${mismatchColumns} ${mismatches} ${mismatchOrder}`,
  );
  // The cursor is on the group keys, so it filters rows before grouping: a page groups only the
  // findings at and after it (SQLite moves such a HAVING term to WHERE itself; this does not rely on it).
  const mismatchesAfter = db.prepare<[string, string, string, number], MismatchRow>(
    `SELECT ${mismatchColumns} ${mismatches} AND (f.image_id, i.region, f.path) > (?, ?, ?) ${mismatchOrder}`,
  );
  const causes = db.prepare<[number], CauseRow>(
    `SELECT i.region, f.image_id, f.path, f.onset, max(${SEVERITY_RANK_SQL}) AS rank, count(*) AS instances
     ${FLEET_WIDE} AND f.onset IS NOT NULL GROUP BY f.image_id, i.region, f.path, f.onset
     ORDER BY rank DESC, instances DESC, f.image_id, i.region, f.path, f.onset LIMIT ?`,
  );
  const countCauses = db.prepare<[], { n: number }>(
    `SELECT count(*) AS n FROM (SELECT 1 ${FLEET_WIDE} AND f.onset IS NOT NULL
     GROUP BY f.image_id, i.region, f.path, f.onset)`,
  );

  return {
    pageManifestMismatches: (page) => {
      const rows =
        page.after === undefined
          ? firstMismatches.all(page.limit + 1)
          : mismatchesAfter.all(...page.after, page.limit + 1);
      return toPage(
        rows.map((r): ManifestMismatch => ({
          region: r.region,
          imageId: r.image_id,
          path: r.path,
          change: r.change,
          rule: r.rule,
          severity: SEVERITY_BY_RANK[r.rank] ?? 'warning',
          expected: JSON.parse(r.expected) as unknown,
          actual: JSON.parse(r.actual) as unknown,
          instances: r.instances,
          firstSeen: r.first_seen,
        })),
        page.limit,
        (m): MismatchKey => [m.imageId, m.region, m.path],
      );
    },
    sharedCauses: (limit) => {
      return {
        causes: causes.all(Math.max(0, Math.floor(limit))).map((r): SharedCause => ({
          region: r.region,
          imageId: r.image_id,
          path: r.path,
          onset: r.onset,
          severity: SEVERITY_BY_RANK[r.rank] ?? 'warning',
          instances: r.instances,
        })),
        total: countCauses.get()?.n ?? 0,
      };
    },
  };
}
