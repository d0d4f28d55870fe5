// The scan's composition: config → rules → store → AWS clients → EC2 (and AWS Config) sources → scan
// cycle. Shared by `serve` (on its scan thread, or the main thread with `scan.thread: false`),
// `scan --once` and `demo`; it loads no HTTP server, metrics registry or scheduler.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ReleasedTarget } from './app/ports.js';
import { runScanCycle, type ScanReport } from './app/scan-cycle.js';
import type { CollectProgress } from './app/instance-source.js';
import type { AwsRequestRecorder } from './aws/aws-middleware.js';
import { AwsClients, clientKeyId } from './aws/aws-clients.js';
import type { Config } from './config/index.js';
import { errorMessage } from './domain/errors.js';
import type { RuleSet, Target } from './domain/types.js';
import { loadRules } from './rules/index.js';
import { createConfigInventorySource } from './sources/aws-config/config-inventory-source.js';
import { ListThreadPool } from './list-thread-pool.js';
import { expandTargets } from './shard-targets.js';
import { createEc2Source } from './sources/ec2/ec2-source.js';
import { openStore, type Store } from './store/index.js';

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  clock?: () => Date;
  recordAwsRequest?: AwsRequestRecorder;
  onTargetProgress?: (target: Target, progress: CollectProgress) => void;
  /** Request budgets of another thread's AwsClients, by client key (see AwsClientsOptions.sharedBudget). */
  sharedBudget?: (keyId: string) => SharedArrayBuffer | undefined;
  /** Nothing but scans uses this runtime's AWS clients (scan thread, `scan --once`): see AwsClientsOptions.scanOnly. */
  scanOnly?: boolean;
}

/** Everything one scan needs; shared by `serve`, `scan --once` and `demo`. */
export interface Runtime {
  config: Config;
  store: Store;
  clients: AwsClients;
  clock: () => Date;
  ruleSet: () => RuleSet;
  /** Re-reads rules; invalid rules keep the previous ones and the error is returned. */
  reloadRules(): Error | null;
  runScan(signal?: AbortSignal): Promise<ScanReport>;
  /**
   * Releases the rows of every target in the database that is not this replica's (it moved to another
   * shard, or left the configuration) and logs what it released. Targets change only with the
   * configuration, so whoever scans calls this once, before its first scan.
   */
  releaseUnownedTargets(): ReleasedTarget[];
  /** Starts the listing threads before the first scan (by whoever will scan with this runtime). */
  startListThreads(): void;
  close(): void;
}

// This replica's targets: every configured one unless sharded.
export { expandTargets } from './shard-targets.js';

/** Each target's request budget, to hand to another thread that calls the same accounts and regions. */
export function targetBudgets(
  runtime: Pick<Runtime, 'config' | 'clients'>,
): Record<string, SharedArrayBuffer> {
  return Object.fromEntries(
    expandTargets(runtime.config).map((target) => [clientKeyId(target), runtime.clients.budgetState(target)]),
  );
}

export function createRuntime(options: RuntimeOptions): Runtime {
  const { config, logger } = options;
  const clock = options.clock ?? (() => new Date());
  // Rules first: a daemon never starts with invalid rules, and nothing is opened if they are.
  let rules = loadRules(config.rules.dir);
  const store = openStore(config.database.path, { now: clock });
  const clients = new AwsClients({
    // loadConfig already falls back to AWS_ENDPOINT_URL.
    endpoint: config.aws.endpoint ?? undefined,
    maxAttempts: config.aws.maxAttempts,
    maxRequestsPerSecond: config.aws.maxRequestsPerSecond,
    record: options.recordAwsRequest ?? (() => undefined),
    ...(options.sharedBudget ? { sharedBudget: options.sharedBudget } : {}),
    scanOnly: options.scanOnly ?? false,
  });
  const listThreads =
    config.aws.listThreads > 0
      ? new ListThreadPool({
          threads: config.aws.listThreads,
          aws: {
            endpoint: config.aws.endpoint ?? undefined,
            maxAttempts: config.aws.maxAttempts,
            maxRequestsPerSecond: config.aws.maxRequestsPerSecond,
          },
          pageSize: config.aws.pageSize,
          niceness: config.scan.niceness,
          budgetState: (target) => clients.budgetState(target),
          roleCredentials: (key) => clients.roleCredentials(key),
          recordAwsRequest: options.recordAwsRequest ?? (() => undefined),
          onThreadExit: (code) =>
            logger.warn(
              { code },
              'a listing thread exited; its parts failed and the next scan starts a new one',
            ),
        })
      : undefined;
  const source = createEc2Source({
    clientFor: (target) => clients.ec2(target),
    pageSize: config.aws.pageSize,
    listPartitions: config.aws.listPartitions,
    ...(listThreads ? { lister: listThreads } : {}),
  });
  const inventory = config.sources.awsConfig.enabled
    ? createConfigInventorySource({
        clientFor: (target) => clients.config(target),
        hosts: store.hosts,
        state: store.inventorySync,
        reconcileEveryMs: config.sources.awsConfig.maxAgeMs / 2,
      })
    : undefined;
  const targets = expandTargets(config);

  return {
    config,
    store,
    clients,
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
          acceptances: store.acceptances,
          ruleSet: () => rules,
          clock,
          newScanId: () => randomUUID(),
          // A disabled source's old observations are ignored rather than aging into `stale`.
          hostMaxAgeMs: {
            agent: config.fingerprints.maxAgeMs,
            ...(inventory ? { 'aws-config': config.sources.awsConfig.maxAgeMs } : {}),
          },
          maxFindingsPerSection: config.scan.maxFindingsPerSection,
          consensus: {
            minPeers: config.signal.minPeers,
            fleetWideShare: config.signal.fleetWideShare,
            outlierShare: config.signal.outlierShare,
            freshWindowMs: config.signal.freshWindowMs,
          },
          ...(inventory ? { inventory } : {}),
          logger,
          onTargetProgress: options.onTargetProgress,
        },
        { signal, timeoutMs: config.scan.timeoutMs },
      ),
    releaseUnownedTargets() {
      const released = store.fleet.releaseUnowned(targets, clock().toISOString());
      if (released.length > 0)
        logger.info(
          {
            targets: released,
            instances: released.reduce((n, t) => n + t.instances, 0),
            findings: released.reduce((n, t) => n + t.findings, 0),
          },
          'released rows of targets this replica no longer owns',
        );
      return released;
    },
    startListThreads() {
      listThreads?.start();
    },
    close() {
      void listThreads?.close();
      clients.destroy();
      store.close();
    },
  };
}
