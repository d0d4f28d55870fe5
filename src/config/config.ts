// The validated, normalised, deeply frozen configuration every other module receives.

import type { PeerAddress } from '../core/peer-address.js';
import type { RemediationMode, StrategyOverride } from '../core/remediation-types.js';

// Declared once in core, which never imports config; re-exported for config's own readers.
export { REMEDIATION_MODES, STRATEGY_OVERRIDES, type RemediationMode } from '../core/remediation-types.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
] as const satisfies readonly LogLevel[];

/** What a bearer token may do: push fingerprints, administer, trigger scans, import/revoke manifests. */
export type TokenScope = 'ingest' | 'admin' | 'scan' | 'manifests';
export const TOKEN_SCOPES = ['ingest', 'admin', 'scan', 'manifests'] as const satisfies readonly TokenScope[];

export interface ApiToken {
  /** Unique label, used in logs and the audit trail (never the secret). */
  readonly name: string;
  /** The resolved secret (at least 16 characters); `env:NAME` in the file is resolved at load. */
  readonly token: string;
  /** De-duplicated and sorted; at least one. */
  readonly scopes: readonly TokenScope[];
}

/** One entry of `targets`: a set of regions scanned with one credential set. */
export interface TargetConfig {
  /** Label and expected account id (12 digits); taken from `roleArn` when unset; null = whatever account the default credentials belong to. Default null. */
  readonly account: string | null;
  /** At least one region, no duplicates. */
  readonly regions: readonly string[];
  /** Role assumed with STS AssumeRole (credentials cached, refreshed before expiry) for scans and replacements; null = the default credential chain. Default null. */
  readonly roleArn: string | null;
  /** STS external id for `roleArn`. Default null. */
  readonly externalId: string | null;
  /** EC2 `DescribeInstances` filters, name → accepted values. Default {} (every instance). */
  readonly filters: Readonly<Record<string, readonly string[]>>;
}

/** One target's instance count in the shard weights file. */
export interface ShardWeight {
  /** null: the target without an explicit account (default credentials). */
  readonly account: string | null;
  readonly region: string;
  readonly instances: number;
}

/**
 * Durations and sizes keep the human form written in the file (`timeout: '5m'`, `bodyLimit: '1mb'`)
 * for messages and `--print-config`, next to the number code should use (`timeoutMs`,
 * `bodyLimitBytes`). Paths are absolute: relative ones in the file are resolved against the config
 * file's directory (the working directory when there is no file).
 */
