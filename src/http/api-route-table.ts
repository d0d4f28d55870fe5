// Every /api/v1 route with its scope, the zod schemas that validate its input and describe its answers, and its problem statuses: the OpenAPI document's source.
import { z } from 'zod';
import { manifestDocumentSchema } from '../manifests/parse-manifest.js';
import { acceptanceBody, acceptanceIdParams, acceptancesQuery } from './acceptance-routes.js';
import {
  fingerprintBody,
  findingsQuery,
  historyQuery,
  instancesQuery,
  manifestMismatchesQuery,
  manifestsQuery,
  revokeBody,
  scansQuery,
} from './api-routes.js';
import {
  acceptanceSchema,
  acceptedSchema,
  auditEntrySchema,
  fingerprintAcceptedSchema,
  fleetFindingsSchema,
  fleetShardReportSchema,
  fleetSummarySchema,
  fleetTargetsSchema,
  importResultsSchema,
  instanceDetailSchema,
  jobDetailSchema,
  jobSchema,
  jobViewSchema,
  manifestMismatchSchema,
  pageSchema,
  remediationChangedSchema,
  remediationStatusSchema,
  resolvedManifestSchema,
  scanListSchema,
  scanRecordSchema,
  scanReportSchema,
  sectionFindingsSchema,
  storedFindingSchema,
  storedInstanceSchema,
  waitingSchema,
} from './api-schemas.js';
import type { Scope } from './auth.js';
import { sectionFindingsQuery } from './finding-cursor.js';
import { auditQuery, jobsQuery, reasonBody, waitingQuery } from './remediation-routes.js';

/** Where the API is mounted; table paths are relative to it. */
export const API_PREFIX = '/api/v1';

export type ApiTag =
  'fleet' | 'scans' | 'manifests' | 'fingerprints' | 'acceptances' | 'replacements' | 'remediation' | 'meta';

export interface ApiResponse {
  description: string;
  schema: z.ZodType;
}

export interface ApiRoute {
  method: 'get' | 'post';
  /** The express path under API_PREFIX (`:name` parameters). */
  path: string;
  operationId: string;
  summary: string;
  tag: ApiTag;
  /** The bearer token's scope (`admin` implies every scope); null: no token needed. */
  scope: Scope | null;
  /** One entry per `:name` in `path`. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; required: boolean };
  /** Success answers by status (application/json). */
  responses: Readonly<Record<number, ApiResponse>>;
  /** Problem+json answers the route gives (500 is implied for every route). */
  errors: readonly ProblemStatus[];
  /** Written on every shard when sharded (fan-out.ts): may answer 207. */
  sharedInput?: boolean;
}

/** The problem statuses the API uses and when (docs/api.md, Errors). */
export const PROBLEM_STATUSES = {
  400: 'The query, path or body fails validation (`errors` names each problem), or the body is malformed JSON.',
  401: 'No bearer token, or an unknown one (`WWW-Authenticate` says which).',
  403: "The token lacks the endpoint's scope (and `admin`).",
  404: 'No such resource.',
  409: 'The resource is not in a state that allows this.',
  413: 'The body is larger than `http.bodyLimit`.',
  415: 'The body is not sent as application/json.',
  500: 'Anything else; logged with its cause, nothing leaks into the answer.',
  503: 'The database reported an I/O error (`code`); nothing was written.',
  507: "The database's disk is full (`code`); nothing was written.",
} as const;
export type ProblemStatus = keyof typeof PROBLEM_STATUSES;

const idParams = (name: string, description: string) =>
  z.strictObject({ [name]: z.string().min(1).describe(description) });
const instanceParams = idParams('id', 'EC2 instance id');
const jobParams = idParams('id', 'replacement job id');
const imageParams = idParams('imageId', 'AMI id');

/** `POST /scans`: only `wait=true` (exactly) changes the answer; other values and parameters are ignored. */
const scanTriggerQuery = z.object({
  wait: z.enum(['true', 'false']).optional().describe('`true`: wait for the scan and answer its report'),
});

