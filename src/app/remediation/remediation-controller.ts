// Turns persisted drift into replacement jobs under the safety policy, and drives running jobs one step at a time.
import { newestActiveInChannel } from '../../core/manifest-status.js';
import { evaluateDriftStorm } from '../../core/remediation-breaker.js';
import { decideQueuedStarts, decideReplacements } from '../../core/remediation-policy.js';
import {
  OPEN_JOB_STATES,
  isOpenJobState,
  type Decision,
  type GroupHealth,
  type OpenJob,
  type PolicyInput,
  type PolicySettings,
  type RemediationCandidate,
  type ReplaceFinding,
} from '../../core/remediation-types.js';
import { errorMessage } from '../../domain/errors.js';
import type { RuleSet } from '../../domain/types.js';
import type { FleetRepository, ManifestRepository, ScanRecord, StoredInstance } from '../ports.js';
import { SYSTEM_ACTOR, STRATEGIES, advanceJob, type JobRunnerDeps } from './job-runner.js';
import type { RemediationStateRepository, ReplacementJob } from './ports.js';

export interface RemediationSettings extends Omit<PolicySettings, 'maintenanceWindows'> {
  maintenanceWindows: PolicySettings['maintenanceWindows'];
  breaker: { maxDriftedPercent: number; minDrifted: number };
  failureCooldownMs: number;
}

export interface RemediationControllerDeps extends JobRunnerDeps {
  settings: JobRunnerDeps['settings'] & RemediationSettings;
  fleet: FleetRepository;
  manifests: ManifestRepository;
  remediation: RemediationStateRepository;
  ruleSet: () => RuleSet;
  newJobId: () => string;
}

const HOUR_MS = 3_600_000;

export class RemediationController {
  private ticking: Promise<void> | null = null;

  constructor(private readonly deps: RemediationControllerDeps) {}

  /** Called after each persisted scan: trip the breaker if needed, then plan jobs for due drift. */
  afterScan(record: ScanRecord): Decision[] {
    const { deps } = this;
    if (deps.settings.mode === 'off') return [];
    const at = deps.clock().toISOString();
    const input = this.policyInput();
    // A storm is drift remediation would act on: report-only drift (a new build superseding a whole
    // channel, say) must not pause anything.
    const storm = evaluateDriftStorm({
      scanned: record.instances.total - record.instances.stale,
      drifted: input.candidates.length,
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

    this.closeObsoleteJobs(at);
    const decisions = decideReplacements(this.policyInput());
    for (const decision of decisions) this.apply(decision, at);
    return decisions;
  }

  /** Starts approved jobs the budgets allow, then advances every running job by one step. */
  tick(): Promise<void> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  async idle(): Promise<void> {
    await this.ticking;
  }

  private async runTick(): Promise<void> {
    const { deps } = this;
    if (deps.settings.mode === 'enforce') {
      const input = this.policyInput();
      const queued = input.openJobs.filter((j) => j.state === 'queued');
      if (queued.length > 0) {
        const { start } = decideQueuedStarts(input, queued);
        for (const jobId of start) this.startJob(jobId);
      }
    }
    // In-flight jobs always continue (also while paused): stopping half way would leave a group surged.
    const running = deps.jobs.list({ states: ['running'], limit: 10_000 });
    for (const job of running.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))) {
      try {
        await advanceJob(job.jobId, deps);
      } catch (error) {
        deps.logger.error(
          { jobId: job.jobId, err: errorMessage(error) },
          'advancing a replacement job failed',
        );
      }
    }
  }

