// /api/v1: read the fleet, trigger scans, import and revoke manifests, ingest host fingerprints.
import { Router, json, type Request } from 'express';
import { z } from 'zod';
import { createFingerprintIngest, type FingerprintRejection } from '../app/fingerprint-ingest.js';
import { boundHostObservation, findingsPage, instanceSectionViews } from '../app/instance-findings.js';
import { importManifests } from '../app/manifest-service.js';
import { toScanJson } from '../app/scan-json.js';
import type {
  AcceptanceRepository,
  FindingKey,
  FleetRepository,
  HostRepository,
  ManifestRepository,
} from '../app/ports.js';
import { currentReason, reasonView, type ReasonRepository } from '../app/remediation/reason-port.js';
import type { ScanRunner } from '../app/scan-runner.js';
import { byPathThenChange } from '../core/finding-cap.js';
import {
  FINDING_SCOPES,
  HOST_SOURCES,
  INSTANCE_STATUSES,
  SEVERITIES,
  type HostObservation,
} from '../domain/types.js';
import { errorMessage, storageFailure } from '../domain/errors.js';
import { MAX_SKIPPED } from '../host/skips.js';
import { hostSectionSchema } from '../manifests/manifest-schema.js';
import { parseManifestObject } from '../manifests/parse-manifest.js';
import { refuseDuplicateJsonKeys } from '../manifests/json-syntax-error.js';
import type { Scope } from './auth.js';
import { CURSOR_KEYS, encodeCursor, pageAnswer, pageParams } from './cursor.js';
import { encodeFindingCursor, sectionFindingsQuery } from './finding-cursor.js';
import { HttpProblem } from './problem.js';
import { validateInput } from './validate-input.js';
import type { RequestHandler } from 'express';

/** Open findings listed in a `POST /scans?wait=true` answer; the rest are counted and paged through /findings. */
export const SCAN_FINDINGS_LIMIT = 1000;

export interface ApiRoutesOptions {
  manifests: ManifestRepository;
  fleet: FleetRepository;
  hosts: HostRepository;
  /** Served by acceptance-routes.ts, mounted next to these routes. */
  acceptances: AcceptanceRepository;
  scans: ScanRunner;
  /** Why remediation waits, per instance. */
  reasons: ReasonRepository;
  requireScope(scope: Scope): RequestHandler;
  bodyLimit: string | number;
  clock(): Date;
  /** Pushes stamped further than this into the future are rejected (clock skew). */
  maxClockSkewMs?: number;
}

export const instancesQuery = z.strictObject({
  status: z.enum(INSTANCE_STATUSES).optional(),
  region: z.string().optional(),
  group: z.string().optional(),
  imageId: z.string().optional(),
  ...pageParams(CURSOR_KEYS.instance),
});
/** `GET /findings` and the fleet view's `GET /fleet/findings`: the same filters and paging. */
export const findingsQuery = z.strictObject({
  instanceId: z.string().optional(),
  rule: z.string().optional(),
  severity: z.enum(SEVERITIES).optional(),
  scope: z.enum(FINDING_SCOPES).optional(),
  includeResolved: z.enum(['true', 'false']).optional(),
  ...pageParams(CURSOR_KEYS.finding),
});
export const historyQuery = z.strictObject(pageParams(CURSOR_KEYS.history));
export const scansQuery = z.strictObject(pageParams(CURSOR_KEYS.scan));
export const manifestsQuery = z.strictObject(pageParams(CURSOR_KEYS.manifest));
export const manifestMismatchesQuery = z.strictObject(pageParams(CURSOR_KEYS.mismatch));
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters (sha256)');
export const fingerprintBody = z.strictObject({
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id like i-0123456789abcdef0'),
  observedAt: z.iso.datetime({ offset: true }),
  host: hostSectionSchema,
  /** Section digests; a section left out of `host` whose digest the daemon already has is reused. */
  digests: z
    .strictObject({ packages: sha256Hex, files: sha256Hex, services: sha256Hex })
    .partial()
    .optional(),
  skipped: z
    .array(z.strictObject({ path: z.string().min(1).max(4096), reason: z.string().min(1).max(1000) }))
    .max(MAX_SKIPPED)
    .optional(),
});
/** How each refused push is answered: unknown instances are 404 so the agent retries after a scan. */
const REJECTION_STATUS: Record<FingerprintRejection['reason'], { status: number; title: string }> = {
  future: { status: 400, title: 'Invalid request' },
  'unseen-instance': { status: 404, title: 'Unknown instance' },
  'departed-instance': { status: 404, title: 'Unknown instance' },
  'missing-sections': { status: 409, title: 'Conflict' },
  'digest-mismatch': { status: 400, title: 'Invalid request' },
};
export const revokeBody = z.strictObject({
  reason: z.string().trim().min(1, 'a reason is required').max(1000),
});

