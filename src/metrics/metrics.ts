// driftwarden's Prometheus metrics: own Registry; fleet gauges come from a snapshot refreshed per scan, not per scrape.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  PRUNED_TABLES,
  type FleetRepository,
  type FleetSnapshot,
  type ManifestRepository,
  type PruneCounts,
  type ReleasedTarget,
} from '../app/ports.js';
import type { JobRepository, RemediationStateRepository } from '../app/remediation/ports.js';
import type { ReasonRepository } from '../app/remediation/reason-port.js';
import { REASON_CODES } from '../core/remediation-reasons.js';
import { DRIFT_STORM_REASON } from '../core/remediation-breaker.js';
import { targetKey } from '../core/shard-assignment.js';
import { STRATEGY_NAMES, TERMINAL_JOB_STATES } from '../core/remediation-types.js';
import {
  FINDING_SCOPES,
  INSTANCE_STATUSES,
  SEVERITIES,
  UNCLASSIFIED_RULE,
  type Rule,
  type ScanOutcome,
  type Target,
} from '../domain/types.js';
import type { AwsRequestOutcome } from '../aws/aws-middleware.js';

/** The tables whose rows the release at start counts (`driftwarden_released_rows_total{table}`). */
const RELEASED_TABLES = ['instances', 'findings'] as const;

export interface MetricsOptions {
  fleet: FleetRepository;
  manifests: ManifestRepository;
  clock(): Date;
  /**
   * Cap on `driftwarden_instance_drift` series (worst severity first), and on the fleet-wide cause
   * series (`driftwarden_manifest_mismatch` and `driftwarden_fleet_wide_drift` together).
   */
  instanceDriftLimit: number;
  jobs: JobRepository;
  remediation: RemediationStateRepository;
  reasons: ReasonRepository;
  /** The configured targets: one `driftwarden_target_last_scanned_timestamp_seconds` series each. */
  targets: readonly Pick<Target, 'account' | 'region'>[];
  /** This replica's shard; with more than one, every series carries `shard` (docs/scaling.md). */
  shard: { index: number; count: number };
  /** The loaded rules (they change with SIGHUP): each one's findings series exists, at 0 when it has none. */
  rules(): readonly Pick<Rule, 'id' | 'severity'>[];
  /** Every AWS operation the code calls × outcome: exported at 0 from start. */
  awsRequests: readonly { service: string; operation: string; outcome: AwsRequestOutcome }[];
}

/** The label pair of a target; '' is a target without an explicit account, as in the database. */
function targetLabels(target: Pick<Target, 'account' | 'region'>): { account: string; region: string } {
  return { account: target.account ?? '', region: target.region };
}

const OUTCOMES: readonly ScanOutcome[] = ['success', 'partial', 'failure'];

/** `none` (value 0) while running; a paused daemon sets its reason to 1. Reasons: the breaker's and the API's. */
const PAUSE_REASONS = ['none', 'manual', DRIFT_STORM_REASON] as const;

/** What classify gives a difference no rule matches. */
const UNCLASSIFIED: Pick<Rule, 'id' | 'severity'> = { id: UNCLASSIFIED_RULE, severity: 'warning' };

export class Metrics {
  /** Everything that changes only when the daemon records something: rendered once per change. */
  private readonly registry = new Registry();
  /** What moves with the clock alone (drift ages): rendered at every scrape. */
  private readonly clockRegistry = new Registry();
  private rendered: string | null = null;
  private changes = 0;
  private lastFleet: FleetSnapshot | null = null;
  private readonly instances: Gauge<'state'>;
  private readonly findings: Gauge<'rule' | 'severity' | 'scope'>;
  private readonly instanceDrift: Gauge<
    'instance_id' | 'account' | 'region' | 'image_id' | 'group' | 'severity'
  >;
  private readonly manifestMismatch: Gauge<'region' | 'image_id' | 'path' | 'severity'>;
  private readonly fleetWideDrift: Gauge<'region' | 'image_id' | 'path' | 'severity'>;
  private readonly fleetWideCauses: Gauge;
  private readonly driftOldest: Gauge<'severity'>;
  private readonly scansTotal: Counter<'outcome'>;
  private readonly scanDuration: Histogram;
  private readonly lastSuccess: Gauge;
  private readonly targetLastScanned: Gauge<'account' | 'region'>;
  private readonly manifestsGauge: Gauge<'status'>;
  private readonly awsRequests: Counter<'service' | 'operation' | 'outcome'>;
  private readonly scansCounted = new Map<ScanOutcome, number>();
  private readonly replacementsTotal: Counter<'strategy' | 'outcome'>;
  private readonly replacementsInFlight: Gauge;
  private readonly remediationPaused: Gauge<'reason'>;
  private readonly remediationBlocked: Gauge<'reason'>;
  private readonly replacementsCounted = new Map<string, number>();
  private readonly prunedRows: Counter<'table'>;
  private readonly releasedRows: Counter<'table'>;
  /** Oldest open finding per severity as of the last fleet refresh; its age is taken at each scrape. */
  private oldestOpen: FleetSnapshot['oldestOpenBySeverity'] = {};
  /** Open findings per rule and severity as of the last fleet refresh, to re-export with new rules. */
  private openFindings: FleetSnapshot['findingsByRuleSeverity'] = [];

