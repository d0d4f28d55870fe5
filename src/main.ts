// Composition root of the daemon: the runtime (src/runtime.ts) on a scan thread, plus metrics, HTTP,
// the node-cron schedule and the remediation controller on the main thread. SIGTERM drains.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { FleetSnapshot, ReleasedTarget } from './app/ports.js';
import type { ScanReport } from './app/scan-cycle.js';
import { applyBootNoise } from './app/boot-noise-suggestions.js';
import { ScanRunner } from './app/scan-runner.js';
import { RemediationController } from './app/remediation/remediation-controller.js';
import type { Decision } from './core/remediation-types.js';
import { AsgActions } from './aws/asg-actions.js';
import { isRetryableAwsError } from './aws/aws-errors.js';
import { Ec2Actions } from './aws/ec2-actions.js';
import { roleForAccount } from './aws/aws-clients.js';
import { knownAwsRequestSeries } from './aws/aws-operations.js';
import { postWebhook } from './webhook/webhook.js';
import { ScanPersistError, TerminalError, errorMessage, storageFailure } from './domain/errors.js';
import { createHttpApp, type ReadinessCheck } from './http/app.js';
import { catchUpManifests, type ManifestCatchUpResult } from './http/manifest-catch-up.js';
import { createPeerList } from './http/peer-list.js';
import { Metrics } from './metrics/metrics.js';
import { createRuntime, expandTargets, targetBudgets, type Runtime, type RuntimeOptions } from './runtime.js';
import { scheduleScans } from './scan-schedule.js';
import { assignedTargets, limitToTargets } from './shard-targets.js';
import { ScanThread } from './scan-thread-client.js';
import { startThreadPool } from './thread-priority.js';
import { acquireDatabaseLock, type DatabaseLock, type Store } from './store/index.js';
import { pendingMigrations } from './store/migrations.js';
import { limitHeapGrowth } from './heap-growth.js';

export { createRuntime, expandTargets, type Runtime, type RuntimeOptions } from './runtime.js';

export interface Daemon {
  url: string;
  runtime: Runtime;
  metrics: Metrics;
  scans: ScanRunner;
  remediation: RemediationController;
  /** Re-reads rules (SIGHUP) on the main thread and the scan thread; invalid rules keep the previous ones. */
  reloadRules(): Error | null;
  /** Sharded with peers (at start and on SIGHUP): imports the manifests and revocations a peer holds and this replica lacks; logs, never rejects. */
  catchUpManifests(): Promise<ManifestCatchUpResult>;
  stop(): Promise<void>;
}

export interface DaemonOptions extends RuntimeOptions {
  /** Run the schedule (default true); tests trigger scans through the API instead. */
  schedule?: boolean;
  /** The database's daemon lock, when the caller took it already (`serve`, to refuse fast); else taken here. */
  lock?: DatabaseLock;
  /** Shown in the header of every web UI page: `demo` says it acts on a simulated fleet. */
  uiNotice?: string;
}

/**
 * Shutdown's wait for a replacement step in progress: then its AWS call (or webhook) is aborted and the
 * step runs again at the next start, so SIGTERM ends the daemon within seconds in every state.
 */
const STEP_GRACE_MS = 5_000;

