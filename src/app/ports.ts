// Interfaces the application layer depends on; adapters (store, sources) implement them.
import type {
  Change,
  Finding,
  FindingOnset,
  FindingScope,
  HostObservation,
  HostSource,
  InstanceObservation,
  InstanceStatus,
  Manifest,
  ResolvedManifest,
  ScanOutcome,
  Severity,
  TargetResult,
} from '../domain/types.js';
import type { AcceptanceScope } from '../core/acceptance.js';
import type { Page, PageRequest } from './paging.js';

export type ImportOutcome = 'created' | 'unchanged';

export interface ImportResult {
  imageId: string;
  region: string;
  outcome: ImportOutcome;
}

export interface ManifestRepository {
  /** Stores a manifest; identical body → 'unchanged', different body for the same image → ConflictError. */
  import(manifest: Manifest, importedAt: string): ImportOutcome;
  /** Imports a batch in one transaction: on the first error nothing of the batch is stored. */
  importAll(manifests: readonly Manifest[], importedAt: string): ImportResult[];
  /** All manifests with derived status (active / revoked / superseded), sorted by region, image id. */
  list(): ResolvedManifest[];
  /** One page of `list()`'s order; each status is derived from the manifest's channel, not the whole table. */
  page(page: PageRequest<ManifestKey>): Page<ResolvedManifest, ManifestKey>;
  /** Manifests stored (one index count). */
  count(): number;
  get(imageId: string): ResolvedManifest | null;
  /** NotFoundError if unknown; revoking twice keeps the first reason and time. */
  revoke(imageId: string, reason: string, at: string): ResolvedManifest;
  countByStatus(): Record<'active' | 'revoked' | 'superseded', number>;
}

/** What an image's peers say about a finding (docs/signal.md). */
export interface FindingConsensus {
  scope: FindingScope;
  /** Fleet-wide findings only: since boot or after boot; null otherwise. */
  onset: FindingOnset | null;
}

/**
 * A finding as a scan persists it: with the active acceptance that covers it (null: it is drift)
 * and its peers' verdict.
 */
export interface ScannedFinding extends Finding, FindingConsensus {
  acceptanceId: number | null;
}

/** One instance's outcome in a scan, ready to persist. */
export interface ScannedInstance {
  observation: InstanceObservation;
  status: InstanceStatus;
  /** The group used for budgets and metrics: ASG name, else the manifest channel, else null. */
  group: string | null;
  findings: ScannedFinding[];
}

export interface ScanRecord {
  scanId: string;
  outcome: ScanOutcome;
  startedAt: string;
  finishedAt: string;
  targets: TargetResult[];
  instances: { total: number; compliant: number; drifted: number; unknownImage: number; stale: number };
  /** Number of open findings after the scan. */
  findings: number;
}

/** A scan that could not be persisted: its targets carry the reason as their error. */
export type FailedScanInput = Pick<PersistScanInput, 'scanId' | 'startedAt' | 'finishedAt' | 'targets'>;

export interface PersistScanInput {
  scanId: string;
  startedAt: string;
  finishedAt: string;
  outcome: ScanOutcome;
  targets: TargetResult[];
  /** Instances observed in targets that answered (status 'ok'). */
  scanned: ScannedInstance[];
  /**
   * Targets that failed: their previously known instances are marked stale and keep their
   * findings untouched (nothing created, nothing resolved).
   */
  staleTargets: { account: string | null; region: string }[];
  /**
   * The acceptances active when the scan started. Scanned findings carry theirs; the open findings
   * of stale targets' instances are matched against these, so an expiry or revocation reaches them too.
   */
  acceptances: readonly AcceptanceScope[];
}

export interface StoredFinding extends Finding, FindingConsensus {
  id: number;
  account: string | null;
  region: string;
  group: string | null;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  /** `released`: resolved because this replica released its instance; null: resolved by a scan (fixed, or the instance gone), or open. */
  resolvedReason: ResolvedReason | null;
  /** Covered by an acceptance at the last scan that saw it (same as `acceptance !== null`). */
  accepted: boolean;
  acceptance: FindingAcceptance | null;
}

