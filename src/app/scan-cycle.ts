// One level-triggered scan: collect every target, pair, diff, classify, persist. Reads everything afresh.
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { AcceptanceIndex, type AcceptanceScope } from '../core/acceptance.js';
import { classifyDifferences } from '../core/classify.js';
import { DEFAULT_CONSENSUS_SETTINGS, type ConsensusSettings } from '../core/consensus.js';
import { diffPair } from '../core/diff.js';
import { capFindings, DEFAULT_MAX_FINDINGS_PER_SECTION } from '../core/finding-cap.js';
import { pairInstances } from '../core/pair.js';
import { ScanPersistError, namedErrorMessage, storageFailure } from '../domain/errors.js';
import {
  HOST_SOURCES,
  type HostSource,
  type InstanceObservation,
  type InstanceStatus,
  type Pair,
  type ResolvedManifest,
  type RuleSet,
  type ScanOutcome,
  type Target,
  type TargetResult,
} from '../domain/types.js';
import type { CollectProgress, InstanceSource } from './instance-source.js';
import type { InventorySource } from './inventory-source.js';
import { rateByPeers } from './peer-consensus.js';
import type {
  AcceptanceRepository,
  FleetRepository,
  FleetSnapshot,
  HostRepository,
  ManifestRepository,
  ScannedFinding,
  ScannedInstance,
  ScanRecord,
} from './ports.js';

export interface ScanCycleDeps {
  targets: readonly Target[];
  source: InstanceSource;
  manifests: ManifestRepository;
  fleet: FleetRepository;
  hosts: HostRepository;
  acceptances: Pick<AcceptanceRepository, 'active'>;
  ruleSet: () => RuleSet;
  clock: () => Date;
  newScanId: () => string;
  /** Freshness limit per enabled host source (see pairInstances). */
  hostMaxAgeMs: Partial<Record<HostSource, number>>;
  /** Findings kept per instance and section; the rest become one `truncated` finding. Default 200. */
  maxFindingsPerSection?: number;
  /** Peer consensus settings (`signal.*`); default `DEFAULT_CONSENSUS_SETTINGS`. */
  consensus?: ConsensusSettings;
  /** Host inventory (AWS Config / SSM), synced per target after its EC2 listing; absent = disabled. */
  inventory?: InventorySource;
  logger: Logger;
  onTargetProgress?: (target: Target, progress: CollectProgress) => void;
}

/** What a scan hands back: its record. Findings are read from the store by whoever shows them, a page at a time. */
export interface ScanReport {
  record: ScanRecord;
  /** The fleet's aggregates right after the scan, when the scan thread read them for /metrics. */
  snapshot?: FleetSnapshot;
}

interface TargetCollection {
  result: TargetResult;
  instances: InstanceObservation[];
}

export interface ScanCycleOptions {
  /** Shutdown: an aborted scan persists nothing (the next start scans again). */
  signal?: AbortSignal;
  /** A scan still collecting after this long is cut short: unfinished targets are recorded stale. */
  timeoutMs?: number;
}