/** Errors of a scoped write: authentication first, then the database. */
const WRITE: readonly ProblemStatus[] = [401, 403, 503, 507];
/** Errors of a write that reads a JSON body. */
const JSON_WRITE: readonly ProblemStatus[] = [...WRITE, 400, 413, 415];

const ok = (description: string, schema: z.ZodType) => ({ 200: { description, schema } });

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI document',
    tag: 'meta',
    scope: null,
    responses: ok('The OpenAPI 3.1 document of this API.', z.record(z.string(), z.unknown())),
    errors: [],
  },
  {
    method: 'get',
    path: '/instances',
    operationId: 'listInstances',
    summary: 'Instances in the fleet, by instance id',
    tag: 'fleet',
    scope: null,
    query: instancesQuery,
    responses: ok('A page of instances with `total`.', pageSchema(storedInstanceSchema, true)),
    errors: [400],
  },
  {
    method: 'get',
    path: '/instances/:id',
    operationId: 'getInstance',
    summary: 'One instance with its findings, history, host observations and remediation reason',
    tag: 'fleet',
    scope: null,
    params: instanceParams,
    responses: ok('The instance, bounded however much it holds.', instanceDetailSchema),
    errors: [404],
  },
  {
    method: 'get',
    path: '/instances/:id/findings',
    operationId: 'listInstanceSectionFindings',
    summary: "One section of an instance's open findings, page by page",
    tag: 'fleet',
    scope: null,
    params: instanceParams,
    query: sectionFindingsQuery,
    responses: ok('A page of the section (`cursor` is the next page).', sectionFindingsSchema),
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/instances/:id/history',
    operationId: 'listInstanceHistory',
    summary: "An instance's resolved findings, newest resolved first",
    tag: 'fleet',
    scope: null,
    params: instanceParams,
    query: historyQuery,
    responses: ok('A page of resolved findings.', pageSchema(storedFindingSchema, false)),
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/findings',
    operationId: 'listFindings',
    summary: 'Findings (open by default), by instance, path and change',
    tag: 'fleet',
    scope: null,
    query: findingsQuery,
    responses: ok('A page of findings.', pageSchema(storedFindingSchema, false)),
    errors: [400],
  },
  {
    method: 'get',
    path: '/manifest-mismatches',
    operationId: 'listManifestMismatches',
    summary:
      'Differences fleet-wide since boot, one per image and path (a bake, manifest or boot-time cause)',
    tag: 'fleet',
    scope: null,
    query: manifestMismatchesQuery,
    responses: ok(
      'A page of manifest mismatches, by image, region and path.',
      pageSchema(manifestMismatchSchema, false),
    ),
    errors: [400],
  },
  {
    method: 'get',
    path: '/fleet/summary',
    operationId: 'getFleetSummary',
    summary: 'Totals of every shard: instances by state, findings by severity and rule, target freshness',
    tag: 'fleet',
    scope: null,
    responses: ok('Totals over the shards that answered, and which did.', fleetSummarySchema),
    errors: [],
  },
  {
    method: 'get',
    path: '/fleet/targets',
    operationId: 'listFleetTargets',
    summary: 'Every configured target with its shard, last listing and freshness',
    tag: 'fleet',
    scope: null,
    responses: ok('Every target, in account and region order.', fleetTargetsSchema),
    errors: [],
  },
  {
    method: 'get',
    path: '/fleet/findings',
    operationId: 'listFleetFindings',
    summary: 'Findings of every shard in one list, each with its shard',
    tag: 'fleet',
    scope: null,
    query: findingsQuery,
    responses: ok(
      "A page of findings merged across the shards that answered; a request with `X-Driftwarden-Fanned-Out` (from another replica) gets only this replica's page.",
      fleetFindingsSchema,
    ),
    errors: [400],
  },
  {
    method: 'get',
    path: '/fleet/shard',
    operationId: 'getFleetShard',
    summary: "This replica's own part of the fleet view, as the other replicas ask it",
    tag: 'fleet',
    scope: null,
    responses: ok('Its totals and the scan times of the targets it owns.', fleetShardReportSchema),
    errors: [],
  },
  {
    method: 'get',
    path: '/scans',
    operationId: 'listScans',
    summary: 'Finished scans, newest first',
    tag: 'scans',
    scope: null,
    query: scansQuery,
    responses: ok('A page of scans and whether one runs now.', scanListSchema),
    errors: [400],
  },
  {
    method: 'get',
    path: '/scans/:id',
    operationId: 'getScan',
    summary: 'One scan',
    tag: 'scans',
    scope: null,
    params: idParams('id', 'scan id'),
    responses: ok('The scan.', scanRecordSchema),
    errors: [404],
  },
  {
    method: 'post',
    path: '/scans',
    operationId: 'triggerScan',
    summary: 'Ask for a scan now',
    tag: 'scans',
    scope: 'scan',
    query: scanTriggerQuery,
    responses: {
      200: {
        description: 'With `wait=true`: the scan report (`scan --once --json`).',
        schema: scanReportSchema,
      },
      202: { description: 'The scan is asked for.', schema: acceptedSchema },
    },
    errors: WRITE,
  },
  {
    method: 'get',
    path: '/manifests',
    operationId: 'listManifests',
    summary: 'Manifests with their status, by region and image id',
    tag: 'manifests',
    scope: null,
    query: manifestsQuery,
    responses: ok('A page of manifests with `total`.', pageSchema(resolvedManifestSchema, true)),
    errors: [400],
  },
  {
    method: 'get',
    path: '/manifests/:imageId',
    operationId: 'getManifest',
    summary: "One image's manifest",
    tag: 'manifests',
    scope: null,
    params: imageParams,
    responses: ok('The manifest with its status.', resolvedManifestSchema),
    errors: [404],
  },
  {
    method: 'post',
    path: '/manifests',
    operationId: 'importManifests',
    summary: "Import a native manifest or Packer's manifest.json",
    tag: 'manifests',
    scope: 'manifests',
    body: { schema: manifestDocumentSchema, required: true },
    responses: {
      200: { description: 'Every manifest was an identical re-import.', schema: importResultsSchema },
      201: { description: 'At least one manifest was created.', schema: importResultsSchema },
    },
    errors: [...JSON_WRITE, 409],
    sharedInput: true,
  },
  {
    method: 'post',
    path: '/manifests/:imageId/revoke',
    operationId: 'revokeManifest',
    summary: 'Revoke an image',
    tag: 'manifests',
    scope: 'manifests',
    params: imageParams,
    body: { schema: revokeBody, required: true },
    responses: ok('The revoked manifest (revoking again keeps the first reason).', resolvedManifestSchema),
    errors: [...JSON_WRITE, 404],
    sharedInput: true,
  },
  {
    method: 'post',
    path: '/fingerprints',
    operationId: 'pushFingerprint',
    summary: "Push a host fingerprint (the agent's push)",
    tag: 'fingerprints',
    scope: 'ingest',
    body: { schema: fingerprintBody, required: true },
    responses: {
      202: { description: 'Recorded; the next scan compares it.', schema: fingerprintAcceptedSchema },
    },
    errors: [...JSON_WRITE, 404, 409],
  },
  {
    method: 'get',
    path: '/acceptances',
    operationId: 'listAcceptances',
    summary: 'Drift acceptances, newest first (active only by default)',
    tag: 'acceptances',
    scope: null,
    query: acceptancesQuery,
    responses: ok('A page of acceptances.', pageSchema(acceptanceSchema, false)),
    errors: [400],
  },
  {
    method: 'post',
    path: '/acceptances',
    operationId: 'addAcceptance',
    summary: 'Accept drift of an instance, a rule, or both, until a time',
    tag: 'acceptances',
    scope: 'admin',
    // `until` is resolved against the request's time; the schema's input shape does not depend on it.
    body: { schema: acceptanceBody(0), required: true },
    responses: { 201: { description: 'The stored acceptance.', schema: acceptanceSchema } },
    errors: JSON_WRITE,
    sharedInput: true,
  },
  {
    method: 'post',
    path: '/acceptances/:id/revoke',
    operationId: 'revokeAcceptance',
    summary: 'Revoke an acceptance',
    tag: 'acceptances',
    scope: 'admin',
    params: acceptanceIdParams,
    responses: ok('The acceptance (revoking again keeps the first revocation).', acceptanceSchema),
    errors: [...WRITE, 400, 404, 409],
    sharedInput: true,
  },
  {
    method: 'get',
    path: '/replacements',
    operationId: 'listReplacements',
    summary: 'Replacement jobs, newest created first',
    tag: 'replacements',
    scope: null,
    query: jobsQuery,
    responses: ok('A page of jobs with their wait reasons.', pageSchema(jobViewSchema, false)),
    errors: [400],
  },
  {
    method: 'get',
    path: '/replacements/:id',
    operationId: 'getReplacement',
    summary: 'One replacement job with the first page of its audit trail',
    tag: 'replacements',
    scope: null,
    params: jobParams,
    responses: ok('The job.', jobDetailSchema),
    errors: [404],
  },
  {
    method: 'post',
    path: '/replacements/:id/approve',
    operationId: 'approveReplacement',
    summary: 'Approve a job that awaits approval',
    tag: 'replacements',
    scope: 'admin',
    params: jobParams,
    responses: ok('The job, now queued.', jobSchema),
    errors: [...WRITE, 404, 409],
  },
  {
    method: 'post',
    path: '/replacements/:id/cancel',
    operationId: 'cancelReplacement',
    summary: 'Cancel a job that has not started',
    tag: 'replacements',
    scope: 'admin',
    params: jobParams,
    // A body of another content type is ignored here, not refused (docs/api.md).
    body: { schema: reasonBody, required: false },
    responses: ok('The job, now cancelled.', jobSchema),
    errors: [...WRITE, 400, 404, 409, 413],
  },
  {
    method: 'get',
    path: '/remediation',
    operationId: 'getRemediation',
    summary: 'Remediation mode, pause switch, running jobs and waits per reason',
    tag: 'remediation',
    scope: null,
    responses: ok('The remediation status.', remediationStatusSchema),
    errors: [],
  },
  {
    method: 'get',
    path: '/remediation/waiting',
    operationId: 'listWaiting',
    summary: 'Drifted instances that get no job now, and why',
    tag: 'remediation',
    scope: null,
    query: waitingQuery,
    responses: ok('A page of waiting instances.', waitingSchema),
    errors: [400],
  },
  {
    method: 'post',
    path: '/remediation/pause',
    operationId: 'pauseRemediation',
    summary: 'Pause remediation: no new job starts',
    tag: 'remediation',
    scope: 'admin',
    body: { schema: reasonBody, required: false },
    responses: ok('Paused.', remediationChangedSchema),
    errors: [...WRITE, 400, 409, 413],
  },
  {
    method: 'post',
    path: '/remediation/resume',
    operationId: 'resumeRemediation',
    summary: 'Resume remediation (also ends a drift-storm pause)',
    tag: 'remediation',
    scope: 'admin',
    responses: ok('Resumed.', remediationChangedSchema),
    errors: [...WRITE, 409],
  },
  {
    method: 'get',
    path: '/audit',
    operationId: 'listAudit',
    summary: 'The replacement audit log, oldest first',
    tag: 'remediation',
    scope: null,
    query: auditQuery,
    responses: ok('A page of audit entries.', pageSchema(auditEntrySchema, false)),
    errors: [400],
  },
];