/** Why a finding was resolved other than by a scan. */
export type ResolvedReason = 'released';

/** The present instances and open findings a replica released of one target it does not own. */
export interface ReleasedTarget {
  account: string | null;
  region: string;
  instances: number;
  findings: number;
}

/** The acceptance a finding was reported as accepted under (joined from `acceptance_id`). */
export interface FindingAcceptance {
  id: number;
  reason: string;
  until: string;
  createdBy: string;
}

export interface StoredInstance {
  instanceId: string;
  account: string | null;
  region: string;
  imageId: string;
  group: string | null;
  status: InstanceStatus;
  /**
   * Instances not returned by a successful scan of their target are 'gone' and leave the fleet;
   * instances of a target this replica no longer owns are released (`releasedAt`) and leave its fleet.
   */
  present: boolean;
  observation: InstanceObservation;
  firstSeen: string;
  lastSeen: string;
  lastScanId: string;
  /** When this replica released the instance (its target moved to another shard or left the configuration); null otherwise. */
  releasedAt: string | null;
}

export interface InstanceFilter {
  status?: InstanceStatus;
  region?: string;
  group?: string;
  imageId?: string;
}

export interface InstanceQuery extends InstanceFilter {
  limit?: number;
}

/** Where a page of instances ends: lists are in instance id order. */
export type InstanceKey = [instanceId: string];

/** Sort key of the fleet-wide findings list: instance, path, change, then id (unique). */
export type FindingListKey = [instanceId: string, path: string, change: Change, id: number];

/** Sort key of an instance's resolved findings, newest resolved first. */
export type HistoryKey = [resolvedAt: string, id: number];

/** Sort key of the scans list, newest finished first. */
export type ScanKey = [finishedAt: string, startedAt: string, scanId: string];

/** Sort key of the manifests list: region, then image id. */
export type ManifestKey = [region: string, imageId: string];

export interface FindingFilter {
  instanceId?: string;
  rule?: string;
  severity?: Severity;
  scope?: FindingScope;
  /** Default: open only. */
  includeResolved?: boolean;
}

export interface FindingQuery {
  instanceId?: string;
  rule?: string;
  severity?: Severity;
  scope?: FindingScope;
  /** Default: open only. */
  includeResolved?: boolean;
  /** Resolved findings only, newest resolved first (an instance's history). */
  resolvedOnly?: boolean;
  /** Open findings of one section (`host.files`: the section's findings and its `truncated` summary). */
  section?: string;
  /** Open findings after this one in path, change order (keyset paging); needs `instanceId`. */
  after?: FindingKey;
  limit?: number;
}

/** Where a page of one instance's open findings ends: (path, change) is unique among them. */
export interface FindingKey {
  path: string;
  change: Change;
}

/** How many open findings one section of an instance holds, and how many of them are accepted. */
export interface SectionCount {
  section: string;
  open: number;
  accepted: number;
}

/** The key of `FleetRepository.openFindingsFirstSeen`: an open finding is unique per instance, path and change. */
export function openFindingKey(instanceId: string, path: string, change: string): string {
  return `${instanceId}\u0000${path}\u0000${change}`;
}

/** Where a page of manifest mismatches ends: they sort by image, region and path. */
export type MismatchKey = [imageId: string, region: string, path: string];

/**
 * One image and path whose difference is fleet-wide since boot (docs/signal.md): a bake, manifest or
 * boot-time cause, reported once instead of once per instance.
 */
export interface ManifestMismatch {
  region: string;
  imageId: string;
  path: string;
  change: Change;
  rule: string;
  /** The worst severity among its findings. */
  severity: Severity;
  /** What the manifest declares. */
  expected: unknown;
  /** The value the image's instances agree on. */
  actual: unknown;
  /** Present instances with this open, unaccepted finding. */
  instances: number;
  /** When the earliest of them was first seen. */
  firstSeen: string;
}

