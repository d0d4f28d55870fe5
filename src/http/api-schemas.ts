// Response bodies of the v1 API as zod schemas: what the handlers return, the source of the OpenAPI document's response schemas.
import { z } from 'zod';
import type {
  FleetSummary,
  FleetTarget,
  FleetTargets,
  PeerOutcome,
  RuleSeverityCount,
  ShardReport,
  ShardStatus,
} from '../app/fleet-view.js';
import type {
  Acceptance,
  FindingAcceptance,
  ImportResult,
  ManifestMismatch,
  ScanRecord,
  StoredFinding,
  StoredInstance,
} from '../app/ports.js';
import type { AuditEntry, JobReason, RemediationSwitch } from '../app/remediation/ports.js';
import type { ReasonView } from '../app/remediation/reason-port.js';
import { strategyDataSchema } from '../app/remediation/job-data.js';
import type { ScanJson } from '../app/scan-json.js';
import { FINDING_SECTIONS } from '../core/finding-cap.js';
import { REASON_CODES } from '../core/remediation-reasons.js';
import { JOB_STATES } from '../core/remediation-types.js';
import {
  CHANGES,
  FINDING_ONSETS,
  FINDING_SCOPES,
  HOST_SOURCES,
  INSTANCE_STATUSES,
  SEVERITIES,
  type Change,
  type HostObservation,
  type InstanceObservation,
  type InstanceStatus,
  type ResolvedManifest,
  type SourceView,
  type TargetResult,
} from '../domain/types.js';
import { hostSectionSchema, manifestSchema } from '../manifests/manifest-schema.js';
import type { ShardOutcome } from './fan-out.js';

// Schemas with an `id` (.meta) are the document's components/schemas: the types a generated client gets.
// Responses are strict: a field a handler starts returning without a line here fails the contract test.
const timestamp = z.string().describe('ISO 8601 date-time (UTC)');
const link = z.string().describe('a path under /api/v1 to follow as is');
const change = z.enum(CHANGES as [Change, ...Change[]]);
const severity = z.enum(SEVERITIES);
const hostSource = z.enum(HOST_SOURCES);
const count = z.number().int().min(0);

