// zod schema of driftwarden.yaml: every key, its default and its limits (the file's shape, before normalising).
import { availableParallelism, totalmem } from 'node:os';
import { z } from 'zod';
import { DEFAULT_CONSENSUS_SETTINGS } from '../core/consensus.js';
import { parseDuration } from '../core/duration.js';
import { DEFAULT_MAX_FINDINGS_PER_SECTION } from '../core/finding-cap.js';
import { parsePeerAddress } from '../core/peer-address.js';
import { MAX_SHARDS } from '../core/shard-assignment.js';
import {
  ACCOUNT_ID_PATTERN,
  EXTERNAL_ID_PATTERN,
  REGION_PATTERN,
  ROLE_ARN_PATTERN,
  roleArnAccount,
} from './aws-patterns.js';
import { parseByteSize } from './byte-size.js';
import { LOG_LEVELS, REMEDIATION_MODES, STRATEGY_OVERRIDES, TOKEN_SCOPES } from './config.js';
import { describeCronProblem } from './cron-schedule.js';

/** Scan and listing threads run at this nice value at least, below the main thread's HTTP. */
export const DEFAULT_SCAN_NICENESS = 10;

/**
 * The scan thread's V8 heap limit in MiB: half the memory the process may use (a container's limit
 * when it has one, else the machine's), at most 1 GiB. A 100,000-instance scan holds about 130 MB;
 * below 2 GiB V8 also lets a heap outgrow what it holds by less (about 1.6× at 1 GiB, against 4×
 * under its own default of up to 4 GiB on a large machine).
 */
export function defaultScanMaxHeapMb(): number {
  // Node 20 answers 2^64 when there is no limit.
  const limit = process.constrainedMemory?.() ?? 0;
  const memory = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
  return Math.max(64, Math.min(1024, Math.floor(memory / 2 / 2 ** 20)));
}

/**
 * The cores the main and scan threads leave, at most 4. Parsing a page costs little since the scan's
 * own reader (about 16 µs per instance), so on two cores the scan thread parses faster than it could
 * hand pages over; beyond 4 the AWS budget, not parsing, is the limit.
 */
export function defaultListThreads(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 2));
}

/** Tokens below this length are guessable; the check applies to the resolved value of `env:NAME` too. */
export const MIN_TOKEN_LENGTH = 16;
export const ENV_TOKEN_PREFIX = 'env:';
/** `shards.index: hostname` takes the index from the ordinal ending the host (pod) name. */
export const SHARD_INDEX_FROM_HOSTNAME = 'hostname';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const duration = (fallback: string) =>
  z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) > 0, {
      error: 'expected a positive duration such as 30s, 5m, 1h30m or 2d',
    })
    .default(fallback);

const integer = (min: number, max: number, fallback: number) =>
  z.number().int().min(min).max(max).default(fallback);