/** Retention runs after a scan when the previous pass is at least this old: often enough for daily growth. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  // Before the scan thread starts and the first requests arrive (src/heap-growth.ts).
  limitHeapGrowth();
  // Before anything is opened: a second daemon on the same database is refused at once.
  const lock = options.lock ?? acquireDatabaseLock(config.database.path);
  let metrics: Metrics | null = null;
  let runtime: Runtime;
  try {
    runtime = createRuntime({
      ...options,
      recordAwsRequest: (...args) => metrics?.recordAwsRequest(...args),
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  // Before the first metrics, reads and scan: this replica counts only the targets it owns.
  const released = releaseUnownedRows(runtime, logger);
  metrics = new Metrics({
    fleet: runtime.store.fleet,
    manifests: runtime.store.manifests,
    clock: runtime.clock,
    instanceDriftLimit: config.metrics.instanceDriftLimit,
    jobs: runtime.store.jobs,
    remediation: runtime.store.remediation,
    reasons: runtime.store.reasons,
    targets: expandTargets(config),
    shard: { index: config.shards.index, count: config.shards.count },
    rules: () => runtime.ruleSet().rules,
    awsRequests: knownAwsRequestSeries(),
  });
  const daemonMetrics = metrics;
  daemonMetrics.recordReleased(released);
  // /metrics serves a snapshot: taken now, after each scan (fleet and state) and after each
  // remediation tick or API write (state only), so a scrape never walks the fleet's tables.
  const refreshMetrics = (part: 'all' | 'state', snapshot?: FleetSnapshot): void => {
    try {
      if (part === 'all') daemonMetrics.refresh(snapshot);
      else daemonMetrics.refreshState();
    } catch (error) {
      logger.error({ err: errorMessage(error) }, 'refreshing metrics failed; serving the previous values');
    }
  };
  refreshMetrics('all');
  const remediation = createRemediationController(runtime, logger, () => refreshMetrics('state'));
  const retention = new RetentionPass(runtime, daemonMetrics, logger);
  // Scans run on their own thread unless `scan.thread` is false or a test injects a clock (a
  // function cannot cross to a thread): the main thread then runs them itself, between requests.
  const scanThread =
    config.scan.thread && options.clock === undefined
      ? new ScanThread({
          config,
          logLevel: logger.level,
          budgets: targetBudgets(runtime),
          writeLog: logLineWriter(logger),
          recordAwsRequest: (...args) => daemonMetrics.recordAwsRequest(...args),
          onExit: (code, error) =>
            logger.error(
              { code, err: error },
              'scan thread exited unexpectedly; the next scan starts a new one',
            ),
        })
      : null;
  if (scanThread) {
    await startThreadPool();
    scanThread.start();
  } else runtime.startListThreads();
  // Nothing of the scan was kept; the daemon goes on serving reads and the next scan tries again.
  const countFailedPersist = (error: ScanPersistError): void => {
    logger.error(
      {
        scanId: error.scanId,
        code: error.storageCode,
        database: config.database.path,
        recorded: error.recorded,
        err: error.message,
      },
      error.recorded
        ? 'scan failed: its results could not be saved; recorded as failure'
        : 'scan failed: its results could not be saved, nor the failure recorded',
    );
    if (error.recorded) refreshMetrics('all');
    else daemonMetrics.recordUnrecordedScanFailure();
  };
  const scans = new ScanRunner(async (signal) => {
    const started = performance.now();
    let report: ScanReport;
    try {
      report = await (scanThread ? scanThread.scan(signal) : runtime.runScan(signal));
    } catch (error) {
      if (error instanceof ScanPersistError) countFailedPersist(error);
      // Any other failure (the scan thread ran out of memory or crashed) left no row to count, so the
      // process counts it; a scan stopped by shutdown is not a failure.
      else if (!signal.aborted) daemonMetrics.recordUnrecordedScanFailure();
      throw error;
    } finally {
      daemonMetrics.observeScanDuration((performance.now() - started) / 1000);
    }
    try {
      const decisions = remediation.afterScan(report.record);
      // Each waiting candidate's reason is stored (API, UI, metric); the log gets the scan's tally.
      if (decisions.length > 0)
        logger.info({ scanId: report.record.scanId, ...tallyDecisions(decisions) }, 'replacement decisions');
    } catch (error) {
      logger.error({ err: errorMessage(error) }, 'planning replacements failed');
    }
    if (config.signal.applyBootNoise) {
      try {
        const applied = applyBootNoise(runtime.store, runtime.clock().getTime(), config.signal.freshWindowMs);
        if (applied.length > 0)
          logger.info(
            { scanId: report.record.scanId, acceptances: applied.length },
            'boot-time noise accepted',
          );
      } catch (error) {
        logger.error({ err: errorMessage(error) }, 'applying boot-time noise failed');
      }
    }
    refreshMetrics('all', report.snapshot);
    retention.afterScan();
    return report;
  });
  // Also in mode off: jobs already running (from before a mode change) finish instead of freezing.
  const stopScans = async (): Promise<void> => {
    await scans.stop();
    await scanThread?.close();
  };
  const remediationTimer = setInterval(() => {
    remediation
      .tick()
      .catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'remediation tick failed'));
  }, config.remediation.pollIntervalMs);

  const readiness = (): ReadinessCheck[] => {
    const checks: ReadinessCheck[] = [];
    try {
      runtime.store.db.prepare('select 1').get();
      checks.push({ name: 'database', ok: true, detail: 'open' });
    } catch (error) {
      checks.push({ name: 'database', ok: false, detail: errorMessage(error) });
    }
    const pending = safePending(runtime.store);
    checks.push({
      name: 'migrations',
      ok: pending.length === 0,
      detail: pending.length ? `pending: ${pending.join(', ')}` : 'applied',
    });
    // The scanner works if a recent scan listed any target: one denied account or failing region
    // makes scans partial for good, and is a per-target alert, not a daemon to take out of service.
    const last = runtime.store.fleet.lastTargetScanAt();
    const now = runtime.clock().getTime();
    const fresh = last !== null && now - Date.parse(last) <= config.scan.staleAfterMs;
    checks.push({
      name: 'scan',
      ok: fresh,
      detail: scanDetail(last, runtime.store.fleet.listScans(1)[0], scans.running),
    });
    return checks;
  };

  // Known once listening: a peer entry resolving to this host on this port is this replica itself.
  let ownPort: number | null = null;
  const peers =
    config.shards.count > 1 && config.shards.peers.length > 0
      ? createPeerList({ peers: config.shards.peers, ownPort: () => ownPort })
      : null;
  const catchUp = async (): Promise<ManifestCatchUpResult> => {
    if (peers === null) return { imported: 0, revoked: 0, failed: [] };
    try {
      const result = await catchUpManifests({
        peers,
        manifests: runtime.store.manifests,
        clock: runtime.clock,
        timeoutMs: config.shards.peerTimeoutMs,
        logger,
      });
      if (result.imported > 0 || result.revoked > 0) refreshMetrics('state');
      return result;
    } catch (error) {
      // Only a local failure gets here (a peer's is in `failed`): the database cannot write, say.
      logger.error({ err: errorMessage(error) }, 'catching up manifests from the peers failed');
      return { imported: 0, revoked: 0, failed: [{ url: 'local', error: errorMessage(error) }] };
    }
  };
  const app = createHttpApp({
    ...(peers === null
      ? {}
      : { fanOut: { shard: config.shards.index, peers, timeoutMs: config.shards.peerTimeoutMs, logger } }),
    fleetView: {
      shard: config.shards.index,
      shardCount: config.shards.count,
      targets: assignedTargets(config),
      peers,
      timeoutMs: config.shards.peerTimeoutMs,
      staleAfterMs: config.scan.staleAfterMs,
    },
    manifests: runtime.store.manifests,
    fleet: runtime.store.fleet,
    views: runtime.store.views,
    hosts: runtime.store.hosts,
    hostMaxAgeMs: { agent: config.fingerprints.maxAgeMs, 'aws-config': config.sources.awsConfig.maxAgeMs },
    bootNoise: { freshWindow: config.signal.freshWindow, freshWindowMs: config.signal.freshWindowMs },
    acceptances: runtime.store.acceptances,
    scans,
    tokens: config.auth.tokens,
    bodyLimit: config.http.bodyLimit,
    clock: runtime.clock,
    metrics,
    onStateWrite: () => refreshMetrics('state'),
    readiness,
    logger,
    uiNotice: options.uiNotice,
    remediation: {
      jobs: runtime.store.jobs,
      audit: runtime.store.audit,
      remediation: runtime.store.remediation,
      reasons: runtime.store.reasons,
      mode: config.remediation.mode,
    },
  });
  let server: Server;
  try {
    server = await listen(app, config.http.host, config.http.port);
  } catch (error) {
    // Nothing else may keep a daemon that cannot serve alive: the timer and the scan thread would
    // hold the event loop open with no API to stop it through.
    clearInterval(remediationTimer);
    await Promise.all([stopScans(), remediation.stop(STEP_GRACE_MS)]);
    runtime.close();
    lock.release();
    throw error;
  }
  const address = server.address() as AddressInfo;
  ownPort = address.port;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const task = options.schedule === false ? null : scheduleScans(config.schedule, scans, logger);
  logger.info(
    {
      url,
      schedule: config.schedule,
      targets: expandTargets(config).length,
      ...(config.shards.count > 1 ? { shard: config.shards.index, shards: config.shards.count } : {}),
    },
    'driftwarden serving',
  );
  // Not awaited: a peer that does not answer must not hold up serving.
  void catchUp();
  if (task !== null)
    void scans.trigger().catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'scan failed'));

  let stopping: Promise<void> | null = null;
  return {
    url,
    runtime,
    metrics,
    scans,
    remediation,
    reloadRules() {
      const error = runtime.reloadRules();
      if (error === null) {
        scanThread?.reloadRules();
        daemonMetrics.refreshRules();
      }
      return error;
    },
    catchUpManifests: catchUp,
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down: finishing requests, aborting the running scan');
        if (task !== null) await task.destroy();
        clearInterval(remediationTimer);
        // Side by side: a step in progress gets its grace while the scan thread closes.
        await Promise.all([stopScans(), remediation.stop(STEP_GRACE_MS)]);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Give in-flight requests a moment, then cut what is left (e.g. a slow `?wait=true` client).
        const force = setTimeout(() => server.closeAllConnections(), 5_000);
        await closed;
        clearTimeout(force);
        await retention.stop();
        runtime.close();
        lock.release();
        logger.info('stopped; database closed');
      })();
      return stopping;
    },
  };
}

/**
 * Prunes rows past `database.retention` after a scan, at most once per PRUNE_INTERVAL_MS, on the
 * main thread in small transactions, yielding before each batch (off the scan's path: the scan's
 * answer does not wait for it).
 */
