// Human decisions on jobs (approve, cancel) and on remediation (pause, resume), shared by the API and the CLI.
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { JobRepository, RemediationStateRepository, ReplacementJob } from './ports.js';

export function approveJob(jobs: JobRepository, jobId: string, actor: string, now: Date): ReplacementJob {
  const job = requireJob(jobs, jobId);
  if (job.state !== 'awaiting-approval') {
    throw new ConflictError(`job ${jobId} is ${job.state}; only a job awaiting approval can be approved`);
  }
  const at = now.toISOString();
  // Approved is not started: the job queues and starts when the budgets, windows and pause allow.
  return jobs.save(
    jobId,
    { state: 'queued', approvedBy: actor, approvedAt: at },
    at,
    { actor, action: 'job.approved' },
    'awaiting-approval',
  );
}

export function cancelJob(
  jobs: JobRepository,
  jobId: string,
  actor: string,
  reason: string,
  now: Date,
): ReplacementJob {
  const job = requireJob(jobs, jobId);
  if (job.state === 'running') {
    throw new ConflictError(
      `job ${jobId} is running (step ${job.step ?? '?'}); it finishes or fails safely on its own — ` +
        'pause remediation to stop new replacements',
    );
  }
  if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') {
    throw new ConflictError(`job ${jobId} is already ${job.state}`);
  }
  const at = now.toISOString();
  return jobs.save(
    jobId,
    { state: 'cancelled', finishedAt: at, error: `cancelled by ${actor}: ${reason}` },
    at,
    { actor, action: 'job.cancelled', detail: { reason } },
    job.state,
  );
}

export function pauseRemediation(
  state: RemediationStateRepository,
  actor: string,
  reason: string,
  now: Date,
): boolean {
  return state.pause('manual', reason, actor, now.toISOString());
}

export function resumeRemediation(state: RemediationStateRepository, actor: string, now: Date): boolean {
  return state.resume(actor, now.toISOString());
}

function requireJob(jobs: JobRepository, jobId: string): ReplacementJob {
  const job = jobs.get(jobId);
  if (!job) throw new NotFoundError(`no replacement job ${jobId}`);
  return job;
}