// Names, hosts and paths: a control character there is a mistake or an attack (the C library
// cuts a host or path at a NUL, silently), never meant.
const nonEmpty = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .superRefine((value, ctx) => {
    const problem = describeControlCharacter(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Names the first C0 control character or DEL in `value` (1-based position), or null if it has none. */
function describeControlCharacter(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      return `must not contain control characters (U+${hex} at position ${i + 1})`;
    }
  }
  return null;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const clockTime = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, {
  error: 'expected a UTC time HH:MM, e.g. 02:30 (24:00 ends a day)',
});
const maintenanceWindowSchema = z.strictObject({
  days: z
    .array(z.enum(DAYS))
    .min(1)
    .default([...DAYS]),
  start: clockTime,
  end: clockTime,
});

export const regionSchema = z
  .string()
  .regex(REGION_PATTERN, { error: 'expected an AWS region such as us-east-1' });

/** Duplicates in a list that means a set are reported at the second occurrence. */
function rejectDuplicates<T>(what: string) {
  return (items: T[], ctx: z.core.$RefinementCtx<T[]>) => {
    const seen = new Map<T, number>();
    items.forEach((item, index) => {
      const first = seen.get(item);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${what} (also at [${first}])` });
      } else seen.set(item, index);
    });
  };
}

// YAML reads an unquoted `account: 012345678901` as a number; padding restores the leading zeros.
const accountId = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((value) => (typeof value === 'number' ? String(value).padStart(12, '0') : value))
  .pipe(z.string().regex(ACCOUNT_ID_PATTERN, { error: 'expected a 12-digit AWS account id' }));

const targetSchema = z
  .strictObject({
    account: accountId.nullable().default(null),
    regions: z
      .array(regionSchema)
      .min(1, { error: 'list at least one region' })
      .superRefine(rejectDuplicates('region')),
    roleArn: z
      .string()
      .regex(ROLE_ARN_PATTERN, {
        error: 'expected an IAM role ARN such as arn:aws:iam::123456789012:role/driftwarden',
      })
      .nullable()
      .default(null),
    externalId: z
      .string()
      .regex(EXTERNAL_ID_PATTERN, { error: 'expected 2..1224 characters of [A-Za-z0-9+=,.@:/_-]' })
      .nullable()
      .default(null),
    // A single value is accepted for a filter, as a one-element list.
    filters: z
      .record(
        nonEmpty,
        z.union([
          nonEmpty.transform((v) => [v]),
          z.array(nonEmpty).min(1, { error: 'list at least one value' }),
        ]),
      )
      .default({}),
  })
  .superRefine((target, ctx) => {
    const roleAccount = target.roleArn ? ROLE_ARN_PATTERN.exec(target.roleArn)?.[1] : undefined;
    if (target.account !== null && roleAccount !== undefined && roleAccount !== target.account) {
      ctx.addIssue({
        code: 'custom',
        path: ['account'],
        message: `account ${target.account} does not match the account of roleArn (${roleAccount})`,
      });
    }
    if (target.externalId !== null && target.roleArn === null) {
      ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'externalId needs a roleArn' });
    }
  });

/** A secret given literally (at least 16 characters) or as `env:NAME`. */
const secretSchema = (what: string) =>
  z.string().superRefine((value, ctx) => {
    if (value.startsWith(ENV_TOKEN_PREFIX)) {
      if (!ENV_NAME.test(value.slice(ENV_TOKEN_PREFIX.length))) {
        ctx.addIssue({ code: 'custom', message: 'expected env:NAME with an environment variable name' });
      }
    } else if (value.length < MIN_TOKEN_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `${what} must be at least ${MIN_TOKEN_LENGTH} characters` });
    }
  });

const tokenSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/, { error: 'expected a short name of [A-Za-z0-9_.-]' }),
  token: secretSchema('token'),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1, { error: `list at least one of ${TOKEN_SCOPES.join(', ')}` }),
});

/**
 * The file schema. Sections default to `{}` (so every key takes its default) and every object is
 * strict: a misspelt key is an error, never a silently ignored setting.
 */
export const configFileSchema = z.strictObject({
  database: z
    .strictObject({
      path: nonEmpty.default('./data/driftwarden.db'),
      retention: z
        .strictObject({
          goneInstances: duration('90d'),
          resolvedFindings: duration('90d'),
          scans: duration('30d'),
          hostObservations: duration('30d'),
          audit: duration('365d'),
        })
        .prefault({})
        .superRefine((retention, ctx) => {
          // The audit trail explains what happened to findings and scans: it must outlive them.
          const audit = parseDuration(retention.audit) ?? 0;
          for (const key of ['goneInstances', 'resolvedFindings', 'scans', 'hostObservations'] as const) {
            if ((parseDuration(retention[key]) ?? 0) > audit)
              ctx.addIssue({
                code: 'custom',
                path: ['audit'],
                message: `must be at least database.retention.${key} (${retention[key]}): audit is kept longest`,
              });
          }
        }),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: nonEmpty.default('127.0.0.1'),
      port: integer(0, 65_535, 9750),
      bodyLimit: z
        .union([z.string(), z.number()])
        .refine((size) => (parseByteSize(size) ?? 0) > 0, {
          error: 'expected a positive size such as 512kb or 1mb, or a byte count',
        })
        .default('1mb'),
    })
    .prefault({}),
  schedule: z
    .string()
    .superRefine((expression, ctx) => {
      const problem = describeCronProblem(expression);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default('*/1 * * * *'),
  scan: z
    .strictObject({
      timeout: duration('5m'),
      staleAfter: duration('3m'),
      maxFindingsPerSection: integer(1, 100_000, DEFAULT_MAX_FINDINGS_PER_SECTION),
      thread: z.boolean().default(true),
      niceness: integer(0, 19, DEFAULT_SCAN_NICENESS),
      maxHeapMb: integer(64, 65_536, defaultScanMaxHeapMb()),
    })
    .prefault({}),
  aws: z
    .strictObject({
      endpoint: z
        .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
        .nullable()
        .default(null),
      maxRequestsPerSecond: z.number().positive().max(10_000).default(10),
      maxAttempts: integer(1, 10, 3),
      pageSize: integer(5, 1000, 1000),
      listPartitions: integer(1, 16, 4),
      listThreads: integer(0, 16, defaultListThreads()),
    })
    .prefault({}),
  targets: z
    .array(targetSchema)
    .min(1, { error: 'list at least one target' })
    .superRefine((targets, ctx) => {
      // Scanning one region twice with the same credentials would report every instance twice.
      const seen = new Map<string, string>();
      targets.forEach((target, index) => {
        target.regions.forEach((region, r) => {
          const account = target.account ?? roleArnAccount(target.roleArn) ?? '';
          const key = `${account}|${target.roleArn ?? ''}|${region}`;
          const first = seen.get(key);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'regions', r],
              message: `region ${region} is already scanned with the same account and roleArn by ${first}`,
            });
          } else seen.set(key, `targets[${index}]`);
        });
      });
    })
    .prefault([{ regions: ['us-east-1'] }]),
  shards: z
    .strictObject({
      count: integer(1, MAX_SHARDS, 1),
      // `hostname`: the ordinal at the end of the host (pod) name, `driftwarden-2` → 2 (StatefulSet).
      index: z
        .union([
          z
            .number()
            .int()
            .min(0)
            .max(MAX_SHARDS - 1),
          z.literal(SHARD_INDEX_FROM_HOSTNAME),
        ])
        .nullable()
        .default(null),
      weightsFile: nonEmpty.nullable().default(null),
      // The other replicas, for the write API's fan-out of shared inputs (manifests, acceptances).
      peers: z
        .array(
          z.string().transform((text, ctx) => {
            const parsed = parsePeerAddress(text);
            if ('kind' in parsed) return parsed;
            ctx.addIssue({ code: 'custom', message: parsed.error });
            return z.NEVER;
          }),
        )
        .max(MAX_SHARDS)
        .default([]),
      peerTimeout: duration('10s'),
    })
    .prefault({})
    .superRefine((shards, ctx) => {
      if (shards.index === null && shards.count > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['index'],
          message: `required when shards.count is ${shards.count}: this replica's shard (0 to ${shards.count - 1}), or ${SHARD_INDEX_FROM_HOSTNAME} to take it from the pod name (driftwarden-2 → 2)`,
        });
      } else if (typeof shards.index === 'number' && shards.index >= shards.count) {
        ctx.addIssue({
          code: 'custom',
          path: ['index'],
          message: `shard ${shards.index} does not exist: shards.count is ${shards.count}, so the index is 0 to ${shards.count - 1}`,
        });
      }
    }),
  rules: z.strictObject({ dir: nonEmpty.default('./rules') }).prefault({}),
  fingerprints: z.strictObject({ maxAge: duration('15m') }).prefault({}),
  sources: z
    .strictObject({
      awsConfig: z.strictObject({ enabled: z.boolean().default(false), maxAge: duration('2h') }).prefault({}),
    })
    .prefault({}),
  metrics: z.strictObject({ instanceDriftLimit: integer(0, 1_000_000, 1000) }).prefault({}),
  // Peer consensus per image (docs/signal.md): when a finding is fleet-wide, an outlier or unrated.
  signal: z
    .strictObject({
      minPeers: integer(2, 1_000_000, DEFAULT_CONSENSUS_SETTINGS.minPeers),
      fleetWideShare: z.number().gt(0).max(1).default(DEFAULT_CONSENSUS_SETTINGS.fleetWideShare),
      outlierShare: z.number().min(0).lt(1).default(DEFAULT_CONSENSUS_SETTINGS.outlierShare),
      freshWindow: duration('30m'),
      applyBootNoise: z.boolean().default(false),
    })
    .prefault({})
    .superRefine((signal, ctx) => {
      if (signal.outlierShare >= signal.fleetWideShare)
        ctx.addIssue({
          code: 'custom',
          path: ['outlierShare'],
          message: `must be below signal.fleetWideShare (${signal.fleetWideShare}): a share cannot be both an outlier and fleet-wide`,
        });
    }),
  remediation: z
    .strictObject({
      mode: z.enum(REMEDIATION_MODES).default('dry-run'),
      maxConcurrent: integer(1, 1000, 1),
      maxPerHour: integer(1, 100_000, 10),
      maxUnavailablePercent: z.number().min(1).max(100).default(10),
      breaker: z
        .strictObject({
          maxDriftedPercent: z.number().min(1).max(100).default(30),
          minDrifted: integer(0, 1_000_000, 3),
        })
        .prefault({}),
      protectTag: nonEmpty.default('driftwarden:protect'),
      healthTimeout: duration('10m'),
      pollInterval: duration('5s'),
      maxAttempts: integer(1, 100, 5),
      failureCooldown: duration('6h'),
      retryBase: duration('10s'),
      preserveEvidence: z.boolean().default(false),
      asgSurge: z.boolean().default(true),
      maintenanceWindows: z.array(maintenanceWindowSchema).default([]),
      webhook: z
        .strictObject({
          url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
          secret: secretSchema('secret'),
          timeout: duration('10s'),
        })
        .nullable()
        .default(null),
      strategy: z.enum(['auto', ...STRATEGY_OVERRIDES]).default('auto'),
    })
    .prefault({}),
  auth: z
    .strictObject({
      tokens: z
        .array(tokenSchema)
        .superRefine((tokens, ctx) => {
          const seen = new Map<string, number>();
          tokens.forEach((t, index) => {
            const first = seen.get(t.name);
            if (first !== undefined) {
              ctx.addIssue({
                code: 'custom',
                path: [index, 'name'],
                message: `duplicate token name (also at [${first}])`,
              });
            } else seen.set(t.name, index);
          });
        })
        .default([]),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
});

export type ConfigFile = z.output<typeof configFileSchema>;