class RetentionPass {
  private lastStarted = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly runtime: Runtime,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  afterScan(): void {
    const now = this.runtime.clock();
    if (this.running !== null || this.abort.signal.aborted) return;
    if (now.getTime() - this.lastStarted < PRUNE_INTERVAL_MS) return;
    this.lastStarted = now.getTime();
    const policy = this.runtime.config.database.retention;
    this.running = this.runtime.store.retention
      .prune(policy, { now, signal: this.abort.signal })
      .then((counts) => {
        this.metrics.recordPruned(counts);
        const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
        if (total > 0) this.logger.info({ pruned: counts }, 'retention pruned old rows');
      })
      .catch((error: unknown) =>
        this.logger.error(
          {
            err: errorMessage(error),
            code: storageFailure(error)?.code,
            database: this.runtime.config.database.path,
          },
          'retention failed; the next pass tries again',
        ),
      )
      .finally(() => {
        this.running = null;
      });
  }

  /** Ends a pass after its current batch. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }
}

/**
 * The daemon serves even if the release cannot be written (a full disk, say): those rows stay counted
 * (never remediated: candidates are present instances of this replica's targets) until a start that
 * can write.
 */
function releaseUnownedRows(runtime: Runtime, logger: Logger): ReleasedTarget[] {
  try {
    return runtime.releaseUnownedTargets();
  } catch (error) {
    logger.error(
      { err: errorMessage(error), code: storageFailure(error)?.code, database: runtime.config.database.path },
      'releasing rows of targets this replica no longer owns failed; they stay counted until the next start',
    );
    return [];
  }
}

/** Writes a finished JSON log line (from the scan thread) to the logger's own destination, unchanged. */
function logLineWriter(logger: Logger): (line: string) => void {
  const stream = (logger as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym];
  return (line) => stream?.write(line);
}

function safePending(store: Store): string[] {
  try {
    return pendingMigrations(store.db);
  } catch {
    return ['unknown'];
  }
}

function listen(app: ReturnType<typeof createHttpApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const reason = error.code ? (LISTEN_ERRORS[error.code] ?? error.message) : error.message;
      reject(
        new TerminalError(`cannot listen on ${where}: ${reason}${error.code ? ` (${error.code})` : ''}`, {
          location: where,
          cause: error,
        }),
      );
    });
  });
}