// Same wording as manifest errors: `host.files["/etc/x"].mode: …`, "required", "unknown key (valid keys: …)".
/**
 * Parses a JSON body. express.json() silently skips a body of another type, which would then be
 * reported as "missing"; say what is actually wrong instead. With `uniqueKeys`, a key repeated in
 * one object is a 400 naming it (JSON.parse would keep the last value without a word); a syntax
 * error is left to the parser, which reports it as malformed JSON.
 */
export function jsonBody(limit: string | number, options: { uniqueKeys?: boolean } = {}): RequestHandler {
  const parseJson = json({
    limit,
    strict: false,
    ...(options.uniqueKeys
      ? { verify: (_req, _res, raw: Buffer) => refuseDuplicateJsonKeys(raw.toString('utf8'), 'request body') }
      : {}),
  });
  return (req, res, next) => {
    if (req.is('application/json') === false) {
      next(
        new HttpProblem(
          415,
          'Unsupported media type',
          `Send the body as application/json (got ${req.get('content-type') ?? 'no content type'}).`,
        ),
      );
      return;
    }
    parseJson(req, res, next);
  };
}

function newestOf(observations: readonly HostObservation[]): HostObservation | null {
  return observations.reduce<HostObservation | null>(
    (newest, o) => (newest === null || o.observedAt > newest.observedAt ? o : newest),
    null,
  );
}

/** Resolved findings `GET /api/v1/instances/{id}` returns, newest resolved first. */
const INSTANCE_HISTORY_LIMIT = 100;

function sectionFindingsHref(instanceId: string, section: string, after: FindingKey, limit?: number): string {
  const query = new URLSearchParams({ section, cursor: encodeFindingCursor(after) });
  if (limit !== undefined) query.set('limit', String(limit));
  return `/api/v1/instances/${encodeURIComponent(instanceId)}/findings?${query.toString()}`;
}

function param(req: Request, name: string): string {
  return String(req.params[name]);
}

