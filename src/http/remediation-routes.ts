// /api/v1 replacement surfaces: the job queue and history, approve/cancel, pause/resume, the audit log.
import { Router, json, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  approveJob,
  cancelJob,
  pauseRemediation,
  resumeRemediation,
} from '../app/remediation/job-commands.js';
import {
  JOB_STATES,
  type AuditLog,
  type JobRepository,
  type JobState,
  type RemediationStateRepository,
} from '../app/remediation/ports.js';
import { reasonView, withWaitReasons, type ReasonRepository } from '../app/remediation/reason-port.js';
import { principalOf, type Scope } from './auth.js';
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

const listQuery = z.strictObject({
  state: z.enum(JOB_STATES).optional(),
  instanceId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const auditQuery = z.strictObject({
  jobId: z.string().optional(),
  instanceId: z.string().optional(),
  afterId: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const waitingQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(1000).optional() }).default({});

export function createRemediationRoutes(options: RemediationRoutesOptions): Router {
  const router = Router();
  const body = json({ limit: options.bodyLimit, strict: false });
  const { jobs, audit, remediation, reasons } = options;

  router.get('/replacements', (req, res) => {
    const q = validateInput(listQuery, req.query, 'query');
    const states: JobState[] | undefined = q.state ? [q.state] : undefined;
    res.json({
      items: withWaitReasons(reasons, jobs.list({ states, instanceId: q.instanceId, limit: q.limit })),
    });
  });

  router.get('/replacements/:id', (req, res) => {
    const job = jobs.get(String(req.params.id));
    if (!job) throw new HttpProblem(404, 'Not found', `No replacement job ${String(req.params.id)}.`);
    const [withReason] = withWaitReasons(reasons, [job]);
    res.json({ ...withReason, audit: audit.list({ jobId: job.jobId }) });
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
    res.json({
      items: reasons.listInstances(q.limit).map((r) => ({ instanceId: r.instanceId, ...reasonView(r) })),
      limit: q.limit,
    });
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
    const q = validateInput(auditQuery, req.query, 'query');
    res.json({ items: audit.list(q) });
  });

  return router;
}
