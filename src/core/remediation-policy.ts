// The replacement safety policy (docs/design.md §7): which drifted instances to replace now, which wait, and which never.
import type { Severity } from '../domain/types.js';
import { compareStrings } from './compare-strings.js';
import { formatDuration } from './duration.js';
import type {
  Decision,
  GroupHealth,
  OpenJob,
  PolicyInput,
  PolicySettings,
  QueuedStarts,
  RemediationCandidate,
  ReplaceFinding,
  StrategyName,
} from './remediation-types.js';
import { DRIFT_STORM_REASON } from './remediation-breaker.js';
import type { ReasonCode } from './remediation-reasons.js';
import { isWithinMaintenanceWindow, nextWindowStart } from './remediation-window.js';

/** Why a start must wait: a stable code and the specifics. */
interface Blocked {
  code: ReasonCode;
  reason: string;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
// Candidates with nothing due sort after every due one; they are skipped and consume no budget.
const NOTHING_DUE_RANK = 3;

/** `asg` for Auto Scaling members, else `launch-then-terminate`; `settings.strategyOverride` wins over both. */
export function chooseStrategy(
  candidate: Pick<RemediationCandidate, 'asgName'>,
  settings: Pick<PolicySettings, 'strategyOverride'>,
): StrategyName {
  if (settings.strategyOverride !== undefined) return settings.strategyOverride;
  return candidate.asgName !== null ? 'asg' : 'launch-then-terminate';
}

/** Instances of a group that may be unavailable at once: the configured share, but always at least one. */
export function allowedUnavailable(size: number, maxUnavailablePercent: number): number {
  return Math.max(1, Math.floor((size * maxUnavailablePercent) / 100));
}

/** When a finding becomes due (epoch ms); NaN when its firstSeen is unreadable, which is never due. */
function dueAt(finding: ReplaceFinding): number {
  return Date.parse(finding.firstSeen) + (finding.forMs ?? 0);
}

function compareFindings(a: ReplaceFinding, b: ReplaceFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    Date.parse(a.firstSeen) - Date.parse(b.firstSeen) ||
    compareStrings(a.rule, b.rule) ||
    compareStrings(a.path, b.path) ||
    compareStrings(a.change, b.change) ||
    // The remaining fields only make the order total, so shuffled input gives identical output.
    (a.forMs ?? -1) - (b.forMs ?? -1) ||
    Number(a.approvalRequired) - Number(b.approvalRequired)
  );
}

/** Time left until `at`, to the second (rounded up, so "0s left" never shows for a wait still in force). */
function timeLeft(at: number, now: number): string {
  return formatDuration(Math.max(1_000, Math.ceil((at - now) / 1_000) * 1_000));
}

function notDueReason(findings: readonly ReplaceFinding[], now: number): string {
  let first: { finding: ReplaceFinding; at: number } | null = null;
  for (const finding of findings) {
    const at = dueAt(finding);
    if (Number.isNaN(at)) continue;
    // Ties (same due time) break by the total finding order, so shuffled input gives the same reason.
    if (first === null || at < first.at || (at === first.at && compareFindings(finding, first.finding) < 0))
      first = { finding, at };
  }
  if (first === null) {
    const [finding] = [...findings].sort(compareFindings);
    return `not yet due: firstSeen ${JSON.stringify(finding?.firstSeen)} of rule ${finding?.rule} is not a valid time`;
  }
  const { finding, at } = first;
  const forText =
    finding.forMs === null
      ? `rule ${finding.rule}`
      : `for ${formatDuration(finding.forMs)} of rule ${finding.rule}`;
  return `waiting: ${forText} not elapsed (${timeLeft(at, now)} left; due at ${new Date(at).toISOString()})`;
}

interface Ranked {
  candidate: RemediationCandidate;
  /** Due findings, worst first. */
  due: ReplaceFinding[];
  worst: number;
  oldest: number;
}

function rankCandidate(candidate: RemediationCandidate, now: number): Ranked {
  const due = candidate.findings.filter((f) => dueAt(f) <= now).sort(compareFindings);
  const [worst] = due;
  return {
    candidate,
    due,
    worst: worst === undefined ? NOTHING_DUE_RANK : SEVERITY_RANK[worst.severity],
    oldest: due.reduce((min, f) => Math.min(min, Date.parse(f.firstSeen)), Number.POSITIVE_INFINITY),
  };
}

function compareRanked(a: Ranked, b: Ranked): number {
  return (
    a.worst - b.worst ||
    // Infinity − Infinity is NaN (both have nothing due): fall through to the id.
    (a.oldest === b.oldest ? 0 : a.oldest - b.oldest) ||
    compareStrings(a.candidate.instanceId, b.candidate.instanceId)
  );
}

