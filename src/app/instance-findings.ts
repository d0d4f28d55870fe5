// One instance's open findings as bounded views: the first page of each section, its count, and where the next page starts.
import { compareStrings } from '../core/compare-strings.js';
import { FINDING_SECTIONS } from '../core/finding-cap.js';
import type { HostObservation, HostSection } from '../domain/types.js';
import { toPage, type Page } from './paging.js';
import type { FindingKey, FleetRepository, StoredFinding } from './ports.js';

/** Findings per section the instance page and `GET /api/v1/instances/{id}` show. */
export const INSTANCE_VIEW_LIMIT = 100;
export type FindingsPage = Page<StoredFinding, FindingKey>;

export interface SectionView extends FindingsPage {
  section: string;
  /** Open findings in the section (accepted ones included); `items` holds at most the view limit of them. */
  total: number;
  accepted: number;
}

/** One page of a section's open findings in path order: limit + 1 rows are read to know whether more follow. */
export function findingsPage(
  fleet: Pick<FleetRepository, 'listFindings'>,
  instanceId: string,
  section: string,
  limit: number,
  after?: FindingKey,
): FindingsPage {
  const rows = fleet.listFindings({ instanceId, section, limit: limit + 1, ...(after ? { after } : {}) });
  return toPage(rows, limit, (f): FindingKey => ({ path: f.path, change: f.change }));
}

/** Every section's first page and count: reads what it shows, whatever the instance holds. */
export function instanceSectionViews(
  fleet: Pick<FleetRepository, 'listFindings' | 'countOpenFindings'>,
  instanceId: string,
  limit: number = INSTANCE_VIEW_LIMIT,
): SectionView[] {
  return fleet.countOpenFindings(instanceId, FINDING_SECTIONS).map(({ section, open, accepted }) => ({
    section,
    total: open,
    accepted,
    ...(open === 0 ? { items: [], next: null } : findingsPage(fleet, instanceId, section, limit)),
  }));
}

/** Entries per host map (packages, files, services) an observation shows in `GET /api/v1/instances/{id}`. */
export const OBSERVATION_VIEW_LIMIT = 1000;

/**
 * A host observation with each map cut to its first `limit` keys in key order; `truncated` gives the
 * full size of every map that was cut, so a 100,000-file push does not make a 10 MB answer.
 */
export function boundHostObservation(
  observation: HostObservation,
  limit: number = OBSERVATION_VIEW_LIMIT,
): HostObservation & { truncated?: Partial<Record<keyof HostSection, number>> } {
  const truncated: Partial<Record<keyof HostSection, number>> = {};
  const host: HostSection = {};
  for (const section of ['packages', 'files', 'services'] as const) {
    const map = observation.host[section] as Record<string, unknown> | undefined;
    if (map === undefined) continue;
    const keys = Object.keys(map);
    if (keys.length <= limit) {
      (host as Record<string, unknown>)[section] = map;
      continue;
    }
    truncated[section] = keys.length;
    const kept = keys.sort(compareStrings).slice(0, limit);
    (host as Record<string, unknown>)[section] = Object.fromEntries(kept.map((k) => [k, map[k]]));
  }
  return Object.keys(truncated).length === 0 ? observation : { ...observation, host, truncated };
}
