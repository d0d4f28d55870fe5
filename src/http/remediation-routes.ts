// /api/v1 replacement surfaces: the job queue and history, approve/cancel, pause/resume, the audit log.
import { Router, json, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  approveJob,
  cancelJob,
  pauseRemediation,
  resumeRemediation,
} from '../app/remediation/job-commands.js';
import { DEFAULT_PAGE_SIZE } from '../app/paging.js';
import {
  JOB_STATES,
  type AuditLog,
  type JobRepository,
  type RemediationStateRepository,
} from '../app/remediation/ports.js';
import { reasonView, withWaitReasons, type ReasonRepository } from '../app/remediation/reason-port.js';
import { principalOf, type Scope } from './auth.js';
import { CURSOR_KEYS, encodeCursor, pageAnswer, pageParams } from './cursor.js';
import { HttpProblem } from './problem.js';
import { validateInput } from './validate-input.js';

export interface RemediationRoutesOptions {
  jobs: JobRepository;
  audit: AuditLog;
  remediation: RemediationStateRepository;
  reasons: ReasonRepository;
  mode: string;
  requireScope(scope: Scope): RequestHandler;
  bodyLimit: string | number;
  clock: () => Date;
}

export const jobsQuery = z.strictObject({
  state: z.enum(JOB_STATES).optional(),
  instanceId: z.string().optional(),
  ...pageParams(CURSOR_KEYS.job),
});
export const auditQuery = z.strictObject({
  jobId: z.string().optional(),
  instanceId: z.string().optional(),
  afterId: z.coerce.number().int().min(0).optional(),
  ...pageParams(CURSOR_KEYS.id),
});
export const waitingQuery = z.strictObject(pageParams(CURSOR_KEYS.reason));
export const reasonBody = z
  .strictObject({ reason: z.string().trim().min(1).max(1000).optional() })
  .default({});

export function createRemediationRoutes(options: RemediationRoutesOptions): Router {
  const router = Router();
  const body = json({ limit: options.bodyLimit, strict: false });
  const { jobs, audit, remediation, reasons } = options;

  router.get('/replacements', (req, res) => {
    const q = validateInput(jobsQuery, req.query, 'query');
    const page = jobs.page(
      {
        ...(q.state ? { states: [q.state] } : {}),
        ...(q.instanceId === undefined ? {} : { instanceId: q.instanceId }),
      },
      { limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) },
    );
    res.json(pageAnswer(req, { ...page, items: withWaitReasons(reasons, page.items) }, q.limit));
  });

  router.get('/replacements/:id', (req, res) => {
    const job = jobs.get(String(req.params.id));
    if (!job) throw new HttpProblem(404, 'Not found', `No replacement job ${String(req.params.id)}.`);
    const [withReason] = withWaitReasons(reasons, [job]);
    // Bounded however long the job ran: the first page of its trail; the rest pages under /audit.
    const trail = audit.page({ jobId: job.jobId }, { limit: DEFAULT_PAGE_SIZE });
    const auditHref = `/api/v1/audit?${new URLSearchParams({ jobId: job.jobId }).toString()}`;
    res.json({
      ...withReason,
      audit: trail.items,
      auditTotal: audit.count({ jobId: job.jobId }),
      auditNext: trail.next === null ? null : `${auditHref}&cursor=${encodeCursor(trail.next)}`,
      auditHref,
    });
  });

  router.post('/replacements/:id/approve', options.requireScope('admin'), (req, res) => {
    res.json(approveJob(jobs, String(req.params.id), principalOf(res.locals), options.clock()));
  });

  router.post('/replacements/:id/cancel', options.requireScope('admin'), body, (req, res) => {
    const { reason } = validateInput(reasonBody, req.body ?? {}, 'body');
    res.json(
      cancelJob(
        jobs,
        String(req.params.id),
        principalOf(res.locals),
        reason ?? 'no reason given',
        options.clock(),
      ),
    );
  });

  router.get('/remediation', (_req, res) => {
    res.json({
      mode: options.mode,
      ...remediation.get(),
      inFlight: jobs.countByState().running,
      blocked: reasons.countByCode(),
    });
  });

  router.get('/remediation/waiting', (req, res) => {
    const q = validateInput(waitingQuery, req.query, 'query');
    const page = reasons.listInstances({ limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) });
    const items = page.items.map((r) => ({ instanceId: r.instanceId, ...reasonView(r) }));
    res.json(pageAnswer(req, { ...page, items }, q.limit));
  });

  router.post('/remediation/pause', options.requireScope('admin'), body, (req, res) => {
    const { reason } = validateInput(reasonBody, req.body ?? {}, 'body');
    const changed = pauseRemediation(
      remediation,
      principalOf(res.locals),
      reason ?? 'paused by an operator',
      options.clock(),
    );
    if (!changed)
      throw new HttpProblem(409, 'Conflict', 'Remediation is already paused.', { ...remediation.get() });
    res.json({ changed, ...remediation.get() });
  });

  router.post('/remediation/resume', options.requireScope('admin'), (_req, res) => {
    const changed = resumeRemediation(remediation, principalOf(res.locals), options.clock());
    if (!changed) throw new HttpProblem(409, 'Conflict', 'Remediation is not paused.');
    res.json({ changed, ...remediation.get() });
  });

  router.get('/audit', (req, res) => {
    const { limit, cursor, offset: _offset, ...query } = validateInput(auditQuery, req.query, 'query');
    res.json(
      pageAnswer(
        req,
        audit.page(query, { limit, ...(cursor === undefined ? {} : { after: cursor }) }),
        limit,
      ),
    );
  });

  return router;
}