/** Budgets spent so far in one call; every grant is checked against it before it is made. */
class Ledger {
  private inFlight: number;
  private startedNow = 0;
  private readonly runningByGroup = new Map<string, number>();
  private readonly grantedByGroup = new Map<string, number>();
  private readonly health: Map<string, GroupHealth>;
  private readonly settings: PolicySettings;
  private readonly startedInLastHour: number;
  /** Pause and window block every start alike, so they are worked out once. */
  private readonly blockedForAll: Blocked | null;

  constructor(input: PolicyInput) {
    this.settings = input.settings;
    this.startedInLastHour = input.startedInLastHour;
    this.health = new Map(input.groups.map((g) => [g.group, g]));
    const running = input.openJobs.filter((job) => job.state === 'running');
    this.inFlight = running.length;
    for (const job of running) {
      if (job.group !== null)
        this.runningByGroup.set(job.group, (this.runningByGroup.get(job.group) ?? 0) + 1);
    }
    this.blockedForAll = blockedByPauseOrWindow(input);
  }

  /** Why a start in `group` must wait now, or null when every budget allows it. */
  blockedBy(group: string | null): Blocked | null {
    if (this.blockedForAll !== null) return this.blockedForAll;
    const { maxConcurrent, maxPerHour, maxUnavailablePercent } = this.settings;
    if (this.inFlight >= maxConcurrent)
      return { code: 'max-concurrent', reason: `maxConcurrent (${maxConcurrent}) reached` };
    if (this.startedInLastHour + this.startedNow >= maxPerHour)
      return { code: 'max-per-hour', reason: `maxPerHour (${maxPerHour}) reached` };
    if (group === null) return null;
    const health = this.health.get(group);
    // Without health data the group's unavailability is unknown; starting anyway could take it below capacity.
    if (health === undefined) return { code: 'group-unknown', reason: `group ${group}: no health data` };
    // docs/design.md §7: one replacement per group at a time; every strategy's last step waits for health, so finished means healthy.
    const inGroup = (this.runningByGroup.get(group) ?? 0) + (this.grantedByGroup.get(group) ?? 0);
    if (inGroup > 0)
      return { code: 'group-busy', reason: `group ${group}: waiting for the previous replacement to finish` };
    const allowed = allowedUnavailable(health.size, maxUnavailablePercent);
    const unavailable =
      health.unhealthy + (this.runningByGroup.get(group) ?? 0) + (this.grantedByGroup.get(group) ?? 0);
    return unavailable >= allowed
      ? {
          code: 'group-unavailable',
          reason: `group ${group}: ${unavailable} of ${allowed} allowed unavailable (maxUnavailablePercent ${maxUnavailablePercent})`,
        }
      : null;
  }

  grant(group: string | null): void {
    this.inFlight += 1;
    this.startedNow += 1;
    if (group !== null) this.grantedByGroup.set(group, (this.grantedByGroup.get(group) ?? 0) + 1);
  }
}

function blockedByPauseOrWindow(input: PolicyInput): Blocked | null {
  if (input.paused !== null) {
    return {
      code: input.paused.reason === DRIFT_STORM_REASON ? 'drift-storm' : 'paused',
      reason: `remediation paused: ${input.paused.reason}${input.paused.detail ? ` (${input.paused.detail})` : ''}`,
    };
  }
  const windows = input.settings.maintenanceWindows;
  if (windows.length === 0 || isWithinMaintenanceWindow(windows, input.now)) return null;
  const next = nextWindowStart(windows, input.now);
  return {
    code: 'outside-window',
    reason:
      next === null
        ? 'outside maintenance window; no window ever opens'
        : `outside maintenance window; next opens at ${new Date(next).toISOString()} (in ${timeLeft(next, input.now)})`,
  };
}

function isProtected(tags: Record<string, string>, protectTag: string): boolean {
  return Object.hasOwn(tags, protectTag);
}

function byJobId(a: OpenJob, b: OpenJob): number {
  return compareStrings(a.jobId, b.jobId) || compareStrings(a.instanceId, b.instanceId);
}

function serveQueued(input: PolicyInput, queued: readonly OpenJob[], ledger: Ledger): QueuedStarts {
  const { mode, protectTag } = input.settings;
  const tagsByInstance = new Map(input.candidates.map((c) => [c.instanceId, c.tags]));
  const result: QueuedStarts = { start: [], wait: [] };
  for (const job of [...queued].sort(byJobId)) {
    const tags = tagsByInstance.get(job.instanceId);
    let blocked: Blocked | null;
    if (job.state !== 'queued') blocked = { code: 'not-queued', reason: `job is ${job.state}, not queued` };
    else if (!job.approved) blocked = { code: 'awaiting-approval', reason: 'awaiting approval' };
    // An approval given in enforce mode does not survive a switch to dry-run or off.
    else if (mode !== 'enforce') blocked = { code: modeCode(mode), reason: `remediation is ${mode}` };
    // The protect tag may have been added after the approval.
    else if (tags !== undefined && isProtected(tags, protectTag))
      blocked = { code: 'protected', reason: `protected by tag ${protectTag}` };
    else blocked = ledger.blockedBy(job.group);
    if (blocked === null) {
      ledger.grant(job.group);
      result.start.push(job.jobId);
    } else {
      result.wait.push({ jobId: job.jobId, ...blocked });
    }
  }
  return result;
}

