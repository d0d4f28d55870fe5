// Persistence port for why remediation waits: the current reason per candidate instance and per open job.
import type { ReasonCode, RemediationReason } from '../../core/remediation-reasons.js';
import type { Page, PageRequest } from '../paging.js';
import type { ReplacementJob } from './ports.js';

export type ReasonSubject = 'instance' | 'job';

/** Sort key of the waiting instances: reason code, then instance id. */
export type ReasonKey = [code: string, instanceId: string];

/** A reason to record for one subject (an instance, or a job of that instance). */
export interface SubjectReason extends RemediationReason {
  /** The instance id, or the job id. */
  id: string;
  instanceId: string;
}

export interface StoredReason extends SubjectReason {
  subject: ReasonSubject;
  /** When this code first applied to the subject; kept while later evaluations give the same code. */
  since: string;
  updatedAt: string;
}

export interface ReasonRepository {
  /**
   * Level-triggered: the instance reasons become exactly `reasons` (an instance left out loses its
   * reason). Returns the ones whose code is new, for logging a change once.
   */
  replaceInstanceReasons(reasons: readonly SubjectReason[], at: string): StoredReason[];
  /** Sets these jobs' reasons (a job's reason also goes when its state changes). Returns the changed ones. */
  setJobReasons(reasons: readonly SubjectReason[], at: string): StoredReason[];
  /** The instance's own reason and its jobs' (indexed by instance). */
  forInstance(instanceId: string): StoredReason[];
  /** The reasons of these jobs, by job id (one indexed read per page of jobs). */
  forJobs(jobIds: readonly string[]): Map<string, StoredReason>;
  /** Instance reasons, by code then instance id, one keyset page. */
  listInstances(page: PageRequest<ReasonKey>): Page<StoredReason, ReasonKey>;
  /** Instances and jobs waiting per code, every code present (0 when none): one GROUP BY. */
  countByCode(): Record<ReasonCode, number>;
  /** Runs `fn` in one transaction, so decisions and their reasons are saved together. */
  transaction<T>(fn: () => T): T;
}

/** An instance's own reason, else the reason of its open job (a job's reason goes when it starts). */
export function currentReason(reasons: ReasonRepository, instanceId: string): StoredReason | null {
  const all = reasons.forInstance(instanceId);
  return all.find((r) => r.subject === 'instance') ?? all.find((r) => r.subject === 'job') ?? null;
}

/** A stored reason as the API and the CLI show it; `jobId` when an open job of the instance carries it. */
export interface ReasonView {
  code: ReasonCode;
  text: string;
  since: string;
  jobId?: string;
}

export function reasonView(reason: StoredReason): ReasonView {
  return {
    code: reason.code,
    text: reason.text,
    since: reason.since,
    ...(reason.subject === 'job' ? { jobId: reason.id } : {}),
  };
}

/** Jobs with their current wait reason (null when nothing holds them back), read in one query. */
export function withWaitReasons(
  reasons: ReasonRepository,
  jobs: readonly ReplacementJob[],
): (ReplacementJob & { waitReason: ReasonView | null })[] {
  const byJob = reasons.forJobs(jobs.map((j) => j.jobId));
  return jobs.map((job) => {
    const reason = byJob.get(job.jobId);
    return { ...job, waitReason: reason ? reasonView(reason) : null };
  });
}