  private startJob(jobId: string): void {
    const job = this.deps.jobs.get(jobId);
    if (!job) return;
    try {
      this.saveStart(job);
    } catch (error) {
      // An operator cancelled it a moment ago (another process); their decision stands.
      this.deps.logger.info({ jobId, err: errorMessage(error) }, 'queued job not started');
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

  private apply(decision: Decision, at: string): void {
    const { deps } = this;
    if (decision.kind === 'wait' || decision.kind === 'skip') {
      deps.logger.debug(
        { instanceId: decision.instanceId, reason: decision.reason },
        `replacement ${decision.kind}`,
      );
      return;
    }
    const instance = deps.fleet.getInstance(decision.instanceId);
    if (!instance) return;
    const targetImageId = this.targetImage(instance);
    if (decision.strategy === 'launch-then-terminate' && targetImageId === null) {
      deps.logger.warn(
        { instanceId: instance.instanceId, imageId: instance.imageId },
        'no active baked image to replace with; reporting only',
      );
      return;
    }
    const state =
      decision.kind === 'start' ? 'running' : decision.kind === 'plan' ? 'planned' : 'awaiting-approval';
    const step = state === 'running' ? STRATEGIES[decision.strategy].firstStep(deps.settings) : null;
    const reason = decision.findings.map(({ rule, severity, path, change }) => ({
      rule,
      severity,
      path,
      change,
    }));
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
    if (!job) return;
    const log = deps.logger.child({ jobId: job.jobId, instanceId: job.instanceId });
    if (state === 'planned') {
      log.info(
        { strategy: job.strategy, targetImageId, rules: reason.map((r) => r.rule) },
        'dry-run: would replace instance',
      );
    } else if (state === 'awaiting-approval') {
      log.warn(
        { strategy: job.strategy, rules: reason.map((r) => r.rule) },
        'replacement waits for approval',
      );
    } else {
      log.info(
        { strategy: job.strategy, targetImageId, rules: reason.map((r) => r.rule) },
        'replacement started',
      );
    }
  }

  /** Jobs not yet running lose their reason when the drift resolves or is accepted (or their mode no longer applies). */
  private closeObsoleteJobs(at: string): void {
    // Drift that a replacement would act on, including on instances that are only stale right now
    // (their findings stay open): a scanner outage must not cancel approved work.
    const replaceFindings = this.deps.fleet.listFindings({}).filter((f) => f.action === 'replace');
    const drifting = new Set(replaceFindings.filter((f) => !f.accepted).map((f) => f.instanceId));
    const accepted = new Set(replaceFindings.filter((f) => f.accepted).map((f) => f.instanceId));
    for (const job of this.deps.jobs.list({
      states: ['planned', 'awaiting-approval', 'queued'],
      limit: 10_000,
    })) {
      const reason = !drifting.has(job.instanceId)
        ? accepted.has(job.instanceId)
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

  private policyInput(): PolicyInput {
    const { deps } = this;
    const now = deps.clock();
    const rules = new Map(deps.ruleSet().rules.map((r) => [r.id, r]));
    const instances = deps.fleet.listInstances({});
    const byId = new Map(instances.map((i) => [i.instanceId, i]));
    const findings = new Map<string, ReplaceFinding[]>();
    for (const f of deps.fleet.listFindings({})) {
      if (f.action !== 'replace' || f.accepted) continue;
      const list = findings.get(f.instanceId) ?? [];
      list.push({
        rule: f.rule,
        severity: f.severity,
        path: f.path,
        change: f.change,
        firstSeen: f.firstSeen,
        forMs: f.forMs,
        approvalRequired: rules.get(f.rule)?.approvalRequired ?? false,
      });
      findings.set(f.instanceId, list);
    }
    // A replacement that failed is not retried in a loop (Karpenter #3979): the instance waits out
    // the cool-down, and its failed job stays visible (API, metric, alert) meanwhile.
    const coolingSince = new Date(now.getTime() - deps.settings.failureCooldownMs).toISOString();
    const cooling = new Set(
      deps.jobs
        .list({ states: ['failed'], limit: 10_000 })
        .filter((j) => (j.finishedAt ?? '') > coolingSince)
        .map((j) => j.instanceId),
    );
    // A replaced instance is never replaced again, even if a scan that read it just before its
    // termination still reports its drift.
    const replaced = new Set(
      deps.jobs.list({ states: ['succeeded'], limit: 100_000 }).map((j) => j.instanceId),
    );
    const candidates: RemediationCandidate[] = [];
    for (const [instanceId, list] of findings) {
      const instance = byId.get(instanceId);
      // A stale instance is not acted on: we cannot see it right now.
      if (!instance || instance.status === 'stale' || cooling.has(instanceId) || replaced.has(instanceId))
        continue;
      candidates.push({
        instanceId,
        account: instance.account,
        region: instance.region,
        imageId: instance.imageId,
        group: instance.group,
        asgName: instance.observation.asgName,
        tags: instance.observation.tags,
        findings: list,
      });
    }
    const openJobs: OpenJob[] = deps.jobs.list({ states: OPEN_JOB_STATES, limit: 10_000 }).flatMap((j) =>
      isOpenJobState(j.state)
        ? [
            {
              jobId: j.jobId,
              instanceId: j.instanceId,
              group: j.group,
              state: j.state,
              approved: j.approvedAt !== null,
              startedAt: j.startedAt,
            },
          ]
        : [],
    );
    const running = new Set(openJobs.filter((j) => j.state === 'running').map((j) => j.instanceId));
    const groups = new Map<string, GroupHealth>();
    for (const instance of instances) {
      if (instance.group === null) continue;
      const g = groups.get(instance.group) ?? { group: instance.group, size: 0, unhealthy: 0 };
      g.size++;
      if (instance.observation.state !== 'running' && !running.has(instance.instanceId)) g.unhealthy++;
      groups.set(instance.group, g);
    }
    const paused = deps.remediation.get();
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
      paused: paused.paused ? { reason: paused.reason ?? 'manual' } : null,
      candidates,
      openJobs,
      startedInLastHour: deps.jobs.countStartedSince(new Date(now.getTime() - HOUR_MS).toISOString()),
      groups: [...groups.values()],
    };
  }
}

export type { ReplacementJob };