function modeCode(mode: PolicySettings['mode']): ReasonCode {
  return mode === 'off' ? 'mode-off' : 'dry-run';
}

function approvedQueued(openJobs: readonly OpenJob[]): OpenJob[] {
  return openJobs.filter((job) => job.state === 'queued' && job.approved);
}

/**
 * One decision per candidate, in priority order: worst due severity first, then the oldest due finding, then
 * instance id. Budgets (fleet `maxConcurrent`/`maxPerHour`, per-group `maxUnavailablePercent`) are consumed in
 * that order, so the worst drift is replaced first.
 *
 * Approved `queued` jobs in `input.openJobs` were approved earlier and are served first: the budget they will
 * take through `decideQueuedStarts(input, approved queued jobs)` is reserved before any candidate, so both
 * results together stay within every budget.
 *
 * Dry-run plans every eligible candidate, whatever the budgets, pause or window say: it records each job that
 * would be created, and consumes no budget.
 */
export function decideReplacements(input: PolicyInput): Decision[] {
  const { now, settings } = input;
  const ledger = new Ledger(input);
  serveQueued(input, approvedQueued(input.openJobs), ledger);

  const openByInstance = new Map<string, OpenJob>();
  for (const job of [...input.openJobs].sort(byJobId)) {
    if (!openByInstance.has(job.instanceId)) openByInstance.set(job.instanceId, job);
  }

  const ranked = input.candidates.map((c) => rankCandidate(c, now)).sort(compareRanked);
  return ranked.map(({ candidate, due }): Decision => {
    const { instanceId, group } = candidate;
    const skip = (code: ReasonCode | null, reason: string): Decision => ({
      kind: 'skip',
      instanceId,
      code,
      reason,
    });
    if (candidate.findings.length === 0) {
      const mismatches = candidate.manifestMismatches ?? [];
      return mismatches.length > 0
        ? skip(
            'manifest-mismatch',
            `not replaced: ${mismatches.join(', ')} fleet-wide since boot; a new instance of image ${candidate.imageId} would have it too`,
          )
        : skip('nothing-to-replace', 'nothing to replace');
    }
    if (due.length === 0) return skip('for-not-elapsed', notDueReason(candidate.findings, now));
    if (settings.mode === 'off') return skip('mode-off', 'remediation is off');
    const job = openByInstance.get(instanceId);
    // The open job carries its own reason; the instance needs none.
    if (job !== undefined) return skip(null, `job ${job.jobId} already open`);
    if (isProtected(candidate.tags, settings.protectTag))
      return skip('protected', `protected by tag ${settings.protectTag}`);
    const cooling = candidate.coolingUntil === undefined ? NaN : Date.parse(candidate.coolingUntil);
    // A replacement that failed is not retried in a loop (Karpenter #3979); the failed job stays visible meanwhile.
    if (cooling > now) {
      return skip(
        'cooling-down',
        `the last replacement failed; cooling down until ${new Date(cooling).toISOString()} (${timeLeft(cooling, now)} left)`,
      );
    }
    const replacement = { instanceId, findings: due, strategy: chooseStrategy(candidate, settings), group };
    if (settings.mode === 'dry-run') return { kind: 'plan', ...replacement };
    // Budgets are checked when the approved job starts (decideQueuedStarts), not now.
    if (due.some((f) => f.approvalRequired)) return { kind: 'await-approval', ...replacement };
    const blocked = ledger.blockedBy(group);
    if (blocked !== null) return { kind: 'wait', instanceId, ...blocked };
    ledger.grant(group);
    return { kind: 'start', ...replacement };
  });
}

/**
 * Which queued jobs may start now, under the same pause, window, fleet and group budgets as new replacements,
 * so an approval never bypasses a budget. Pass the approved `queued` jobs of `input.openJobs` (the ones
 * `decideReplacements` reserves budget for); jobs are served in job-id order. A job that is not queued, not
 * approved, outside `enforce` mode, or whose instance now carries the protect tag waits.
 */
export function decideQueuedStarts(input: PolicyInput, queued: readonly OpenJob[]): QueuedStarts {
  return serveQueued(input, queued, new Ledger(input));
}