/** An image and path whose open, unaccepted findings are fleet-wide, with their onset: one alert each. */
export interface SharedCause {
  region: string;
  imageId: string;
  path: string;
  onset: FindingOnset;
  severity: Severity;
  instances: number;
}

export interface FleetSnapshot {
  instancesByStatus: Record<InstanceStatus, number>;
  findingsByRuleSeverity: { rule: string; severity: Severity; scope: FindingScope; count: number }[];
  /**
   * Drifted instances with their worst open severity, worst first, at most `limit`. Fleet-wide
   * findings do not count here: they are one `sharedCauses` entry per image and path instead.
   */
  driftedInstances: {
    instanceId: string;
    /** The instance's target, so an alert on it can be matched to that target's staleness. */
    account: string | null;
    region: string;
    imageId: string;
    group: string | null;
    severity: Severity;
  }[];
  /** Fleet-wide causes, worst severity then most instances first, at most `limit`; `sharedCausesTotal` counts all. */
  sharedCauses: SharedCause[];
  sharedCausesTotal: number;
  /** Oldest first_seen of an open, unaccepted finding, per severity. */
  oldestOpenBySeverity: Partial<Record<Severity, string>>;
  lastSuccessfulScanAt: string | null;
  /** When each target (account × region) was last listed successfully; targets never listed are absent. */
  targetScans: { account: string | null; region: string; scannedAt: string }[];
  scansByOutcome: Record<ScanOutcome, number>;
}

export interface FleetRepository {
  /** Persists one scan atomically (one transaction): instances, findings, scan record. */
  persistScan(input: PersistScanInput): ScanRecord;
  /**
   * Records a scan whose persist failed as `failure` (one small row; the fleet's rows are left as
   * they were). Throws when even that cannot be written, e.g. on a full disk.
   */
  recordFailedScan(input: FailedScanInput): ScanRecord;
  listInstances(query?: InstanceQuery): StoredInstance[];
  getInstance(instanceId: string): StoredInstance | null;
  listFindings(query?: FindingQuery): StoredFinding[];
  /**
   * When each scanned finding that is already open with the same actual value was first seen, keyed
   * by `openFindingKey`: the scan's peer consensus needs it before the scan is persisted. A new
   * finding, or one whose actual value changed since, is absent (first seen now).
   */
  openFindingsFirstSeen(scanned: readonly ScannedInstance[]): Map<string, string>;
  /** Open findings per section of one instance (`sections` in order; an index range count each). */
  countOpenFindings(instanceId: string, sections: readonly string[]): SectionCount[];
  listScans(limit?: number): ScanRecord[];
  getScan(scanId: string): ScanRecord | null;
  /** Present instances in instance id order, one keyset page. */
  pageInstances(filter: InstanceFilter, page: PageRequest<InstanceKey>): Page<StoredInstance, InstanceKey>;
  /** Present instances matching the filter (a count over an index). */
  countInstances(filter: InstanceFilter): number;
  /** Findings (open by default) in instance, path, change order, one keyset page. */
  pageFindings(filter: FindingFilter, page: PageRequest<FindingListKey>): Page<StoredFinding, FindingListKey>;
  /** One instance's resolved findings, newest resolved first, one keyset page. */
  pageHistory(instanceId: string, page: PageRequest<HistoryKey>): Page<StoredFinding, HistoryKey>;
  /** Scans, newest finished first, one keyset page. */
  pageScans(page: PageRequest<ScanKey>): Page<ScanRecord, ScanKey>;
  /** Image and path pairs whose open, unaccepted findings are fleet-wide since boot, one keyset page. */
  pageManifestMismatches(page: PageRequest<MismatchKey>): Page<ManifestMismatch, MismatchKey>;
  snapshot(driftedLimit: number): FleetSnapshot;
  /**
   * When the newest scan that listed at least one target successfully finished (whatever its
   * outcome): one read of the per-target table, for probes that run every few seconds.
   */
  lastTargetScanAt(): string | null;
  /**
   * Releases every target holding present instances that is not in `owned` (this replica's targets):
   * in one transaction its instances leave the fleet as released (not gone) and their open findings
   * are resolved as released. Returns what was released per target, in account and region order.
   */
  releaseUnowned(owned: readonly { account: string | null; region: string }[], at: string): ReleasedTarget[];
  /** Present instances of each target ever listed (account null = no explicit account), in account and region order. */
  instancesPerTarget(): { account: string | null; region: string; instances: number }[];
}