  constructor(private readonly options: MetricsOptions) {
    const registers = [this.registry];
    // Unsharded output stays as it was; sharded, each replica's series say whose they are even
    // where the scrape adds no telling label (a static target list, a federated or remote-written copy).
    if (options.shard.count > 1) {
      const shard = { shard: String(options.shard.index) };
      this.registry.setDefaultLabels(shard);
      this.clockRegistry.setDefaultLabels(shard);
    }
    new Gauge({
      name: 'driftwarden_shard_info',
      help: "This replica's shard and the number of shards (1 when unsharded).",
      labelNames: ['shard', 'shards'],
      registers,
    }).set({ shard: String(options.shard.index), shards: String(options.shard.count) }, 1);
    new Gauge({
      name: 'driftwarden_shard_targets',
      help: 'Targets (account × region) this replica scans.',
      labelNames: ['shard'],
      registers,
    }).set({ shard: String(options.shard.index) }, options.targets.length);
    this.instances = new Gauge({
      name: 'driftwarden_instances',
      help: 'Instances in the fleet by drift state.',
      labelNames: ['state'],
      registers,
    });
    this.findings = new Gauge({
      name: 'driftwarden_findings',
      help: 'Open, unaccepted drift findings by rule, severity and peer-consensus scope (fleet-wide, outlier, unrated).',
      labelNames: ['rule', 'severity', 'scope'],
      registers,
    });
    this.instanceDrift = new Gauge({
      name: 'driftwarden_instance_drift',
      help: 'Set to 1 for each drifted instance with its worst severity (capped series).',
      labelNames: ['instance_id', 'account', 'region', 'image_id', 'group', 'severity'],
      registers,
    });
    this.manifestMismatch = new Gauge({
      name: 'driftwarden_manifest_mismatch',
      help: 'Instances of an image sharing a fleet-wide difference present since boot (a bake, manifest or boot-time cause), per image and path (capped series).',
      labelNames: ['region', 'image_id', 'path', 'severity'],
      registers,
    });
    this.fleetWideDrift = new Gauge({
      name: 'driftwarden_fleet_wide_drift',
      help: 'Instances of an image sharing a fleet-wide difference that appeared after boot (a mass change), per image and path, with its worst severity (capped series).',
      labelNames: ['region', 'image_id', 'path', 'severity'],
      registers,
    });
    this.fleetWideCauses = new Gauge({
      name: 'driftwarden_fleet_wide_causes',
      help: 'Images and paths with fleet-wide drift (both onsets), also those beyond the series cap.',
      registers,
    });
    this.driftOldest = new Gauge({
      name: 'driftwarden_drift_oldest_seconds',
      help: 'Age in seconds of the oldest open, unaccepted finding by severity.',
      labelNames: ['severity'],
      registers: [this.clockRegistry],
    });
    this.scansTotal = new Counter({
      name: 'driftwarden_scans_total',
      help: 'Scans by outcome: those recorded in the database, and failures the database could not record.',
      labelNames: ['outcome'],
      registers,
    });
    this.scanDuration = new Histogram({
      name: 'driftwarden_scan_duration_seconds',
      help: 'Wall-clock duration of scans run by this process.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'driftwarden_last_successful_scan_timestamp_seconds',
      help: 'Unix time at which the last fully successful scan finished.',
      registers,
    });
    this.targetLastScanned = new Gauge({
      name: 'driftwarden_target_last_scanned_timestamp_seconds',
      help: 'Unix time at which the last scan that listed the target (account, region) successfully finished; 0 if none has.',
      labelNames: ['account', 'region'],
      registers,
    });
    this.manifestsGauge = new Gauge({
      name: 'driftwarden_manifests',
      help: 'Image manifests by status.',
      labelNames: ['status'],
      registers,
    });
    this.awsRequests = new Counter({
      name: 'driftwarden_aws_requests_total',
      help: 'AWS API request attempts (retries included) by service, operation and outcome.',
      labelNames: ['service', 'operation', 'outcome'],
      registers,
    });
    this.replacementsTotal = new Counter({
      name: 'driftwarden_replacements_total',
      help: 'Replacement jobs that ended, by strategy and outcome (succeeded, failed, cancelled).',
      labelNames: ['strategy', 'outcome'],
      registers,
    });
    this.replacementsInFlight = new Gauge({
      name: 'driftwarden_replacements_in_flight',
      help: 'Replacement jobs running now.',
      registers,
    });
    this.remediationPaused = new Gauge({
      name: 'driftwarden_remediation_paused',
      help: 'Set to 1 with the reason while remediation is paused (drift-storm, manual); 0 with reason "none" otherwise.',
      labelNames: ['reason'],
      registers,
    });
    this.remediationBlocked = new Gauge({
      name: 'driftwarden_remediation_blocked',
      help: 'Drifted instances and open replacement jobs currently waiting or blocked, by reason code.',
      labelNames: ['reason'],
      registers,
    });
    this.prunedRows = new Counter({
      name: 'driftwarden_pruned_rows_total',
      help: 'Rows deleted by retention (database.retention) by table.',
      labelNames: ['table'],
      registers,
    });
    this.releasedRows = new Counter({
      name: 'driftwarden_released_rows_total',
      help: 'Instances and open findings of targets this replica no longer owns, released at start, by table.',
      labelNames: ['table'],
      registers,
    });
    for (const outcome of OUTCOMES) this.scansTotal.inc({ outcome }, 0);
    for (const table of RELEASED_TABLES) this.releasedRows.inc({ table }, 0);
    for (const table of PRUNED_TABLES) this.prunedRows.inc({ table }, 0);
    for (const reason of REASON_CODES) this.remediationBlocked.set({ reason }, 0);
    for (const strategy of STRATEGY_NAMES)
      for (const outcome of TERMINAL_JOB_STATES) this.replacementsTotal.inc({ strategy, outcome }, 0);
    for (const labels of options.awsRequests) this.awsRequests.inc(labels, 0);
    for (const reason of PAUSE_REASONS) this.remediationPaused.set({ reason }, 0);
    this.exportFindings();
  }

