// Turns the validated file shape into the Config: milliseconds, bytes, absolute paths, resolved secrets.
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { roleArnAccount } from './aws-patterns.js';
import { parseByteSize } from './byte-size.js';
import { errorMessage } from '../domain/errors.js';
import type { ApiToken, Config, ShardWeight, TokenScope } from './config.js';
import {
  ENV_TOKEN_PREFIX,
  MIN_TOKEN_LENGTH,
  SHARD_INDEX_FROM_HOSTNAME,
  type ConfigFile,
} from './config-schema.js';
import { readShardWeights } from './shard-weights.js';
import type { PlainIssue } from './zod-issues.js';

export interface NormalizeConfigOptions {
  /** Absolute path of the file read, or null. */
  file: string | null;
  /** Relative paths resolve against this: the file's directory, else the working directory. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

export interface NormalizeConfigResult {
  config: Config;
  /** Problems only visible with the environment at hand (unset token variables, …). */
  issues: PlainIssue[];
}

// Only called on values the schema already accepted, so null cannot happen here.
function ms(text: string): number {
  return parseDuration(text) ?? Number.NaN;
}

function resolvePath(baseDir: string, path: string, keepAsIs: readonly string[] = []): string {
  return keepAsIs.includes(path) || isAbsolute(path) ? path : resolve(baseDir, path);
}

export function normalizeConfig(raw: ConfigFile, options: NormalizeConfigOptions): NormalizeConfigResult {
  const issues: PlainIssue[] = [];
  const tokens = resolveTokens(raw.auth.tokens, options.env, issues);

  let endpoint = raw.aws.endpoint;
  const fromEnv = options.env.AWS_ENDPOINT_URL?.trim();
  if (endpoint === null && fromEnv) {
    if (/^https?:\/\/[^/]/.test(fromEnv) && URL.canParse(fromEnv)) endpoint = fromEnv;
    else
      issues.push({
        path: ['aws', 'endpoint'],
        message: `AWS_ENDPOINT_URL (used when aws.endpoint is null) is not an http(s) URL`,
      });
  }

  if (raw.remediation.strategy === 'webhook' && raw.remediation.webhook === null) {
    issues.push({
      path: ['remediation', 'webhook'],
      message: 'strategy webhook needs remediation.webhook (url and secret)',
    });
  }

  const config: Config = {
    file: options.file,
    database: {
      path: resolvePath(options.baseDir, raw.database.path, [':memory:']),
      retention: {
        goneInstances: raw.database.retention.goneInstances,
        goneInstancesMs: ms(raw.database.retention.goneInstances),
        resolvedFindings: raw.database.retention.resolvedFindings,
        resolvedFindingsMs: ms(raw.database.retention.resolvedFindings),
        scans: raw.database.retention.scans,
        scansMs: ms(raw.database.retention.scans),
        hostObservations: raw.database.retention.hostObservations,
        hostObservationsMs: ms(raw.database.retention.hostObservations),
        audit: raw.database.retention.audit,
        auditMs: ms(raw.database.retention.audit),
      },
    },
    http: {
      host: raw.http.host,
      port: raw.http.port,
      bodyLimit:
        typeof raw.http.bodyLimit === 'number' ? `${raw.http.bodyLimit}b` : raw.http.bodyLimit.trim(),
      bodyLimitBytes: parseByteSize(raw.http.bodyLimit) ?? Number.NaN,
    },
    schedule: raw.schedule,
    scan: {
      timeout: raw.scan.timeout,
      timeoutMs: ms(raw.scan.timeout),
      staleAfter: raw.scan.staleAfter,
      staleAfterMs: ms(raw.scan.staleAfter),
      maxFindingsPerSection: raw.scan.maxFindingsPerSection,
      thread: raw.scan.thread,
      niceness: raw.scan.niceness,
      maxHeapMb: raw.scan.maxHeapMb,
    },
    aws: { ...raw.aws, endpoint },
    targets: raw.targets.map((t) => ({
      // A role's account is known from its ARN, so its instances and findings carry it.
      account: t.account ?? roleArnAccount(t.roleArn),
      regions: t.regions,
      roleArn: t.roleArn,
      externalId: t.externalId,
      filters: t.filters,
    })),
    shards: normalizeShards(raw.shards, options, issues),
    rules: { dir: resolvePath(options.baseDir, raw.rules.dir) },
    fingerprints: { maxAge: raw.fingerprints.maxAge, maxAgeMs: ms(raw.fingerprints.maxAge) },
    sources: {
      awsConfig: {
        enabled: raw.sources.awsConfig.enabled,
        maxAge: raw.sources.awsConfig.maxAge,
        maxAgeMs: ms(raw.sources.awsConfig.maxAge),
      },
    },
    metrics: { instanceDriftLimit: raw.metrics.instanceDriftLimit },
    signal: {
      minPeers: raw.signal.minPeers,
      fleetWideShare: raw.signal.fleetWideShare,
      outlierShare: raw.signal.outlierShare,
      freshWindow: raw.signal.freshWindow,
      freshWindowMs: ms(raw.signal.freshWindow),
      applyBootNoise: raw.signal.applyBootNoise,
    },
    remediation: {
      mode: raw.remediation.mode,
      maxConcurrent: raw.remediation.maxConcurrent,
      maxPerHour: raw.remediation.maxPerHour,
      maxUnavailablePercent: raw.remediation.maxUnavailablePercent,
      breaker: { ...raw.remediation.breaker },
      protectTag: raw.remediation.protectTag,
      healthTimeout: raw.remediation.healthTimeout,
      healthTimeoutMs: ms(raw.remediation.healthTimeout),
      pollInterval: raw.remediation.pollInterval,
      pollIntervalMs: ms(raw.remediation.pollInterval),
      maxAttempts: raw.remediation.maxAttempts,
      failureCooldown: raw.remediation.failureCooldown,
      failureCooldownMs: ms(raw.remediation.failureCooldown),
      retryBase: raw.remediation.retryBase,
      retryBaseMs: ms(raw.remediation.retryBase),
      preserveEvidence: raw.remediation.preserveEvidence,
      asgSurge: raw.remediation.asgSurge,
      maintenanceWindows: raw.remediation.maintenanceWindows.map((w) => ({ ...w, days: [...w.days] })),
      webhook:
        raw.remediation.webhook === null
          ? null
          : {
              url: raw.remediation.webhook.url,
              secret: resolveSecret(
                raw.remediation.webhook.secret,
                ['remediation', 'webhook', 'secret'],
                options.env,
                issues,
              ),
              timeout: raw.remediation.webhook.timeout,
              timeoutMs: ms(raw.remediation.webhook.timeout),
            },
      strategy: raw.remediation.strategy,
    },
    auth: { tokens },
    log: { level: raw.log.level },
  };
  return { config, issues };
}