/** Sort keys of the drifted-instance table; `age` is `firstSeen` in the other direction. */
export const DRIFTED_SORT_KEYS = [
  'severity',
  'instance',
  'region',
  'group',
  'image',
  'rule',
  'firstSeen',
  'age',
] as const;
export type DriftedSortKey = (typeof DRIFTED_SORT_KEYS)[number];
/** Worst and oldest first unless asked otherwise; the store and the table headers both use this. */
export const DRIFTED_SORT_DESCENDING_BY_DEFAULT: readonly DriftedSortKey[] = ['severity', 'age'];

export interface DriftedQuery {
  region?: string;
  group?: string;
  /** Instances with at least one open, unaccepted finding of this severity. */
  severity?: Severity;
  /** Instances with at least one open, unaccepted finding of this rule. */
  rule?: string;
  /** Instances with at least one open, unaccepted finding of this peer-consensus scope. */
  scope?: FindingScope;
  /** Instance id prefix. */
  instance?: string;
  sort?: DriftedSortKey;
  descending?: boolean;
}

/**
 * Sort key of a drifted-table page: the sort it belongs to, the row's value of that sort (severity
 * rank, or the column's text), then the tie-breakers first seen and instance id.
 */
export type DriftedKey = [
  sort: DriftedSortKey,
  value: string | number,
  firstSeen: string,
  instanceId: string,
];

/** One drifted instance: its open, unaccepted drift summed up. */
export interface DriftedInstance {
  instanceId: string;
  account: string | null;
  region: string;
  group: string | null;
  imageId: string;
  /** Its state: drifted, or unknown_image / stale with drift still open. */
  status: InstanceStatus;
  /** Worst open severity. */
  severity: Severity;
  /** Distinct rules of its open findings, sorted. */
  rules: string[];
  findings: number;
  /** Earliest first_seen of its open findings. */
  firstSeen: string;
}

export interface StatusCount {
  account: string | null;
  region: string;
  group: string | null;
  status: InstanceStatus;
  count: number;
}

/** The instance counts one stored scan recorded (its targets' instances as stored after it). */
export interface TrendPoint {
  /** When the scan finished. */
  at: string;
  drifted: number;
  stale: number;
  unknownImage: number;
}

/** The scans of a time window, bucketed: at most `points` buckets of equal length, ending at `until`. */
export interface TrendWindow {
  since: Date;
  until: Date;
  points: number;
}

/** Read models behind the web UI: aggregates the API leaves to its clients. */
export interface FleetViews {
  /**
   * The newest scan of each bucket of the window that has one, oldest first: at most
   * `window.points`, however many scans the window holds.
   */
  trend(window: TrendWindow): TrendPoint[];
  /** Instances in the fleet by account, region, group and status. */
  statusCounts(): StatusCount[];
  /** One keyset page of drifted instances in the query's order, and how many match in all. */
  listDrifted(
    query: DriftedQuery,
    page: PageRequest<DriftedKey>,
  ): Page<DriftedInstance, DriftedKey> & { total: number };
  /** Values the drifted table can be filtered on (present instances, open drift), sorted. */
  driftFacets(): { regions: string[]; groups: string[]; rules: string[] };
  /** Instances in the fleet per image id, for these images only (an index count each). */
  instancesPerImage(imageIds: readonly string[]): Map<string, number>;
  /**
   * Present instances launched at or after `launchedSince` (ISO-8601 UTC), newest launch first and at
   * most `limit`, each with its open host findings (path order).
   */
  freshInstances(launchedSince: string, limit: number): FreshInstanceRecord[];
}