  /** After a rules reload: a new rule's series appear at 0, a removed rule's go unless it still has open findings. */
  refreshRules(): void {
    this.changed();
    this.exportFindings();
  }

  /** Counts the rows one retention pass deleted (live: a restart starts from zero, like any counter). */
  recordPruned(counts: PruneCounts): void {
    for (const table of PRUNED_TABLES) if (counts[table] > 0) this.prunedRows.inc({ table }, counts[table]);
    this.changed();
  }

  /** Counts what the release at start took out of this replica's fleet. */
  recordReleased(released: readonly ReleasedTarget[]): void {
    for (const t of released) {
      if (t.instances > 0) this.releasedRows.inc({ table: 'instances' }, t.instances);
      if (t.findings > 0) this.releasedRows.inc({ table: 'findings' }, t.findings);
    }
    this.changed();
  }

  recordAwsRequest = (service: string, operation: string, outcome: AwsRequestOutcome): void => {
    this.awsRequests.inc({ service, operation, outcome });
    this.changed();
  };

  /**
   * A scan that failed and could not even be recorded as failed (disk full): counted here, live, as
   * the database-derived count cannot see it.
   */
  recordUnrecordedScanFailure(): void {
    this.scansTotal.inc({ outcome: 'failure' });
    this.changed();
  }

  observeScanDuration(seconds: number): void {
    this.scanDuration.observe(seconds);
    this.changed();
  }

  /**
   * Recomputes every gauge from the database, so a restarted daemon exports the same numbers. The
   * daemon calls it at start and after each scan; scrapes only read what it left.
   */
  refresh(snapshot?: FleetSnapshot): void {
    this.refreshFleet(snapshot);
    this.refreshState();
  }

  /**
   * The fleet's aggregates as the gauges show them: those of the last refresh (read from the
   * database only when there was none yet). The fleet view reports these, so a read costs the same
   * however large the fleet.
   */
  fleetSnapshot(): FleetSnapshot {
    if (this.lastFleet === null) this.refreshFleet();
    return this.lastFleet ?? this.options.fleet.snapshot(this.options.instanceDriftLimit);
  }