export async function runScanCycle(deps: ScanCycleDeps, options: ScanCycleOptions = {}): Promise<ScanReport> {
  const scanId = deps.newScanId();
  const startedAt = deps.clock().toISOString();
  const log = deps.logger.child({ scanId });
  log.info({ targets: deps.targets.length }, 'scan started');

  const manifests = deps.manifests.list();
  // Level-triggered like everything else: an acceptance added, revoked or expired since the last
  // scan takes effect now, and one that expires mid-scan still counts for this scan.
  const acceptances = deps.acceptances.active(startedAt);
  const declaresUserData = new Set(
    manifests.filter((m) => m.manifest.launch?.userDataSha256 !== undefined).map((m) => manifestKey(m)),
  );
  const collectSignal = AbortSignal.any(
    [
      options.signal,
      options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
    ].filter((s): s is AbortSignal => s !== undefined),
  );
  // Every in-flight SDK request of every target listens on this one signal: not a leak, so lift
  // Node's warning threshold of 10 with the number of targets (a few requests in flight each).
  setMaxListeners(Math.max(10, deps.targets.length * 8), collectSignal);
  const collections = await Promise.all(
    deps.targets.map((target) => collectTarget(deps, target, declaresUserData, log, collectSignal)),
  );
  options.signal?.throwIfAborted();

  const targets = collections.map((c) => c.result);
  const observed = collections.flatMap((c) => c.instances);
  // A disabled source has no freshness limit: its rows are not even read.
  const enabledHostSources = HOST_SOURCES.filter((s) => deps.hostMaxAgeMs[s] !== undefined);
  const pairs = pairInstances(observed, manifests, deps.hosts.latestOf(enabledHostSources), {
    now: deps.clock().getTime(),
    hostMaxAgeMs: deps.hostMaxAgeMs,
  });
  const ruleSet = deps.ruleSet();
  const maxPerSection = deps.maxFindingsPerSection ?? DEFAULT_MAX_FINDINGS_PER_SECTION;
  const acceptanceIndex = new AcceptanceIndex(acceptances);
  const assessed = pairs.map((pair) => assessPair(pair, manifests, ruleSet, acceptanceIndex, maxPerSection));
  // Consensus needs when each open finding was first seen; one indexed read of the paired instances.
  const firstSeen = deps.fleet.openFindingsFirstSeen(assessed);
  const scanned = rateByPeers(
    pairs,
    assessed,
    firstSeen,
    deps.consensus ?? DEFAULT_CONSENSUS_SETTINGS,
    deps.clock().toISOString(),
  );

  let record: ScanRecord;
  try {
    record = deps.fleet.persistScan({
      scanId,
      startedAt,
      finishedAt: deps.clock().toISOString(),
      outcome: scanOutcome(targets),
      targets,
      scanned,
      staleTargets: targets
        .filter((t) => t.status === 'stale')
        .map(({ account, region }) => ({ account, region })),
      acceptances,
    });
  } catch (error) {
    throw failedPersist(deps, { scanId, startedAt, targets }, error);
  }
  log.info(
    { outcome: record.outcome, instances: record.instances, findings: record.findings },
    record.outcome === 'success' ? 'scan finished' : `scan finished ${record.outcome}`,
  );
  return { record };
}

/**
 * The scan's transaction rolled back: records the scan as `failure` if the database still takes one
 * small row (its targets name the cause), and says whether it did. A full disk usually refuses that too.
 */
function failedPersist(
  deps: ScanCycleDeps,
  scan: { scanId: string; startedAt: string; targets: readonly TargetResult[] },
  error: unknown,
): ScanPersistError {
  const reason = `results not saved: ${namedErrorMessage(error)}`;
  let recorded = true;
  try {
    deps.fleet.recordFailedScan({
      scanId: scan.scanId,
      startedAt: scan.startedAt,
      finishedAt: deps.clock().toISOString(),
      targets: scan.targets.map((t) => ({ ...t, status: 'stale', error: t.error ?? reason })),
    });
  } catch {
    recorded = false;
  }
  return new ScanPersistError(`scan ${scan.scanId} failed: ${reason}`, {
    scanId: scan.scanId,
    recorded,
    storageCode: storageFailure(error)?.code ?? null,
    cause: error,
  });
}