/**
 * Resolves `index: hostname` from `HOSTNAME` (what Kubernetes sets to the pod name), else the
 * system's host name, and reads the weights file; either failing is an issue naming its key.
 */
function normalizeShards(
  raw: ConfigFile['shards'],
  options: NormalizeConfigOptions,
  issues: PlainIssue[],
): Config['shards'] {
  let index = typeof raw.index === 'number' ? raw.index : 0;
  if (raw.index === SHARD_INDEX_FROM_HOSTNAME) {
    const name = options.env.HOSTNAME?.trim() || hostname();
    const ordinal = /-(\d+)$/.exec(name)?.[1];
    if (ordinal === undefined) {
      issues.push({
        path: ['shards', 'index'],
        message: `host name "${name}" does not end in an ordinal such as -2, which index ${SHARD_INDEX_FROM_HOSTNAME} needs (or give the index as a number)`,
      });
    } else if (Number(ordinal) >= raw.count) {
      issues.push({
        path: ['shards', 'index'],
        message: `host name "${name}" gives shard ${Number(ordinal)}, which does not exist: shards.count is ${raw.count}`,
      });
    } else index = Number(ordinal);
  }
  const weightsFile = raw.weightsFile === null ? null : resolvePath(options.baseDir, raw.weightsFile);
  let weights: ShardWeight[] = [];
  if (weightsFile !== null) {
    try {
      weights = readShardWeights(weightsFile);
    } catch (error) {
      issues.push({ path: ['shards', 'weightsFile'], message: errorMessage(error) });
    }
  }
  return {
    count: raw.count,
    index,
    indexFrom: raw.index === SHARD_INDEX_FROM_HOSTNAME ? 'hostname' : 'config',
    weightsFile,
    weights,
    peers: raw.peers,
    peerTimeout: raw.peerTimeout,
    peerTimeoutMs: ms(raw.peerTimeout),
  };
}

/** Resolves `env:NAME` to the variable's value; a missing or short (< 16 chars) env secret is an issue. */
function resolveSecret(
  value: string,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  issues: PlainIssue[],
): string {
  if (!value.startsWith(ENV_TOKEN_PREFIX)) return value;
  const name = value.slice(ENV_TOKEN_PREFIX.length);
  const resolved = env[name];
  if (resolved === undefined || resolved === '') {
    issues.push({ path, message: `environment variable ${name} is not set` });
  } else if (resolved.length < MIN_TOKEN_LENGTH) {
    issues.push({
      path,
      message: `environment variable ${name} holds a secret shorter than ${MIN_TOKEN_LENGTH} characters`,
    });
  }
  return resolved ?? '';
}

function resolveTokens(
  tokens: ConfigFile['auth']['tokens'],
  env: NodeJS.ProcessEnv,
  issues: PlainIssue[],
): ApiToken[] {
  const byValue = new Map<string, number>();
  return tokens.map((entry, index) => {
    const path = ['auth', 'tokens', index, 'token'];
    const token = resolveSecret(entry.token, path, env, issues);
    const first = byValue.get(token);
    if (token !== '' && first !== undefined) {
      // Two names for one secret would make the audit log attribute actions to the wrong caller.
      issues.push({ path, message: `same token as auth.tokens[${first}]` });
    } else byValue.set(token, index);
    const scopes = [...new Set<TokenScope>(entry.scopes)].sort();
    return { name: entry.name, token, scopes };
  });
}
