// Composition root: config → store → rules → AWS clients → scan cycle → scheduler + HTTP. SIGTERM drains.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client } from '@aws-sdk/client-ec2';
import cron from 'node-cron';
import type { Logger } from 'pino';
import { runScanCycle, type ScanReport } from './app/scan-cycle.js';
import { ScanRunner } from './app/scan-runner.js';
import type { Config } from './config/index.js';
import { TerminalError, errorMessage } from './domain/errors.js';
import type { RuleSet, Target } from './domain/types.js';
import { createHttpApp, type ReadinessCheck } from './http/app.js';
import { Metrics } from './metrics/metrics.js';
import { loadRules } from './rules/index.js';
import { instrumentClient, type AwsRequestRecorder } from './sources/aws/aws-middleware.js';
import { RequestBudget } from './sources/aws/request-budget.js';
import { createEc2Source } from './sources/ec2/ec2-source.js';
import type { CollectProgress } from './app/instance-source.js';
import { openStore, type Store } from './store/index.js';
import { pendingMigrations } from './store/migrations.js';

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  clock?: () => Date;
  recordAwsRequest?: AwsRequestRecorder;
  onTargetProgress?: (target: Target, progress: CollectProgress) => void;
}

/** Everything one scan needs; shared by `serve`, `scan --once` and `demo`. */
export interface Runtime {
  config: Config;
  store: Store;
  clock: () => Date;
  ruleSet: () => RuleSet;
  /** Re-reads rules; invalid rules keep the previous ones and the error is returned. */
  reloadRules(): Error | null;
  runScan(signal?: AbortSignal): Promise<ScanReport>;
  close(): void;
}

export function expandTargets(config: Config): Target[] {
  return config.targets.flatMap((t) =>
    t.regions.map((region) => ({ account: t.account, region, roleArn: t.roleArn, filters: t.filters })),
  );
}

export function createRuntime(options: RuntimeOptions): Runtime {
  const { config, logger } = options;
  const clock = options.clock ?? (() => new Date());
  // Rules first: a daemon never starts with invalid rules, and nothing is opened if they are.
  let rules = loadRules(config.rules.dir);
  const store = openStore(config.database.path, { now: clock });
  const clients = new Map<string, EC2Client>();
  // loadConfig already falls back to AWS_ENDPOINT_URL.
  const endpoint = config.aws.endpoint ?? undefined;

  const clientFor = (target: Target): EC2Client => {
    if (target.roleArn !== null) {
      throw new TerminalError(
        `target ${target.region} has roleArn ${target.roleArn}: cross-account AssumeRole is not supported yet`,
      );
    }
    const key = `${target.account ?? 'default'}/${target.region}`;
    let client = clients.get(key);
    if (!client) {
      client = new EC2Client({ region: target.region, endpoint, maxAttempts: config.aws.maxAttempts });
      instrumentClient(client, {
        service: 'ec2',
        budget: new RequestBudget({ maxRequestsPerSecond: config.aws.maxRequestsPerSecond }),
        record: options.recordAwsRequest ?? (() => undefined),
      });
      clients.set(key, client);
    }
    return client;
  };
  const source = createEc2Source({ clientFor, pageSize: config.aws.pageSize });
  const targets = expandTargets(config);

  return {
    config,
    store,
    clock,
    ruleSet: () => rules,
    reloadRules() {
      try {
        rules = loadRules(config.rules.dir);
        logger.info({ rules: rules.rules.length, ignore: rules.ignore.length }, 'rules reloaded');
        return null;
      } catch (error) {
        logger.error({ err: errorMessage(error) }, 'rules reload failed; keeping the previous rules');
        return error as Error;
      }
    },
    runScan: (signal) =>
      runScanCycle(
        {
          targets,
          source,
          manifests: store.manifests,
          fleet: store.fleet,
          hosts: store.hosts,
          ruleSet: () => rules,
          clock,
          newScanId: () => randomUUID(),
          hostMaxAgeMs: config.fingerprints.maxAgeMs,
          logger,
          onTargetProgress: options.onTargetProgress,
        },
        { signal, timeoutMs: config.scan.timeoutMs },
      ),
    close() {
      for (const client of clients.values()) client.destroy();
      store.close();
    },
  };
}

export interface Daemon {
  url: string;
  runtime: Runtime;
  metrics: Metrics;
  scans: ScanRunner;
  stop(): Promise<void>;
}

export interface DaemonOptions extends RuntimeOptions {
  /** Run the schedule (default true); tests trigger scans through the API instead. */
  schedule?: boolean;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  let metrics: Metrics | null = null;
  const runtime = createRuntime({
    ...options,
    recordAwsRequest: (...args) => metrics?.recordAwsRequest(...args),
  });
  metrics = new Metrics({
    fleet: runtime.store.fleet,
    manifests: runtime.store.manifests,
    clock: runtime.clock,
    instanceDriftLimit: config.metrics.instanceDriftLimit,
  });
  const daemonMetrics = metrics;
  const scans = new ScanRunner(async (signal) => {
    const started = performance.now();
    try {
      return await runtime.runScan(signal);
    } finally {
      daemonMetrics.observeScanDuration((performance.now() - started) / 1000);
    }
  });
  const startedAt = runtime.clock().getTime();

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
    const last = runtime.store.fleet.snapshot(0).lastSuccessfulScanAt;
    const now = runtime.clock().getTime();
    const fresh = last !== null && now - Date.parse(last) <= config.scan.staleAfterMs;
    checks.push({
      name: 'scan',
      ok: fresh,
      detail:
        last === null
          ? now - startedAt < config.scan.staleAfterMs
            ? 'no successful scan yet (first scan running)'
            : 'no successful scan yet'
          : `last successful scan at ${last}`,
    });
    return checks;
  };

  const app = createHttpApp({
    manifests: runtime.store.manifests,
    fleet: runtime.store.fleet,
    hosts: runtime.store.hosts,
    scans,
    tokens: config.auth.tokens,
    bodyLimit: config.http.bodyLimit,
    clock: runtime.clock,
    metrics,
    readiness,
    logger,
  });
  const server = await listen(app, config.http.host, config.http.port);
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const task =
    options.schedule === false
      ? null
      : cron.schedule(
          config.schedule,
          async () => {
            await scans
              .trigger()
              .catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'scan failed'));
          },
          { noOverlap: true, name: 'scan' },
        );
  logger.info(
    { url, schedule: config.schedule, targets: expandTargets(config).length },
    'driftwarden serving',
  );
  if (task !== null)
    void scans.trigger().catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'scan failed'));

  let stopping: Promise<void> | null = null;
  return {
    url,
    runtime,
    metrics,
    scans,
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down: finishing requests, aborting the running scan');
        if (task !== null) await task.destroy();
        await scans.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Give in-flight requests a moment, then cut what is left (e.g. a slow `?wait=true` client).
        const force = setTimeout(() => server.closeAllConnections(), 5_000);
        await closed;
        clearTimeout(force);
        runtime.close();
        logger.info('stopped; database closed');
      })();
      return stopping;
    },
  };
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
    server.once('error', reject);
  });
}
