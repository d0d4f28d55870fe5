// Persistence ports for replacement: durable jobs, the append-only audit log, and the pause switch.
import type {
  GroupHealth,
  JobState,
  OpenJob,
  RemediationCandidate,
  ReplaceFinding,
  StrategyName,
  TerminalJobState,
} from '../../core/remediation-types.js';
import type { Change, Severity } from '../../domain/types.js';
import type { Page, PageRequest } from '../paging.js';
import type { StrategyData } from './job-data.js';

// Declared once in core (the policy needs them too); re-exported for the adapters that use this port.
export {
  JOB_STATES,
  OPEN_JOB_STATES,
  TERMINAL_JOB_STATES,
  isOpenJobState,
  type JobState,
} from '../../core/remediation-types.js';
export type JobStrategy = StrategyName;

/** Why a job exists: the due findings of the drifted instance. */
export interface JobReason {
  rule: string;
  severity: Severity;
  path: string;
  change: Change;
  /** Only on a `truncated` entry (change and rule `truncated`, path = the section): the due findings it stands for. */
  omitted?: number;
}

/** Everything a job row holds except its strategy and that strategy's data. */
interface JobFields {
  jobId: string;
  instanceId: string;
  account: string | null;
  region: string;
  group: string | null;
  asgName: string | null;
  imageId: string;
  targetImageId: string | null;
  state: JobState;
  /** The step a running job performs next; saved before it is taken. */
  step: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  stepStartedAt: string | null;
  reason: JobReason[];
  newInstanceId: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  cancelRequested: boolean;
  error: string | null;
  /** What the current step waits for, in words (e.g. status checks of the new instance); null when not waiting. */
  note: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A job of one strategy, its data typed by that strategy's schema (`job-data.ts`). */
export type JobOf<S extends StrategyName> = JobFields & Extract<StrategyData, { strategy: S }>;

/** Discriminated by `strategy`: narrowing it types `data`. */
export type ReplacementJob = JobOf<StrategyName>;

export type NewJob = Pick<
  ReplacementJob,
  | 'jobId'
  | 'instanceId'
  | 'account'
  | 'region'
  | 'group'
  | 'asgName'
  | 'imageId'
  | 'targetImageId'
  | 'strategy'
  | 'reason'
> & { state: 'planned' | 'awaiting-approval' | 'running'; step: string | null };

export type JobPatch = Partial<
  Pick<
    ReplacementJob,
    | 'state'
    | 'step'
    | 'attempts'
    | 'nextAttemptAt'
    | 'stepStartedAt'
    | 'data'
    | 'newInstanceId'
    | 'approvedBy'
    | 'approvedAt'
    | 'cancelRequested'
    | 'error'
    | 'note'
    | 'startedAt'
    | 'finishedAt'
    | 'targetImageId'
  >
>;

export interface AuditEntryInput {
  actor: string;
  action: string;
  jobId?: string | null;
  instanceId?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends Required<Omit<AuditEntryInput, 'detail'>> {
  id: number;
  at: string;
  detail: Record<string, unknown>;
}

export interface JobQuery {
  states?: readonly JobState[];
  instanceId?: string;
  /** Newest created first (default), or newest finished first (history). */
  orderBy?: 'created' | 'finished';
}

/** Sort key of a jobs page: the ordering time (created, or finished), then the job id; newest first. */
export type JobKey = [at: string, jobId: string];

export interface JobRepository {
  /** Creates a job and audits it in one transaction; null when the instance already has an open job. */
  create(job: NewJob, at: string, audit: AuditEntryInput): ReplacementJob | null;
  get(jobId: string): ReplacementJob | null;
  /** Newest first (see JobQuery.orderBy), one keyset page at a time (ties on the time broken by job id, descending). */
  page(query: JobQuery, page: PageRequest<JobKey>): Page<ReplacementJob, JobKey>;
  /**
   * Saves a transition and its audit entry atomically; returns the saved job. With `expectedState`,
   * the save only happens if the job is still in that state (else ConflictError): two processes
   * (the daemon and a CLI) never overwrite each other's decision.
   */
  save(
    jobId: string,
    patch: JobPatch,
    at: string,
    audit?: AuditEntryInput,
    expectedState?: JobState,
  ): ReplacementJob;
  countStartedSince(at: string): number;
  /** Jobs per state (every state present, 0 when none), of one instance if given: counts without loading rows. */
  countByState(filter?: { instanceId?: string }): Record<JobState, number>;
  countFinished(): { strategy: JobStrategy; outcome: TerminalJobState; count: number }[];
}

/** Whose audit entries: one job's and/or one instance's (neither: all). */
export interface AuditSubject {
  jobId?: string;
  instanceId?: string;
}

export interface AuditQuery extends AuditSubject {
  /** Entries with a larger id only. */
  afterId?: number;
  /** Entries with a smaller id only. */
  beforeId?: number;
  newestFirst?: boolean;
}

export interface AuditLog {
  append(entry: AuditEntryInput, at: string): void;
  /** Oldest first, unless `newestFirst` (the last entries, for a page). */
  list(query?: AuditQuery & { limit?: number }): AuditEntry[];
  /** `list` one keyset page at a time: the key is the entry id. */
  page(query: Omit<AuditQuery, 'beforeId'>, page: PageRequest<number>): Page<AuditEntry, number>;
  /** Entries of this job and/or instance (an index count). */
  count(query: AuditSubject): number;
}

export interface RemediationSwitch {
  paused: boolean;
  reason: string | null;
  detail: string | null;
  pausedAt: string | null;
  pausedBy: string | null;
}

export interface RemediationStateRepository {
  get(): RemediationSwitch;
  /** Returns false when already paused (the first reason is kept). Audited. */
  pause(reason: string, detail: string, by: string, at: string): boolean;
  /** Returns false when not paused. Audited. */
  resume(by: string, at: string): boolean;
}

/** A candidate's `replace` finding as stored: the rule's `approval` flag is the current rule set's, added by the caller. */
export type StoredReplaceFinding = Omit<ReplaceFinding, 'approvalRequired'>;

/** A candidate instance as stored; its cool-down is the caller's to work out from `failedSince`. */
export interface StoredCandidate extends Omit<RemediationCandidate, 'findings' | 'coolingUntil'> {
  findings: StoredReplaceFinding[];
}

/** Whether an instance has open `replace` drift, unaccepted and accepted. */
export interface ReplaceDrift {
  drifting: boolean;
  accepted: boolean;
}

/**
 * What the replacement policy reads, each one indexed query whose rows are what the policy needs
 * (candidates, recent failures, open jobs, the groups involved), never a whole table.
 */
export interface RemediationInputs {
  /**
   * Present, non-stale instances with open, unaccepted `replace` findings (those findings only),
   * leaving out instances already replaced (a `succeeded` job). With `instanceIds`, only those.
   */
  candidates(instanceIds?: readonly string[]): StoredCandidate[];
  /** Per instance, the newest finish time of its `failed` jobs that finished after `since`. */
  failedSince(since: string): Map<string, string>;
  /** Every open job (`OPEN_JOB_STATES`), newest created first. */
  openJobs(): OpenJob[];
  /**
   * Open `replace` drift of these instances, leaving out fleet-wide differences since boot (a
   * replacement would reproduce them); an instance without any is absent.
   */
  replaceDrift(instanceIds: readonly string[]): Map<string, ReplaceDrift>;
  /**
   * Size and unhealthy count (last observed state not `running`, not being replaced by a running
   * job) of these groups' present instances; a group without any is absent.
   */
  groupHealth(groups: readonly string[]): GroupHealth[];
}