async function collectTarget(
  deps: ScanCycleDeps,
  target: Target,
  declaresUserData: ReadonlySet<string>,
  log: Logger,
  signal: AbortSignal | undefined,
): Promise<TargetCollection> {
  try {
    const collected = await deps.source.collect(target, {
      now: deps.clock,
      signal,
      needsUserData: (region, imageId) => declaresUserData.has(`${region}/${imageId}`),
      onProgress: (progress) => deps.onTargetProgress?.(target, progress),
    });
    log.debug({ region: target.region, instances: collected.instances.length }, 'target collected');
    const result: TargetResult = {
      account: collected.account,
      region: target.region,
      status: 'ok',
      error: null,
    };
    // Only after EC2 answered: inventory is saved for listed instances only.
    if (deps.inventory)
      result.inventory = await syncInventory(deps, deps.inventory, target, collected.instances, log, signal);
    return { result, instances: collected.instances };
  } catch (error) {
    // A failed target is data, not a crash: its instances keep their last state, marked stale.
    const message = namedErrorMessage(error);
    log.warn(
      { region: target.region, account: target.account, err: message },
      'target failed; its instances will be recorded stale',
    );
    return {
      result: { account: target.account, region: target.region, status: 'stale', error: message },
      instances: [],
    };
  }
}

/** An inventory failure leaves that target's host data unrefreshed (it ages into stale), never its EC2 data. */
async function syncInventory(
  deps: ScanCycleDeps,
  inventory: InventorySource,
  target: Target,
  instances: readonly InstanceObservation[],
  log: Logger,
  signal: AbortSignal | undefined,
): Promise<NonNullable<TargetResult['inventory']>> {
  try {
    const synced = await inventory.sync(target, instances, { now: deps.clock, signal });
    log.debug({ region: target.region, source: inventory.name, ...synced }, 'inventory synced');
    return { source: inventory.name, status: 'ok', error: null };
  } catch (error) {
    const message = namedErrorMessage(error);
    log.warn(
      { region: target.region, account: target.account, source: inventory.name, err: message },
      'inventory sync failed; host data of this target is not refreshed',
    );
    return { source: inventory.name, status: 'stale', error: message };
  }
}

function assessPair(
  pair: Pair,
  manifests: readonly ResolvedManifest[],
  ruleSet: RuleSet,
  acceptances: AcceptanceIndex<AcceptanceScope>,
  maxPerSection: number,
): ScannedInstance {
  const { instance } = pair;
  const channel = pair.manifest?.manifest.image.channel ?? null;
  const group = instance.asgName ?? channel;
  const context = {
    instanceId: instance.instanceId,
    account: instance.account,
    region: instance.region,
    group,
    channel,
    tags: instance.tags,
  };
  // Capped before anything is stored: one hostile host's 100,000 files cost 200 rows, not 100,000.
  const classified = classifyDifferences(diffPair(pair, manifests), ruleSet, context);
  const findings = capFindings(classified, maxPerSection, ruleSet, context).map((f): ScannedFinding => ({
    ...f,
    acceptanceId: acceptances.find({ instanceId: instance.instanceId, rule: f.rule })?.id ?? null,
    // Rated by the consensus step once every instance is assessed.
    scope: 'unrated',
    onset: null,
  }));
  return { observation: instance, status: instanceStatus(pair, findings), group, findings };
}

/**
 * Drift wins over staleness: what we did see is reported; unseen host state is never "compliant".
 * Accepted findings are not drift: an instance whose findings are all accepted is compliant (or stale).
 */
export function instanceStatus(pair: Pair, findings: readonly ScannedFinding[]): InstanceStatus {
  const drift = findings.filter((f) => f.acceptanceId === null);
  if (drift.some((f) => f.change === 'unknown-image')) return 'unknown_image';
  if (drift.length > 0) return 'drifted';
  if (pair.hostStatus === 'stale') return 'stale';
  return 'compliant';
}

export function scanOutcome(targets: readonly TargetResult[]): ScanOutcome {
  const failed = targets.filter((t) => t.status !== 'ok').length;
  if (failed === 0) return targets.some((t) => t.inventory?.status === 'stale') ? 'partial' : 'success';
  return failed === targets.length ? 'failure' : 'partial';
}

function manifestKey(m: ResolvedManifest): string {
  return `${m.manifest.image.region}/${m.manifest.image.id}`;
}