export interface Config {
  /** Absolute path of the YAML file read, or null when only defaults and the environment apply. */
  readonly file: string | null;
  readonly database: {
    /** SQLite file (`:memory:` is kept as is). Default `./data/driftwarden.db`. */
    readonly path: string;
    /** How long rows are kept before the daemon prunes them (see docs/operations.md). */
    readonly retention: {
      /** Instances no longer listed (with their resolved findings), by last sighting. Default `90d`. */
      readonly goneInstances: string;
      readonly goneInstancesMs: number;
      /** Resolved findings, by resolution time. Default `90d`. */
      readonly resolvedFindings: string;
      readonly resolvedFindingsMs: number;
      /** Scan records, by finish time (the latest, latest successful and each target's last are kept). Default `30d`. */
      readonly scans: string;
      readonly scansMs: number;
      /** Host observations of instances no longer in the fleet, by receipt time. Default `30d`. */
      readonly hostObservations: string;
      readonly hostObservationsMs: number;
      /** Audit entries (not those of open jobs); at least every other retention. Default `365d`. */
      readonly audit: string;
      readonly auditMs: number;
    };
  };
  readonly http: {
    /** Default `127.0.0.1`: the API is not exposed unless asked for. */
    readonly host: string;
    /** 0..65535, 0 = any free port. Default 9750. */
    readonly port: number;
    /** Request body limit as written (`512kb`, `1mb`; a bare byte count becomes `1048576b`). Default `1mb`. */
    readonly bodyLimit: string;
    /** `bodyLimit` in bytes (1024-based units, as express reads them). */
    readonly bodyLimitBytes: number;
  };
  /** node-cron expression, 5 or 6 fields (seconds first), or a nickname like `@hourly`. Default every minute. */
  readonly schedule: string;
  readonly scan: {
    /** A scan running longer is abandoned and recorded as a failure. Default `5m`. */
    readonly timeout: string;
    readonly timeoutMs: number;
    /** /readyz reports not ready when the newest scan that listed any target is older. Default `3m`. */
    readonly staleAfter: string;
    readonly staleAfterMs: number;
    /**
     * Findings kept per instance and section (image, launch, host.packages, host.files,
     * host.services); the rest become one `truncated` finding. Also bounds a job's stored reason. Default 200.
     */
    readonly maxFindingsPerSection: number;
    /** `serve` scans on a worker thread of its own (default true); false scans on the main thread, between requests. */
    readonly thread: boolean;
    /**
     * Scan and listing threads run at least at this nice value (0..19; Linux), so HTTP on the main
     * thread wins a busy core. Default 10.
     */
    readonly niceness: number;
    /**
     * The scan thread's heap limit in MiB (64..65536; default 1024). A scan that needs more fails
     * with an out-of-memory error and the thread is started again; the daemon keeps serving.
     */
    readonly maxHeapMb: number;
  };
  readonly aws: {
    /** Endpoint URL for every AWS client; null in the file falls back to env `AWS_ENDPOINT_URL`, else null. */
    readonly endpoint: string | null;
    /** Our own request budget per account+region, below AWS's throttling limits. Default 10. */
    readonly maxRequestsPerSecond: number;
    /** SDK retry attempts (1..10). Default 3. */
    readonly maxAttempts: number;
    /** DescribeInstances `MaxResults` (5..1000). Default 1000. */
    readonly pageSize: number;
    /** Each target is listed in this many disjoint parts at once (by instance id, 1..16). Default 4. */
    readonly listPartitions: number;
    /**
     * Worker threads that fetch and parse the parts' pages (0..16; 0 = on the scan's own thread).
     * Default: the cores the main and scan threads leave (cores − 2), at most 4.
     */
    readonly listThreads: number;
  };
  /** Default one target: `[{ regions: [us-east-1] }]`. */
  readonly targets: readonly TargetConfig[];
  /** Replicas that split the targets between them (docs/scaling.md); default one, unsharded. */
  readonly shards: {
    /** Replicas (1..256). Default 1. */
    readonly count: number;
    /** This replica's shard, 0..count−1: as configured, or the ordinal of the host name (`driftwarden-2` → 2). Default 0. */
    readonly index: number;
    /** Where `index` came from: the file or environment, or the host name (`index: hostname`). */
    readonly indexFrom: 'config' | 'hostname';
    /** Absolute path of the weights file (instances per target), or null: every target weighs 1. Default null. */
    readonly weightsFile: string | null;
    /** The weights file's entries, in account and region order; empty without a file. */
    readonly weights: readonly ShardWeight[];
    /** The replicas to fan shared-input writes out to and the fleet view reads (base URLs or `dns:NAME:PORT`); resolved at each fan-out. Default none. */
    readonly peers: readonly PeerAddress[];
    /** How long a fanned-out write or fleet-view read waits for one peer. Default `10s`. */
    readonly peerTimeout: string;
    readonly peerTimeoutMs: number;
  };
  readonly rules: {
    /** Directory of `*.yaml` rule files. Default `./rules`. */
    readonly dir: string;
  };
  readonly fingerprints: {
    /** A pushed host fingerprint older than this makes the host comparison stale. Default `15m`. */
    readonly maxAge: string;
    readonly maxAgeMs: number;
  };
  readonly sources: {
    readonly awsConfig: {
      /** Collect host packages from SSM inventory recorded by AWS Config, per target. Default false. */
      readonly enabled: boolean;
      /** Inventory data not confirmed by a successful Config sync for this long is stale. Default `2h`. */
      readonly maxAge: string;
      readonly maxAgeMs: number;
    };
  };
  readonly metrics: {
    /** Cap on `driftwarden_instance_drift` series (worst first); 0 disables the metric. Default 1000. */
    readonly instanceDriftLimit: number;
  };
  /** Peer consensus per image (docs/signal.md). */
  readonly signal: {
    /** Running instances with fresh data an image needs before its findings are rated (2..). Default 5. */
    readonly minPeers: number;
    /** Share of an image's peers at or above which a finding is fleet-wide (0 < share ≤ 1). Default 0.8. */
    readonly fleetWideShare: number;
    /** Share at or below which (and always one instance) a finding is an outlier; below fleetWideShare. Default 0.2. */
    readonly outlierShare: number;
    /** A fleet-wide finding first seen within this long of launch was there since boot. Default `30m`. */
    readonly freshWindow: string;
    readonly freshWindowMs: number;
    /** Record each boot-noise suggestion as an expiring acceptance after every scan. Default false. */
    readonly applyBootNoise: boolean;
  };
  readonly remediation: {
    /** Default `dry-run`: plan replacements, never act. */
    readonly mode: RemediationMode;
    /** Replacements in flight across the fleet (>= 1). Default 1. */
    readonly maxConcurrent: number;
    /** Replacements started in any rolling hour (>= 1). Default 10. */
    readonly maxPerHour: number;
    /** Per group (ASG, else channel), 1..100; at least one instance is always allowed. Default 10. */
    readonly maxUnavailablePercent: number;
    readonly breaker: {
      /** Remediation pauses itself when more than this percentage of scanned instances drift (1..100). Default 30. */
      readonly maxDriftedPercent: number;
      /** …and at least this many instances drift, so a tiny fleet does not trip it on one instance. Default 3. */
      readonly minDrifted: number;
    };
    /** Instances carrying this tag key (any value) are never replaced. Default `driftwarden:protect`. */
    readonly protectTag: string;
    /** A replacement whose new instance is not healthy after this long fails (and is rolled back). Default `10m`. */
    readonly healthTimeout: string;
    readonly healthTimeoutMs: number;
    /** How often running jobs are advanced and polled. Default `5s`. */
    readonly pollInterval: string;
    readonly pollIntervalMs: number;
    /** Attempts of one step on retryable errors before the job fails (1..100). Default 5. */
    readonly maxAttempts: number;
    /** After a failed replacement, the instance gets no new job for this long (no retry loops). Default `6h`. */
    readonly failureCooldown: string;
    readonly failureCooldownMs: number;
    /** First retry delay; doubles per attempt, capped at 16×. Default `10s`. */
    readonly retryBase: string;
    readonly retryBaseMs: number;
    /** Snapshot the old instance's volumes (tagged with the job id) before terminating it. Default false. */
    readonly preserveEvidence: boolean;
    /** ASG replacements raise desired capacity by one first (MaxSize too while needed), so capacity never dips. Default true. */
    readonly asgSurge: boolean;
    /** UTC windows in which replacements may start; empty = any time. Default []. */
    readonly maintenanceWindows: readonly {
      readonly days: readonly ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
      readonly start: string;
      readonly end: string;
    }[];
    /** External deployer for `strategy: webhook`: signed POST (HMAC-SHA256 of the body). Default null. */
    readonly webhook: {
      readonly url: string;
      readonly secret: string;
      readonly timeout: string;
      readonly timeoutMs: number;
    } | null;
    /** `auto`: ASG members via Auto Scaling, standalone instances launch-then-terminate; `webhook`: always the webhook. */
    readonly strategy: 'auto' | StrategyOverride;
  };
  readonly auth: {
    /** Bearer tokens for write endpoints. Default none (write endpoints refuse everything). */
    readonly tokens: readonly ApiToken[];
  };
  readonly log: {
    /** pino level. Default `info`. */
    readonly level: LogLevel;
  };
}