/** RFC 9457 problem details; some errors add fields (`errors`, `missing`, `code`, the remediation status). */
export const problemSchema = z
  .looseObject({
    type: z.literal('about:blank'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().describe('the request path with its query string'),
    errors: z.array(z.string()).optional().describe('one entry per validation problem'),
  })
  .meta({ id: 'Problem' });

/** The common page shape of every list (`total` only where it is one index count). */
export function pageSchema<T extends z.ZodType>(item: T, withTotal: boolean) {
  return z.strictObject({
    items: z.array(item),
    limit: z.number().int().min(1),
    next: z.string().nullable().describe('the cursor of the next page; null on the last page'),
    nextHref: link.nullable(),
    ...(withTotal ? { total: count } : {}),
  });
}

const sourceView = z.strictObject({
  source: hostSource,
  observedAt: timestamp,
  actual: z.unknown(),
}) satisfies z.ZodType<SourceView>;

const findingAcceptance = z.strictObject({
  id: z.number().int(),
  reason: z.string(),
  until: timestamp,
  createdBy: z.string(),
}) satisfies z.ZodType<FindingAcceptance>;

export const storedFindingSchema = z
  .strictObject({
    id: z.number().int(),
    instanceId: z.string(),
    imageId: z.string(),
    path: z.string(),
    change,
    expected: z.unknown(),
    actual: z.unknown(),
    sources: z.array(sourceView).optional(),
    rule: z.string(),
    severity,
    action: z.enum(['report', 'replace']),
    forMs: z.number().int().nullable(),
    account: z.string().nullable(),
    region: z.string(),
    group: z.string().nullable(),
    firstSeen: timestamp,
    lastSeen: timestamp,
    resolvedAt: timestamp.nullable(),
    /** `released`: its instance's target moved to another shard or left the configuration. */
    resolvedReason: z.enum(['released']).nullable(),
    accepted: z.boolean(),
    acceptance: findingAcceptance.nullable(),
    scope: z.enum(FINDING_SCOPES),
    onset: z.enum(FINDING_ONSETS).nullable(),
  })
  .meta({ id: 'Finding' }) satisfies z.ZodType<StoredFinding>;

const observationSchema = z.strictObject({
  instanceId: z.string(),
  account: z.string().nullable(),
  ownerId: z.string().nullable(),
  region: z.string(),
  imageId: z.string(),
  state: z.enum(['pending', 'running', 'stopping', 'stopped']),
  instanceType: z.string().nullable(),
  iamInstanceProfile: z.string().nullable(),
  securityGroups: z.array(z.string()),
  metadataOptions: z.strictObject({ httpTokens: z.string().nullable(), httpEndpoint: z.string().nullable() }),
  tags: z.record(z.string(), z.string()),
  asgName: z.string().nullable(),
  subnetId: z.string().nullable(),
  launchTime: timestamp.nullable(),
  userDataSha256: z.string().nullable().optional(),
  source: z.literal('ec2'),
  observedAt: timestamp,
}) satisfies z.ZodType<InstanceObservation>;

export const storedInstanceSchema = z
  .strictObject({
    instanceId: z.string(),
    account: z.string().nullable(),
    region: z.string(),
    imageId: z.string(),
    group: z.string().nullable(),
    status: z.enum(INSTANCE_STATUSES),
    present: z.boolean(),
    observation: observationSchema,
    firstSeen: timestamp,
    lastSeen: timestamp,
    lastScanId: z.string(),
    releasedAt: timestamp.nullable(),
  })
  .meta({ id: 'Instance' }) satisfies z.ZodType<StoredInstance>;

const hostObservationSchema = z
  .strictObject({
    instanceId: z.string(),
    source: hostSource,
    observedAt: timestamp,
    // Stored as pushed and checked then; shown, not re-validated, so the push schema's refinements do not apply.
    host: hostSectionSchema,
    digests: z
      .strictObject({ packages: z.string(), files: z.string(), services: z.string() })
      .partial()
      .optional(),
    skipped: z.array(z.strictObject({ path: z.string(), reason: z.string() })).optional(),
    truncated: z
      .strictObject({ packages: count, files: count, services: count })
      .partial()
      .optional()
      .describe("each cut map's full size"),
  })
  .meta({ id: 'HostObservation' }) satisfies z.ZodType<HostObservation>;

export const reasonViewSchema = z
  .strictObject({
    code: z.enum(REASON_CODES),
    text: z.string(),
    since: timestamp,
    jobId: z.string().optional(),
  })
  .meta({ id: 'WaitReason' }) satisfies z.ZodType<ReasonView>;

export const instanceDetailSchema = z.strictObject({
  instance: storedInstanceSchema,
  findings: z.array(storedFindingSchema),
  findingSections: z.array(
    z.strictObject({
      section: z.enum(FINDING_SECTIONS),
      total: count,
      accepted: count,
      shown: count,
      next: link.nullable(),
    }),
  ),
  history: z.array(storedFindingSchema),
  historyNext: link.nullable(),
  host: hostObservationSchema.nullable(),
  hosts: z.array(hostObservationSchema),
  remediation: z.strictObject({ reason: reasonViewSchema.nullable() }),
});

export const sectionFindingsSchema = z.strictObject({
  section: z.enum(FINDING_SECTIONS),
  total: count,
  items: z.array(storedFindingSchema),
  cursor: z.string().nullable(),
  next: link.nullable(),
});

const targetResult = z.strictObject({
  account: z.string().nullable(),
  region: z.string(),
  status: z.enum(['ok', 'stale']),
  error: z.string().nullable(),
  inventory: z
    .strictObject({ source: hostSource, status: z.enum(['ok', 'stale']), error: z.string().nullable() })
    .optional(),
}) satisfies z.ZodType<TargetResult>;

const instanceCounts = z.strictObject({
  total: count,
  compliant: count,
  drifted: count,
  unknownImage: count,
  stale: count,
});

export const scanRecordSchema = z
  .strictObject({
    scanId: z.string(),
    outcome: z.enum(['success', 'partial', 'failure']),
    startedAt: timestamp,
    finishedAt: timestamp,
    targets: z.array(targetResult),
    instances: instanceCounts,
    findings: count,
  })
  .meta({ id: 'ScanRecord' }) satisfies z.ZodType<ScanRecord>;

/** `GET /manifest-mismatches`: one entry per image and path whose difference is fleet-wide since boot. */
export const manifestMismatchSchema = z.strictObject({
  region: z.string(),
  imageId: z.string(),
  path: z.string(),
  change,
  rule: z.string(),
  severity,
  expected: z.unknown().describe('what the manifest declares'),
  actual: z.unknown().describe("the value the image's instances agree on"),
  instances: count.describe('present instances with this open, unaccepted finding'),
  firstSeen: timestamp,
}) satisfies z.ZodType<ManifestMismatch>;

export const scanListSchema = pageSchema(scanRecordSchema, false).extend({ running: z.boolean() });

/** `POST /scans?wait=true`: the `scan --once --json` document, its findings bounded. */
export const scanReportSchema = z.strictObject({
  scanId: z.string(),
  outcome: z.enum(['success', 'partial', 'failure']),
  startedAt: timestamp,
  finishedAt: timestamp,
  instances: instanceCounts,
  targets: z.array(targetResult),
  findings: z.array(
    z.strictObject({
      instanceId: z.string(),
      imageId: z.string(),
      rule: z.string(),
      severity,
      action: z.enum(['report', 'replace']),
      path: z.string(),
      change,
      expected: z.unknown(),
      actual: z.unknown(),
      sources: z.array(sourceView).optional(),
      firstSeen: timestamp,
      accepted: z.boolean(),
      scope: z.enum(FINDING_SCOPES),
      onset: z.enum(FINDING_ONSETS).optional(),
      acceptance: findingAcceptance.optional(),
    }),
  ),
  findingsOmitted: count.optional(),
  findingsHref: link.optional(),
}) satisfies z.ZodType<ScanJson>;

export const acceptedSchema = z.strictObject({ status: z.literal('accepted') });

export const resolvedManifestSchema = z
  .strictObject({
    manifest: manifestSchema,
    digest: z.string(),
    importedAt: timestamp,
    revokedAt: timestamp.nullable(),
    revokedReason: z.string().nullable(),
    status: z.enum(['active', 'revoked', 'superseded']),
    supersededBy: z.string().nullable(),
  })
  .meta({ id: 'Manifest' }) satisfies z.ZodType<ResolvedManifest>;

export const importResultsSchema = z.strictObject({
  items: z.array(
    z.strictObject({
      imageId: z.string(),
      region: z.string(),
      outcome: z.enum(['created', 'unchanged']),
    }) satisfies z.ZodType<ImportResult>,
  ),
});

export const fingerprintAcceptedSchema = z.strictObject({
  status: z.literal('accepted'),
  instanceId: z.string(),
});

export const acceptanceSchema = z
  .strictObject({
    id: z.number().int(),
    instanceId: z.string().nullable(),
    rule: z.string().nullable(),
    reason: z.string(),
    until: timestamp,
    createdBy: z.string(),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
    revokedBy: z.string().nullable(),
  })
  .meta({ id: 'Acceptance' }) satisfies z.ZodType<Acceptance>;

const jobReason = z.strictObject({
  rule: z.string(),
  severity,
  path: z.string(),
  change,
  omitted: count.optional(),
}) satisfies z.ZodType<JobReason>;

const jobFields = z.strictObject({
  jobId: z.string(),
  instanceId: z.string(),
  account: z.string().nullable(),
  region: z.string(),
  group: z.string().nullable(),
  asgName: z.string().nullable(),
  imageId: z.string(),
  targetImageId: z.string().nullable(),
  state: z.enum(JOB_STATES),
  step: z.string().nullable(),
  attempts: count,
  nextAttemptAt: timestamp.nullable(),
  stepStartedAt: timestamp.nullable(),
  reason: z.array(jobReason),
  newInstanceId: z.string().nullable(),
  approvedBy: z.string().nullable(),
  approvedAt: timestamp.nullable(),
  cancelRequested: z.boolean(),
  error: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

export const auditEntrySchema = z
  .strictObject({
    id: z.number().int(),
    at: timestamp,
    actor: z.string(),
    action: z.string(),
    jobId: z.string().nullable(),
    instanceId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' }) satisfies z.ZodType<AuditEntry>;

/** A job of each strategy (its data typed by that strategy), with `extra` fields. */
function jobUnion<S extends z.core.$ZodLooseShape>(extra: S) {
  const [asg, launchThenTerminate, webhook] = strategyDataSchema.options;
  const fields = jobFields.extend(extra);
  return z.discriminatedUnion('strategy', [
    fields.extend(asg.shape),
    fields.extend(launchThenTerminate.shape),
    fields.extend(webhook.shape),
  ]);
}

/** A replacement job as stored: what approve and cancel answer (its wait reason is set again by the next tick). */
export const jobSchema = jobUnion({}).meta({ id: 'ReplacementJob' });

const waitReason = reasonViewSchema
  .nullable()
  .describe('why an open job is held back; null once it runs or ends');

/** A job with its current wait reason, as lists and reads show it. */
export const jobViewSchema = jobUnion({ waitReason }).meta({ id: 'ReplacementJobView' });

/** One job with the first page of its audit trail. */
export const jobDetailSchema = jobUnion({
  waitReason,
  audit: z.array(auditEntrySchema),
  auditTotal: count,
  auditNext: link.nullable(),
  auditHref: link,
});

const remediationSwitch = z.strictObject({
  paused: z.boolean(),
  reason: z.string().nullable().describe('manual or drift-storm'),
  detail: z.string().nullable(),
  pausedAt: timestamp.nullable(),
  pausedBy: z.string().nullable(),
}) satisfies z.ZodType<RemediationSwitch>;

export const remediationStatusSchema = z.strictObject({
  mode: z.string(),
  ...remediationSwitch.shape,
  inFlight: count,
  // Every code present, 0 when none: named properties, so a client sees each code.
  blocked: z.strictObject(Object.fromEntries(REASON_CODES.map((code) => [code, count]))),
});

export const remediationChangedSchema = z.strictObject({
  changed: z.literal(true),
  ...remediationSwitch.shape,
});

export const waitingSchema = pageSchema(
  z.strictObject({ instanceId: z.string(), ...reasonViewSchema.shape }),
  false,
);

/** `207` of a shared-input write that did not reach every shard (docs/api.md, writes on every shard). */
export function fanOutSchema(result: z.ZodType) {
  return z.strictObject({
    result,
    shards: z.array(
      z.strictObject({
        shard: z.number().int().nullable(),
        url: z.string().nullable(),
        status: z.number().int().nullable(),
        error: z.string().nullable(),
      }) satisfies z.ZodType<ShardOutcome>,
    ),
  });
}

/** Instances per state, every state named (the `driftwarden_instances` label values). */
export const instanceStatusCountsSchema = z.strictObject({
  compliant: count,
  drifted: count,
  unknown_image: count,
  stale: count,
}) satisfies z.ZodType<Record<InstanceStatus, number>>;

export const ruleSeverityCountSchema = z.strictObject({
  rule: z.string(),
  severity,
  count,
}) satisfies z.ZodType<RuleSeverityCount>;

const peerOutcomeSchema = z
  .strictObject({
    url: z.string(),
    shard: z.number().int().min(0).nullable().describe('the shard it answered as; null when it did not'),
    error: z.string().nullable().describe('why it did not answer'),
  })
  .meta({ id: 'FleetPeer' }) satisfies z.ZodType<PeerOutcome>;

const shardStatusSchema = z
  .strictObject({
    shard: z.number().int().min(0),
    answered: z.boolean(),
    targets: count,
    staleTargets: count,
    instances: instanceStatusCountsSchema.nullable().describe('its own totals; null when it did not answer'),
    findings: count.nullable(),
  })
  .meta({ id: 'FleetShard' }) satisfies z.ZodType<ShardStatus>;

/** `GET /fleet/summary`: totals over the shards that answered. */
export const fleetSummarySchema = z.strictObject({
  shardCount: z.number().int().min(1),
  shards: z.array(shardStatusSchema),
  peers: z.array(peerOutcomeSchema),
  instances: instanceStatusCountsSchema,
  findings: z.strictObject({
    total: count,
    bySeverity: z.strictObject({ info: count, warning: count, critical: count }),
    byRule: z.array(ruleSeverityCountSchema),
  }),
  targets: z.strictObject({ total: count, fresh: count, stale: count }),
}) satisfies z.ZodType<FleetSummary>;

const fleetTargetSchema = z.strictObject({
  account: z.string().nullable(),
  region: z.string(),
  shard: z.number().int().min(0),
  lastScannedAt: timestamp.nullable(),
  state: z.enum(['fresh', 'stale']),
  staleReason: z.enum(['shard-not-answering', 'never-scanned', 'not-scanned-recently']).nullable(),
}) satisfies z.ZodType<FleetTarget>;

/** `GET /fleet/targets`: every configured target with its shard and freshness. */
export const fleetTargetsSchema = z.strictObject({
  shardCount: z.number().int().min(1),
  shards: z.array(shardStatusSchema),
  peers: z.array(peerOutcomeSchema),
  items: z.array(fleetTargetSchema),
}) satisfies z.ZodType<FleetTargets>;

/** `GET /fleet/shard`: this replica's own part, what the other replicas ask it for. */
export const fleetShardReportSchema = z.strictObject({
  shard: z.number().int().min(0),
  instances: instanceStatusCountsSchema,
  findings: z.array(ruleSeverityCountSchema),
  targetScans: z.array(
    z.strictObject({ account: z.string().nullable(), region: z.string(), scannedAt: timestamp }),
  ),
}) satisfies z.ZodType<ShardReport>;

const fleetFindingSchema = z
  .strictObject({ ...storedFindingSchema.shape, shard: z.number().int().min(0) })
  .meta({ id: 'FleetFinding' });

/** `GET /fleet/findings`: one page merged across shards; a peer's fanned-out request gets only this replica's page. */
export const fleetFindingsSchema = z.union([
  pageSchema(fleetFindingSchema, false).extend({
    shards: z.array(z.strictObject({ shard: z.number().int().min(0), answered: z.boolean() })),
    peers: z.array(peerOutcomeSchema),
  }),
  z
    .strictObject({
      shard: z.number().int().min(0),
      items: z.array(fleetFindingSchema),
      next: z.string().nullable().describe('the cursor of the next page; null on the last page'),
    })
    .describe("with `X-Driftwarden-Fanned-Out`: this replica's own page"),
]);