/** A recently launched instance and its open host findings: the input of boot-noise suggestions. */
export interface FreshInstanceRecord {
  instanceId: string;
  imageId: string;
  launchTime: string;
  findings: { path: string; change: Change; rule: string; actual: unknown; firstSeen: string }[];
}

export interface HostRepository {
  /** Keeps the newest observation per (instance, source); an older push never overwrites a newer one. */
  save(observation: HostObservation, receivedAt: string): void;
  /** Newest observation per instance (any source). */
  latest(instanceId: string): HostObservation | null;
  /** The newest observation of one source (the agent push merges unchanged sections from it). */
  get(instanceId: string, source: HostSource): HostObservation | null;
  /** Like `save` for many observations, in one transaction: all are saved or none. */
  saveMany(observations: readonly HostObservation[], receivedAt: string): void;
  /**
   * The newest observation of each of these sources, per instance, newest first. Other sources'
   * rows are never read; observations are parsed when an instance is first looked up.
   */
  latestOf(sources: readonly HostSource[]): HostLookup;
  /**
   * Marks these instances' observations from `source` as still current at `observedAt` (host data
   * unchanged), e.g. inventory a sync found unchanged; never moves an observation back in time.
   */
  confirm(instanceIds: readonly string[], source: HostSource, observedAt: string): void;
  /** Drops an instance's observation from one source (e.g. its inventory item was deleted). */
  forget(instanceId: string, source: HostSource): void;
  /** Like `forget` for many instances, in one transaction. */
  forgetMany(instanceIds: readonly string[], source: HostSource): void;
}

/** Host observations per instance, read once per scan and parsed on first lookup. */
export interface HostLookup {
  get(instanceId: string): readonly HostObservation[] | undefined;
  /** Every instance with an observation of the looked-up sources, sorted. */
  instanceIds(): string[];
}

/** An expiring exception for drift ("accept this drift"): findings it matches are reported as accepted. */
export interface Acceptance {
  id: number;
  /** null: any instance (then `rule` is set). */
  instanceId: string | null;
  /** A rule id; null: any rule (then `instanceId` is set). */
  rule: string | null;
  reason: string;
  /** ISO-8601 UTC; the acceptance stops covering findings from the first scan at or after this time. */
  until: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface NewAcceptance {
  instanceId: string | null;
  rule: string | null;
  reason: string;
  until: string;
  createdBy: string;
}

export interface AcceptanceQuery {
  /** Only acceptances naming this instance (not rule-wide ones). */
  instanceId?: string;
  /** Also expired and revoked ones (default: active only). */
  includeInactive?: boolean;
  /** The time "active" is judged at (default: the store's clock). */
  at?: string;
}

export interface AcceptanceRepository {
  add(input: NewAcceptance, at: string): Acceptance;
  /** Not revoked and until > at; sorted by id. */
  active(at: string): Acceptance[];
  /** Every acceptance (optionally only those naming this instance), newest first. */
  list(query?: AcceptanceQuery): Acceptance[];
  /** `list` one keyset page at a time: the key is the acceptance id (newest first). */
  page(query: AcceptanceQuery, page: PageRequest<number>): Page<Acceptance, number>;
  /** How many acceptances `list` would return (one count, no rows read). */
  count(query: AcceptanceQuery): number;
  get(id: number): Acceptance | null;
  /** NotFoundError if unknown; revoking twice keeps the first revocation. */
  revoke(id: number, by: string, at: string): Acceptance;
}

/** The tables retention prunes: the `table` label of `driftwarden_pruned_rows_total`. */
export const PRUNED_TABLES = ['instances', 'findings', 'scans', 'host_observations', 'audit_log'] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];
export type PruneCounts = Record<PrunedTable, number>;

/** How long each kind of row is kept, in milliseconds (`database.retention`). */
export interface RetentionPolicy {
  goneInstancesMs: number;
  resolvedFindingsMs: number;
  scansMs: number;
  hostObservationsMs: number;
  auditMs: number;
}