  /**
   * The fleet part (instances, findings, scans): walks the big tables, so only a scan should call
   * it; a scan on its own thread passes the snapshot it read there.
   */
  refreshFleet(snapshot: FleetSnapshot = this.options.fleet.snapshot(this.options.instanceDriftLimit)): void {
    this.changed();
    this.lastFleet = snapshot;
    for (const state of INSTANCE_STATUSES) this.instances.set({ state }, snapshot.instancesByStatus[state]);

    this.openFindings = snapshot.findingsByRuleSeverity;
    this.exportFindings();

    this.instanceDrift.reset();
    for (const d of snapshot.driftedInstances) {
      this.instanceDrift.set(
        {
          instance_id: d.instanceId,
          ...targetLabels(d),
          image_id: d.imageId,
          group: d.group ?? '',
          severity: d.severity,
        },
        1,
      );
    }
    this.exportSharedCauses(snapshot);
    this.oldestOpen = snapshot.oldestOpenBySeverity;

    // Counters only go up: add what the database has recorded since we last looked.
    for (const outcome of OUTCOMES) {
      const total = snapshot.scansByOutcome[outcome];
      const delta = total - (this.scansCounted.get(outcome) ?? 0);
      if (delta > 0) this.scansTotal.inc({ outcome }, delta);
      this.scansCounted.set(outcome, Math.max(total, this.scansCounted.get(outcome) ?? 0));
    }

    if (snapshot.lastSuccessfulScanAt !== null)
      this.lastSuccess.set(Date.parse(snapshot.lastSuccessfulScanAt) / 1000);

    // Configured targets only (a removed target's row stays in the database): bounded by the config.
    const scannedAt = new Map<string, string>();
    for (const t of snapshot.targetScans) scannedAt.set(targetKey(t), t.scannedAt);
    for (const target of this.options.targets) {
      const at = scannedAt.get(targetKey(target));
      this.targetLastScanned.set(targetLabels(target), at === undefined ? 0 : Date.parse(at) / 1000);
    }
  }

  /**
   * The small tables (replacement jobs, pause switch, wait reasons, manifests): after a scan, a
   * remediation tick, or an API write to them, so a pause or a finished job shows without a scan.
   */
  refreshState(): void {
    this.changed();
    for (const { strategy, outcome, count } of this.options.jobs.countFinished()) {
      const key = `${strategy}/${outcome}`;
      const delta = count - (this.replacementsCounted.get(key) ?? 0);
      if (delta > 0) this.replacementsTotal.inc({ strategy, outcome }, delta);
      this.replacementsCounted.set(key, Math.max(count, this.replacementsCounted.get(key) ?? 0));
    }
    this.replacementsInFlight.set(this.options.jobs.countByState().running);
    const paused = this.options.remediation.get();
    // Reset: a stored reason outside PAUSE_REASONS (a database from another version) shows only while paused.
    this.remediationPaused.reset();
    for (const reason of PAUSE_REASONS) this.remediationPaused.set({ reason }, 0);
    if (paused.paused) this.remediationPaused.set({ reason: paused.reason ?? 'manual' }, 1);
    // Every code, also at 0: a series that vanishes cannot tell "nothing waits" from "not scraped".
    const blocked = this.options.reasons.countByCode();
    for (const reason of REASON_CODES) this.remediationBlocked.set({ reason }, blocked[reason]);

    const byStatus = this.options.manifests.countByStatus();
    for (const [status, count] of Object.entries(byStatus)) this.manifestsGauge.set({ status }, count);
  }

  /**
   * One scrape: no database access. The text of everything but the drift ages is kept until the
   * daemon records something (at 100,000 instances it took about 5 ms to render, the dearest read
   * of the API); the ages move with the clock and are rendered each time.
   */
  async render(): Promise<string> {
    const now = this.options.clock().getTime();
    for (const severity of SEVERITIES) {
      const oldest = this.oldestOpen[severity];
      this.driftOldest.set(
        { severity },
        oldest === undefined ? 0 : Math.max(0, (now - Date.parse(oldest)) / 1000),
      );
    }
    let text = this.rendered;
    if (text === null) {
      const before = this.changes;
      text = await this.registry.metrics();
      // Something recorded meanwhile: this scrape gets what it rendered, the next one renders again.
      if (this.changes === before) this.rendered = text;
    }
    return text + (await this.clockRegistry.metrics());
  }

  /**
   * Each loaded rule (and `unclassified`) with its severity at 0 in every scope, then the open
   * findings: stored findings keep the rule and severity they were classified with, so they are
   * exported as stored.
   */
  private exportFindings(): void {
    this.findings.reset();
    for (const rule of [...this.options.rules(), UNCLASSIFIED])
      for (const scope of FINDING_SCOPES)
        this.findings.set({ rule: rule.id, severity: rule.severity, scope }, 0);
    for (const { rule, severity, scope, count } of this.openFindings)
      this.findings.set({ rule, severity, scope }, count);
  }

  /** One series per image and path: a cause shared by an image's fleet alerts once, not per instance. */
  private exportSharedCauses(snapshot: FleetSnapshot): void {
    this.manifestMismatch.reset();
    this.fleetWideDrift.reset();
    for (const cause of snapshot.sharedCauses) {
      const gauge = cause.onset === 'since-boot' ? this.manifestMismatch : this.fleetWideDrift;
      gauge.set(
        { region: cause.region, image_id: cause.imageId, path: cause.path, severity: cause.severity },
        cause.instances,
      );
    }
    this.fleetWideCauses.set(snapshot.sharedCausesTotal);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private changed(): void {
    this.changes++;
    this.rendered = null;
  }
}