export function createApiRoutes(options: ApiRoutesOptions): Router {
  const router = Router();
  const body = jsonBody(options.bodyLimit);
  const manifestBody = jsonBody(options.bodyLimit, { uniqueKeys: true });
  const { manifests, fleet, hosts } = options;

  router.get('/instances', (req, res) => {
    const { limit, cursor, offset: _offset, ...filter } = validateInput(instancesQuery, req.query, 'query');
    const page = fleet.pageInstances(filter, { limit, ...(cursor ? { after: cursor } : {}) });
    res.json(pageAnswer(req, page, limit, fleet.countInstances(filter)));
  });

  router.get('/instances/:id', (req, res) => {
    const instance = fleet.getInstance(param(req, 'id'));
    if (!instance)
      throw new HttpProblem(404, 'Not found', `No instance ${param(req, 'id')} has been seen by a scan.`);
    // Bounded whatever the instance holds: the first page of each section, the newest history.
    const sections = instanceSectionViews(fleet, instance.instanceId);
    const history = fleet.pageHistory(instance.instanceId, { limit: INSTANCE_HISTORY_LIMIT });
    const observations = HOST_SOURCES.flatMap((source) => hosts.get(instance.instanceId, source) ?? []).map(
      (o) => boundHostObservation(o),
    );
    const reason = currentReason(options.reasons, instance.instanceId);
    res.json({
      instance,
      // Sections are read one by one; the answer keeps the contract's order (by path).
      findings: sections.flatMap((s) => s.items).sort(byPathThenChange),
      findingSections: sections.map(({ section, total, accepted, items, next }) => ({
        section,
        total,
        accepted,
        shown: items.length,
        next: next === null ? null : sectionFindingsHref(instance.instanceId, section, next),
      })),
      history: history.items,
      historyNext:
        history.next === null
          ? null
          : `/api/v1/instances/${encodeURIComponent(instance.instanceId)}/history?${new URLSearchParams({ cursor: encodeCursor(history.next) }).toString()}`,
      host: newestOf(observations),
      hosts: observations,
      remediation: { reason: reason ? reasonView(reason) : null },
    });
  });

  router.get('/instances/:id/findings', (req, res) => {
    const instance = fleet.getInstance(param(req, 'id'));
    if (!instance)
      throw new HttpProblem(404, 'Not found', `No instance ${param(req, 'id')} has been seen by a scan.`);
    const q = validateInput(sectionFindingsQuery, req.query, 'query');
    const page = findingsPage(fleet, instance.instanceId, q.section, q.limit, q.cursor);
    const [count] = fleet.countOpenFindings(instance.instanceId, [q.section]);
    res.json({
      section: q.section,
      total: count?.open ?? 0,
      items: page.items,
      cursor: page.next === null ? null : encodeFindingCursor(page.next),
      next:
        page.next === null ? null : sectionFindingsHref(instance.instanceId, q.section, page.next, q.limit),
    });
  });

  router.get('/instances/:id/history', (req, res) => {
    const instance = fleet.getInstance(param(req, 'id'));
    if (!instance)
      throw new HttpProblem(404, 'Not found', `No instance ${param(req, 'id')} has been seen by a scan.`);
    const { limit, cursor } = validateInput(historyQuery, req.query, 'query');
    res.json(
      pageAnswer(
        req,
        fleet.pageHistory(instance.instanceId, { limit, ...(cursor ? { after: cursor } : {}) }),
        limit,
      ),
    );
  });

  router.get('/findings', (req, res) => {
    const {
      limit,
      cursor,
      offset: _offset,
      includeResolved,
      ...filter
    } = validateInput(findingsQuery, req.query, 'query');
    const page = fleet.pageFindings(
      { ...filter, includeResolved: includeResolved === 'true' },
      { limit, ...(cursor ? { after: cursor } : {}) },
    );
    res.json(pageAnswer(req, page, limit));
  });

  router.get('/manifest-mismatches', (req, res) => {
    const { limit, cursor } = validateInput(manifestMismatchesQuery, req.query, 'query');
    res.json(
      pageAnswer(req, fleet.pageManifestMismatches({ limit, ...(cursor ? { after: cursor } : {}) }), limit),
    );
  });

  router.get('/scans', (req, res) => {
    const { limit, cursor } = validateInput(scansQuery, req.query, 'query');
    const page = fleet.pageScans({ limit, ...(cursor ? { after: cursor } : {}) });
    res.json({ ...pageAnswer(req, page, limit), running: options.scans.running });
  });

  router.get('/scans/:id', (req, res) => {
    const scan = fleet.getScan(param(req, 'id'));
    if (!scan) throw new HttpProblem(404, 'Not found', `No scan ${param(req, 'id')}.`);
    res.json(scan);
  });

  // Level-triggered: the request only asks for a scan; `?wait=true` waits for its report.
  router.post('/scans', options.requireScope('scan'), async (req, res) => {
    const report = options.scans.trigger();
    if (req.query.wait === 'true') {
      const done = await report.catch((error: unknown) => {
        throw scanFailed(error);
      });
      // Bounded like every read: the first page of open findings, and how many more there are.
      const findings = fleet.listFindings({ limit: SCAN_FINDINGS_LIMIT });
      const omitted = Math.max(0, done.record.findings - findings.length);
      res.status(200).json({
        ...toScanJson(done, findings),
        ...(omitted > 0 ? { findingsOmitted: omitted, findingsHref: '/api/v1/findings' } : {}),
      });
    } else {
      report.catch(() => undefined); // the scan logs its own failure
      res.status(202).json({ status: 'accepted' });
    }
  });

  router.get('/manifests', (req, res) => {
    const { limit, cursor } = validateInput(manifestsQuery, req.query, 'query');
    const page = manifests.page({ limit, ...(cursor ? { after: cursor } : {}) });
    res.json(pageAnswer(req, page, limit, manifests.count()));
  });

  router.get('/manifests/:imageId', (req, res) => {
    const manifest = manifests.get(param(req, 'imageId'));
    if (!manifest) throw new HttpProblem(404, 'Not found', `No manifest for image ${param(req, 'imageId')}.`);
    res.json(manifest);
  });

  router.post('/manifests', options.requireScope('manifests'), manifestBody, (req, res) => {
    const parsed = parseManifestObject(req.body, 'request body');
    const results = importManifests(manifests, parsed, options.clock());
    res.status(results.some((r) => r.outcome === 'created') ? 201 : 200).json({ items: results });
  });

  router.post('/manifests/:imageId/revoke', options.requireScope('manifests'), body, (req, res) => {
    const { reason } = validateInput(revokeBody, req.body, 'body');
    res.json(manifests.revoke(param(req, 'imageId'), reason, options.clock().toISOString()));
  });

  const ingest = createFingerprintIngest({
    fleet,
    hosts,
    clock: () => options.clock(),
    ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
  });
  router.post('/fingerprints', options.requireScope('ingest'), body, (req, res) => {
    const result = ingest(validateInput(fingerprintBody, req.body, 'fingerprint'));
    if (!result.accepted) {
      const { status, title } = REJECTION_STATUS[result.reason];
      throw new HttpProblem(
        status,
        title,
        result.message,
        'missing' in result ? { missing: result.missing } : {},
      );
    }
    res.status(202).json({ status: 'accepted', instanceId: result.instanceId });
  });

  return router;
}

/**
 * A scan that a `?wait=true` caller waited for and that failed without a report (its thread crashed
 * or ran out of memory, or shutdown stopped it): the answer says why, as the daemon's log does. A
 * storage failure keeps its own status (503, 507).
 */
function scanFailed(error: unknown): unknown {
  if (storageFailure(error) !== null) return error;
  return new HttpProblem(
    500,
    'Scan failed',
    `the scan failed: ${errorMessage(error)}; the daemon keeps serving and the next scan tries again`,
    {},
    { cause: error },
  );
}
