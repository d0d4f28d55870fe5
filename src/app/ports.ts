// Interfaces the application layer depends on; adapters (store, sources) implement them.
import type {
  Finding,
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

export type ImportOutcome = 'created' | 'unchanged';

export interface ManifestRepository {
  /** Stores a manifest; identical body → 'unchanged', different body for the same image → ConflictError. */
  import(manifest: Manifest, importedAt: string): ImportOutcome;
  /** All manifests with derived status (active / revoked / superseded), sorted by region, image id. */
  list(): ResolvedManifest[];
  get(imageId: string): ResolvedManifest | null;
  /** NotFoundError if unknown; revoking twice keeps the first reason and time. */
  revoke(imageId: string, reason: string, at: string): ResolvedManifest;
  countByStatus(): Record<'active' | 'revoked' | 'superseded', number>;
}

/** One instance's outcome in a scan, ready to persist. */
export interface ScannedInstance {
  observation: InstanceObservation;
  status: InstanceStatus;
  /** The group used for budgets and metrics: ASG name, else the manifest channel, else null. */
  group: string | null;
  findings: Finding[];
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
}

export interface StoredFinding extends Finding {
  id: number;
  account: string | null;
  region: string;
  group: string | null;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  accepted: boolean;
  acceptance: { id: number; reason: string; until: string; createdBy: string } | null;
}

export interface StoredInstance {
  instanceId: string;
  account: string | null;
  region: string;
  imageId: string;
  group: string | null;
  status: InstanceStatus;
  /** Instances not returned by a successful scan of their target are 'gone' and leave the fleet. */
  present: boolean;
  observation: InstanceObservation;
  firstSeen: string;
  lastSeen: string;
  lastScanId: string;
}

export interface InstanceQuery {
  status?: InstanceStatus;
  region?: string;
  group?: string;
  imageId?: string;
  limit?: number;
  offset?: number;
}

export interface FindingQuery {
  instanceId?: string;
  rule?: string;
  severity?: Severity;
  /** Default: open only. */
  includeResolved?: boolean;
  limit?: number;
  offset?: number;
}

export interface FleetSnapshot {
  instancesByStatus: Record<InstanceStatus, number>;
  findingsByRuleSeverity: { rule: string; severity: Severity; count: number }[];
  /** Drifted instances with their worst open severity, worst first, at most `limit`. */
  driftedInstances: { instanceId: string; imageId: string; group: string | null; severity: Severity }[];
  /** Oldest first_seen of an open, unaccepted finding, per severity. */
  oldestOpenBySeverity: Partial<Record<Severity, string>>;
  lastSuccessfulScanAt: string | null;
  scansByOutcome: Record<ScanOutcome, number>;
}

export interface FleetRepository {
  /** Persists one scan atomically (one transaction): instances, findings, scan record. */
  persistScan(input: PersistScanInput): ScanRecord;
  listInstances(query?: InstanceQuery): StoredInstance[];
  getInstance(instanceId: string): StoredInstance | null;
  listFindings(query?: FindingQuery): StoredFinding[];
  listScans(limit?: number): ScanRecord[];
  getScan(scanId: string): ScanRecord | null;
  snapshot(driftedLimit: number): FleetSnapshot;
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

export interface DriftedQuery {
  region?: string;
  group?: string;
  /** Instances with at least one open, unaccepted finding of this severity. */
  severity?: Severity;
  /** Instances with at least one open, unaccepted finding of this rule. */
  rule?: string;
  /** Instance id prefix. */
  instance?: string;
  sort?: DriftedSortKey;
  descending?: boolean;
  limit?: number;
  offset?: number;
}

/** One drifted instance: its open, unaccepted drift summed up. */
export interface DriftedInstance {
  instanceId: string;
  account: string | null;
  region: string;
  group: string | null;
  imageId: string;
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

/** Read models behind the web UI: aggregates the API leaves to its clients. */
export interface FleetViews {
  /** Instances in the fleet by account, region, group and status. */
  statusCounts(): StatusCount[];
  listDrifted(query: DriftedQuery): { items: DriftedInstance[]; total: number };
  /** Values the drifted table can be filtered on (present instances, open drift), sorted. */
  driftFacets(): { regions: string[]; groups: string[]; rules: string[] };
  /** Instances in the fleet per image id. */
  instancesPerImage(): Map<string, number>;
}

export interface HostRepository {
  /** Keeps the newest observation per (instance, source); an older push never overwrites a newer one. */
  save(observation: HostObservation, receivedAt: string): void;
  /** Newest observation per instance (any source). */
  latest(instanceId: string): HostObservation | null;
  /** The newest observation of one source (the agent push merges unchanged sections from it). */
  get(instanceId: string, source: HostSource): HostObservation | null;
  /** Newest observation of every source, per instance. */
  latestAll(): Map<string, HostObservation[]>;
  /**
   * Marks these instances' observations from `source` as still current at `observedAt` (host data
   * unchanged), e.g. inventory a sync found unchanged; never moves an observation back in time.
   */
  confirm(instanceIds: readonly string[], source: HostSource, observedAt: string): void;
  /** Drops an instance's observation from one source (e.g. its inventory item was deleted). */
  forget(instanceId: string, source: HostSource): void;
}
