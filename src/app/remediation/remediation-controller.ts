// Turns persisted drift into replacement jobs under the safety policy, and drives running jobs one step at a time.
import { boundJobReason, DEFAULT_MAX_FINDINGS_PER_SECTION } from '../../core/finding-cap.js';
import { newestActiveInChannel } from '../../core/manifest-status.js';
import { evaluateDriftStorm, largestSharedCause } from '../../core/remediation-breaker.js';
import { decideQueuedStarts, decideReplacements } from '../../core/remediation-policy.js';
import type {
  Decision,
  OpenJob,
  PolicyInput,
  PolicySettings,
  RemediationCandidate,
} from '../../core/remediation-types.js';
import { errorMessage, storageFailure } from '../../domain/errors.js';
import type { RuleSet } from '../../domain/types.js';
import type { FleetRepository, ManifestRepository, ScanRecord, StoredInstance } from '../ports.js';
import { SYSTEM_ACTOR, STRATEGIES, advanceJob, type JobRunnerDeps } from './job-runner.js';
import type {
  RemediationInputs,
  RemediationStateRepository,
  RemediationSwitch,
  ReplacementJob,
} from './ports.js';
import type { ReasonRepository, StoredReason, SubjectReason } from './reason-port.js';

export interface RemediationSettings extends Omit<PolicySettings, 'maintenanceWindows'> {
  maintenanceWindows: PolicySettings['maintenanceWindows'];
  breaker: { maxDriftedPercent: number; minDrifted: number };
  failureCooldownMs: number;
  /** A job's stored reason keeps this many findings per section (`scan.maxFindingsPerSection`); default 200. */
  maxReasonsPerSection?: number;
}

export interface RemediationControllerDeps extends JobRunnerDeps {
  settings: JobRunnerDeps['settings'] & RemediationSettings;
  fleet: FleetRepository;
  manifests: ManifestRepository;
  remediation: RemediationStateRepository;
  /** The policy's inputs, each an indexed query: nothing here loads the whole fleet. */
  inputs: RemediationInputs;
  reasons: ReasonRepository;
  ruleSet: () => RuleSet;
  newJobId: () => string;
  /** Called after every tick, failed or not: jobs and their reasons may have moved (the metrics refresh). */
  afterTick?: () => void;
}

const HOUR_MS = 3_600_000;

/** What one decision leaves to explain: the instance's reason, or its new job's. */
type Explained = { subject: 'instance' | 'job'; reason: SubjectReason } | null;