/** The usual reasons a listen fails, in words (the code follows in parentheses). */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this host',
};

export function createRemediationController(
  runtime: Runtime,
  logger: Logger,
  afterTick?: () => void,
): RemediationController {
  const { config, store, clients } = runtime;
  const settings = config.remediation;
  const targets = expandTargets(config);
  // A job acts through the role its instance was scanned with.
  const roleOf = roleForAccount(targets);
  const keyOf = ({ account, region }: { account: string | null; region: string }) => ({
    account,
    region,
    ...roleOf({ account, region }),
  });
  return new RemediationController({
    jobs: store.jobs,
    fleet: store.fleet,
    manifests: store.manifests,
    remediation: store.remediation,
    inputs:
      config.shards.count > 1 ? limitToTargets(store.remediationInputs, targets) : store.remediationInputs,
    reasons: store.reasons,
    ruleSet: runtime.ruleSet,
    clock: runtime.clock,
    newJobId: () => randomUUID(),
    ...(afterTick ? { afterTick } : {}),
    logger,
    manifest: (imageId) => store.manifests.get(imageId)?.manifest ?? null,
    actionsFor: (job, signal) => ({
      ec2: new Ec2Actions(clients.ec2(keyOf(job)), signal),
      asg: new AsgActions(clients.autoScaling(keyOf(job)), clients.ec2(keyOf(job)), signal),
    }),
    isRetryableActionError: isRetryableAwsError,
    postWebhook: (body, signal) => postWebhook(settings.webhook, body, signal),
    settings: {
      mode: settings.mode,
      maxConcurrent: settings.maxConcurrent,
      maxPerHour: settings.maxPerHour,
      maxUnavailablePercent: settings.maxUnavailablePercent,
      protectTag: settings.protectTag,
      maintenanceWindows: settings.maintenanceWindows.map((w) => ({ ...w, days: [...w.days] })),
      ...(settings.strategy === 'auto' ? {} : { strategyOverride: settings.strategy }),
      breaker: settings.breaker,
      healthTimeoutMs: settings.healthTimeoutMs,
      pollIntervalMs: settings.pollIntervalMs,
      preserveEvidence: settings.preserveEvidence,
      asgSurge: settings.asgSurge,
      maxReasonsPerSection: config.scan.maxFindingsPerSection,
      webhook: settings.webhook,
      maxAttempts: settings.maxAttempts,
      failureCooldownMs: settings.failureCooldownMs,
      retryBaseMs: settings.retryBaseMs,
    },
  });
}

/** Decisions per kind, and waiting or skipped candidates per reason code. */
function tallyDecisions(decisions: readonly Decision[]): {
  kinds: Record<string, number>;
  reasons: Record<string, number>;
} {
  const kinds: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  for (const d of decisions) {
    kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
    if ((d.kind === 'wait' || d.kind === 'skip') && d.code !== null)
      reasons[d.code] = (reasons[d.code] ?? 0) + 1;
  }
  return { kinds, reasons };
}

function scanDetail(
  lastTargetScan: string | null,
  latest: { outcome: string; finishedAt: string } | undefined,
  running: boolean,
): string {
  if (lastTargetScan !== null) return `last scan that listed a target at ${lastTargetScan}`;
  if (latest !== undefined)
    return `no target listed yet; the last scan (${latest.finishedAt}) was ${latest.outcome}`;
  return running ? 'no target listed yet (first scan running)' : 'no target listed yet';
}