export class RemediationController {
  private ticking: Promise<void> | null = null;
  /** Set by stop(): no step starts after it. */
  private stopping = false;
  /** Aborted by stop() after its grace: cuts the AWS call (or webhook) of the step in progress. */
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: RemediationControllerDeps) {}

  /**
   * Called after each persisted scan: trip the breaker if needed, plan jobs for due drift, and record
   * why every other candidate waits (in the same transaction as the jobs).
   */
  afterScan(record: ScanRecord): Decision[] {
    const { deps } = this;
    const now = deps.clock();
    const at = now.toISOString();
    // Read once: neither the breaker nor closing obsolete jobs changes who is a candidate.
    const candidates = this.candidates(now);
    // Mode off plans nothing, but still says so for every due candidate.
    if (deps.settings.mode !== 'off') {
      this.checkDriftStorm(record, candidates, at);
      this.closeObsoleteJobs(at);
    }
    const decisions = decideReplacements(
      this.policyInput(now, candidates, deps.inputs.openJobs(), deps.remediation.get()),
    );
    const changed = deps.reasons.transaction(() => {
      const instances: SubjectReason[] = [];
      const jobs: SubjectReason[] = [];
      for (const decision of decisions) {
        const explained = this.apply(decision, at);
        if (explained !== null) (explained.subject === 'instance' ? instances : jobs).push(explained.reason);
      }
      return [...deps.reasons.replaceInstanceReasons(instances, at), ...deps.reasons.setJobReasons(jobs, at)];
    });
    this.logChanged(changed);
    return decisions;
  }

  private checkDriftStorm(record: ScanRecord, candidates: readonly RemediationCandidate[], at: string): void {
    const { deps } = this;
    // A storm is drift remediation would act on: report-only drift (a new build superseding a whole
    // channel, say) must not pause anything.
    // Instances cooling down after a failed replacement are not acted on now, nor are those whose
    // only drift is a manifest mismatch (fleet-wide since boot).
    const drifted = candidates.filter((c) => c.coolingUntil === undefined && c.findings.length > 0);
    const storm = evaluateDriftStorm({
      scanned: record.instances.total - record.instances.stale,
      drifted: drifted.length,
      sharedCause: largestSharedCause(drifted),
      maxDriftedPercent: deps.settings.breaker.maxDriftedPercent,
      minDrifted: deps.settings.breaker.minDrifted,
    });
    if (
      storm.storm &&
      deps.remediation.pause(storm.reason ?? 'drift-storm', storm.detail ?? '', SYSTEM_ACTOR, at)
    ) {
      deps.logger.error(
        { percent: storm.percent, scanId: record.scanId },
        `remediation paused: ${storm.detail}`,
      );
    }
  }

  /** A reason is logged when its code changes, not at every evaluation: the API and UI show the current one. */
  private logChanged(changed: readonly StoredReason[]): void {
    for (const r of changed) {
      this.deps.logger.info(
        {
          instanceId: r.instanceId,
          ...(r.subject === 'job' ? { jobId: r.id } : {}),
          code: r.code,
          reason: r.text,
        },
        'replacement waits',
      );
    }
  }

  /** Starts approved jobs the budgets allow, then advances every running job by one step. */
  tick(): Promise<void> {
    if (this.stopping) return this.ticking ?? Promise.resolve();
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = null;
      this.deps.afterTick?.();
    });
    return this.ticking;
  }

  async idle(): Promise<void> {
    await this.ticking;
  }

  /**
   * Shutdown: starts no further step, lets the step in progress finish within `graceMs`, then aborts
   * its call in flight. An aborted step saves nothing: its intent was saved before the call, so the
   * next start runs it again (as after a crash; every step may run twice).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const ticking = this.ticking;
    if (ticking !== null) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([ticking.catch(() => undefined), graceOver]);
      clearTimeout(timer);
    }
    this.shutdown.abort();
    await ticking?.catch(() => undefined);
  }

  /**
   * One whole tick that starts after this call, awaited: a tick already in flight may have read the
   * state before the caller changed it, so it is waited out first. Tests assert after this, never after a sleep.
   */
  async tickAfterIdle(): Promise<void> {
    await this.idle();
    await this.tick();
  }

  private async runTick(): Promise<void> {
    const { deps } = this;
    // Open jobs are few (maxConcurrent running, plus those waiting for approval or a budget): all are read.
    const openJobs = deps.inputs.openJobs();
    const queued = openJobs.filter((j) => j.state === 'queued');
    // Queued jobs are re-evaluated in every mode: outside enforce they wait, and say why.
    const started = queued.length > 0 ? this.serveQueued(openJobs, queued) : [];
    // In-flight jobs always continue (also while paused): stopping half way would leave a group surged.
    // Jobs started just now come last: they started after every other running job.
    const running = [
      ...openJobs
        .filter((j) => j.state === 'running')
        .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
        .map((j) => j.jobId),
      ...started,
    ];
    for (const jobId of running) {
      if (this.stopping) break;
      try {
        await advanceJob(jobId, deps, this.shutdown.signal);
      } catch (error) {
        if (this.shutdown.signal.aborted) {
          deps.logger.info({ jobId }, 'replacement step cut by shutdown; the next start runs it again');
          break;
        }
        deps.logger.error(
          { jobId, err: errorMessage(error), code: storageFailure(error)?.code },
          'advancing a replacement job failed',
        );
      }
    }
  }

  /** Starts the queued jobs the policy allows and records why the others wait; returns the ids started. */
  private serveQueued(openJobs: OpenJob[], queued: readonly OpenJob[]): string[] {
    const { deps } = this;
    const now = deps.clock();
    const paused = deps.remediation.get();
    const enforce = deps.settings.mode === 'enforce';
    // A queued job's candidate row only gives its tags (the protect tag): read for the queued
    // instances alone, never the fleet's other candidates, and not at all while nothing can start
    // (another mode, or paused: the job then waits for that, protected or not).
    const candidates = this.canStart(paused)
      ? this.candidates(
          now,
          queued.map((j) => j.instanceId),
        )
      : [];
    const input = this.policyInput(now, candidates, openJobs, paused);
    const { start, wait } = decideQueuedStarts(input, queued);
    const byId = new Map(queued.map((j) => [j.jobId, j]));
    this.logChanged(
      deps.reasons.setJobReasons(
        wait.map((w) => ({
          id: w.jobId,
          instanceId: byId.get(w.jobId)?.instanceId ?? '',
          code: w.code,
          text: w.reason,
        })),
        now.toISOString(),
      ),
    );
    return enforce ? start.filter((jobId) => this.startJob(jobId)) : [];
  }

  /** True when the job is now running. */
  private startJob(jobId: string): boolean {
    const job = this.deps.jobs.get(jobId);
    if (!job) return false;
    try {
      this.saveStart(job);
      return true;
    } catch (error) {
      // An operator cancelled it a moment ago (another process); their decision stands.
      this.deps.logger.info({ jobId, err: errorMessage(error) }, 'queued job not started');
      return false;
    }
  }

  private saveStart(job: ReplacementJob): void {
    const jobId = job.jobId;
    const at = this.deps.clock().toISOString();
    this.deps.jobs.save(
      jobId,
      {
        state: 'running',
        step: STRATEGIES[job.strategy].firstStep(this.deps.settings),
        startedAt: at,
        stepStartedAt: at,
      },
      at,
      { actor: SYSTEM_ACTOR, action: 'job.started', detail: { approvedBy: job.approvedBy } },
      'queued',
    );
  }

  private apply(decision: Decision, at: string): Explained {
    const { deps } = this;
    const { instanceId } = decision;
    if (decision.kind === 'wait' || decision.kind === 'skip') {
      return decision.code === null
        ? null
        : {
            subject: 'instance',
            reason: { id: instanceId, instanceId, code: decision.code, text: decision.reason },
          };
    }
    const instance = deps.fleet.getInstance(instanceId);
    if (!instance) return null;
    const targetImageId = this.targetImage(instance);
    if (decision.strategy === 'launch-then-terminate' && targetImageId === null) {
      return {
        subject: 'instance',
        reason: {
          id: instanceId,
          instanceId,
          code: 'no-target-image',
          text: `no active baked image to replace ${instance.imageId} with; reporting only`,
        },
      };
    }
    const state =
      decision.kind === 'start' ? 'running' : decision.kind === 'plan' ? 'planned' : 'awaiting-approval';
    const step = state === 'running' ? STRATEGIES[decision.strategy].firstStep(deps.settings) : null;
    const reason = boundJobReason(
      decision.findings.map(({ rule, severity, path, change }) => ({ rule, severity, path, change })),
      deps.settings.maxReasonsPerSection ?? DEFAULT_MAX_FINDINGS_PER_SECTION,
    );
    const job = deps.jobs.create(
      {
        jobId: deps.newJobId(),
        instanceId: instance.instanceId,
        account: instance.account,
        region: instance.region,
        group: instance.group,
        asgName: instance.observation.asgName,
        imageId: instance.imageId,
        targetImageId,
        strategy: decision.strategy,
        state,
        step,
        reason,
      },
      at,
      {
        actor: SYSTEM_ACTOR,
        action: {
          running: 'job.started',
          planned: 'job.planned',
          'awaiting-approval': 'job.awaiting-approval',
        }[state],
        detail: { strategy: decision.strategy, targetImageId, reason, mode: deps.settings.mode },
      },
    );
    if (!job) return null;
    const log = deps.logger.child({ jobId: job.jobId, instanceId: job.instanceId });
    const rules = [...new Set(reason.map((r) => r.rule))];
    if (state === 'planned') {
      log.info({ strategy: job.strategy, targetImageId, rules }, 'dry-run: would replace instance');
      return {
        subject: 'job',
        reason: {
          id: job.jobId,
          instanceId,
          code: 'dry-run',
          text: `dry-run: would replace with ${job.strategy}${targetImageId ? ` from ${targetImageId}` : ''}; nothing is changed`,
        },
      };
    }
    if (state === 'awaiting-approval') {
      log.warn({ strategy: job.strategy, rules }, 'replacement waits for approval');
      const needing = decision.findings.filter((f) => f.approvalRequired).map((f) => f.rule);
      return {
        subject: 'job',
        reason: {
          id: job.jobId,
          instanceId,
          code: 'awaiting-approval',
          text: `awaiting approval: rule ${[...new Set(needing)].join(', ')} requires an admin to approve`,
        },
      };
    }
    log.info({ strategy: job.strategy, targetImageId, rules }, 'replacement started');
    return null;
  }

  /** Jobs not yet running lose their reason when the drift resolves or is accepted (or their mode no longer applies). */
  private closeObsoleteJobs(at: string): void {
    const pending = this.deps.inputs.openJobs().filter((j) => j.state !== 'running');
    // Drift that a replacement would act on, including on instances that are only stale right now
    // (their findings stay open): a scanner outage must not cancel approved work.
    const drift = this.deps.inputs.replaceDrift([...new Set(pending.map((j) => j.instanceId))]);
    for (const job of pending) {
      const { drifting, accepted } = drift.get(job.instanceId) ?? { drifting: false, accepted: false };
      const reason = !drifting
        ? accepted
          ? 'drift accepted before the replacement started'
          : 'drift resolved before the replacement started'
        : job.state === 'planned' && this.deps.settings.mode !== 'dry-run'
          ? `remediation mode is now ${this.deps.settings.mode}`
          : null;
      if (reason === null) continue;
      try {
        this.deps.jobs.save(
          job.jobId,
          { state: 'cancelled', finishedAt: at, error: reason },
          at,
          { actor: SYSTEM_ACTOR, action: 'job.cancelled', detail: { reason } },
          job.state,
        );
      } catch (error) {
        this.deps.logger.info(
          { jobId: job.jobId, err: errorMessage(error) },
          'job changed meanwhile; not cancelled',
        );
      }
    }
  }

  private targetImage(instance: StoredInstance): string | null {
    const manifest = this.deps.manifests.get(instance.imageId);
    if (manifest === null) return null;
    if (manifest.status === 'active') return instance.imageId;
    return (
      newestActiveInChannel(this.deps.manifests.list(), instance.region, manifest.manifest.image.channel)
        ?.manifest.image.id ?? null
    );
  }

  /**
   * The candidates with their rules' current approval flag and their cool-down: a replacement that
   * failed is not retried in a loop, the instance waits it out (the policy says until when), and its
   * failed job stays visible (API, metric, alert) meanwhile. With `instanceIds`, only those instances.
   */
  private candidates(now: Date, instanceIds?: readonly string[]): RemediationCandidate[] {
    const { deps } = this;
    const { failureCooldownMs } = deps.settings;
    const rules = new Map(deps.ruleSet().rules.map((r) => [r.id, r]));
    const failed = deps.inputs.failedSince(new Date(now.getTime() - failureCooldownMs).toISOString());
    return deps.inputs.candidates(instanceIds).map((candidate): RemediationCandidate => {
      const failedAt = failed.get(candidate.instanceId);
      return {
        ...candidate,
        findings: candidate.findings.map((f) => ({
          ...f,
          approvalRequired: rules.get(f.rule)?.approvalRequired ?? false,
        })),
        ...(failedAt === undefined
          ? {}
          : { coolingUntil: new Date(Date.parse(failedAt) + failureCooldownMs).toISOString() }),
      };
    });
  }

  /** Only in enforce mode and not paused may anything start: only then do budgets and groups matter. */
  private canStart(paused: RemediationSwitch): boolean {
    return this.deps.settings.mode === 'enforce' && !paused.paused;
  }

  private policyInput(
    now: Date,
    candidates: RemediationCandidate[],
    openJobs: OpenJob[],
    paused: RemediationSwitch,
  ): PolicyInput {
    const { deps } = this;
    // Group health is looked up only for a start: a candidate's or a queued job's group.
    const groups = this.canStart(paused)
      ? [
          ...new Set(
            [...candidates, ...openJobs.filter((j) => j.state === 'queued')].flatMap((x) =>
              x.group === null ? [] : [x.group],
            ),
          ),
        ]
      : [];
    return {
      now: now.getTime(),
      settings: {
        mode: deps.settings.mode,
        maxConcurrent: deps.settings.maxConcurrent,
        maxPerHour: deps.settings.maxPerHour,
        maxUnavailablePercent: deps.settings.maxUnavailablePercent,
        protectTag: deps.settings.protectTag,
        maintenanceWindows: deps.settings.maintenanceWindows,
        ...(deps.settings.strategyOverride ? { strategyOverride: deps.settings.strategyOverride } : {}),
      },
      paused: paused.paused
        ? { reason: paused.reason ?? 'manual', ...(paused.detail ? { detail: paused.detail } : {}) }
        : null,
      candidates,
      openJobs,
      // A COUNT over the started_at index.
      startedInLastHour: deps.jobs.countStartedSince(new Date(now.getTime() - HOUR_MS).toISOString()),
      groups: deps.inputs.groupHealth(groups),
    };
  }
}

export type { ReplacementJob };
