// The inputs and outputs of the replacement safety policy (docs/design.md §7): what may be replaced, what blocks it, what to do.
import type { Change, Severity } from '../domain/types.js';
import type { ReasonCode } from './remediation-reasons.js';

/**
 * The one declaration of each remediation vocabulary: config (`z.enum`), CLI choices, API query
 * schemas, the job store and the strategies all import these lists, so a new value is added once.
 */
export const REMEDIATION_MODES = ['off', 'dry-run', 'enforce'] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

/** Every replacement strategy; the job runner's `STRATEGIES` registry must have one entry each. */
export const STRATEGY_NAMES = ['asg', 'launch-then-terminate', 'webhook'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** What `remediation.strategy` may force for every candidate (`auto` = chosen per instance). */
export const STRATEGY_OVERRIDES = ['webhook'] as const satisfies readonly StrategyName[];
export type StrategyOverride = (typeof STRATEGY_OVERRIDES)[number];

/** Jobs that still hold their instance: at most one per instance. */
export const OPEN_JOB_STATES = ['planned', 'awaiting-approval', 'queued', 'running'] as const;
export type OpenJobState = (typeof OPEN_JOB_STATES)[number];

export const TERMINAL_JOB_STATES = ['succeeded', 'failed', 'cancelled'] as const;
export type TerminalJobState = (typeof TERMINAL_JOB_STATES)[number];

/** Every job state, in lifecycle order (CLI choices, API query validation). */
export const JOB_STATES = [...OPEN_JOB_STATES, ...TERMINAL_JOB_STATES] as const;
export type JobState = (typeof JOB_STATES)[number];

export function isOpenJobState(state: JobState): state is OpenJobState {
  return (OPEN_JOB_STATES as readonly JobState[]).includes(state);
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A finding whose action is `replace` and that is not accepted. */
export interface ReplaceFinding {
  rule: string;
  severity: Severity;
  path: string;
  change: Change;
  /** ISO time the finding was first seen. */
  firstSeen: string;
  /** How long the finding must persist before a replacement; null = due at once. */
  forMs: number | null;
  approvalRequired: boolean;
  /** Shown by the image's whole fleet, appeared after boot (docs/signal.md): the drift-storm breaker names it. */
  fleetWide?: true;
}

export interface RemediationCandidate {
  instanceId: string;
  account: string | null;
  region: string;
  imageId: string;
  /** The budget group: the ASG, else the image channel; null = no group budget applies. */
  group: string | null;
  asgName: string | null;
  tags: Record<string, string>;
  /** Only findings whose action is `replace` and that are not accepted. */
  findings: ReplaceFinding[];
  /** ISO time until which a failed replacement's cool-down holds the instance back; absent = none. */
  coolingUntil?: string;
  /**
   * Paths of `replace` findings that are fleet-wide since boot: not in `findings`, never replaced (a new
   * instance from the same image would reproduce them); absent = none.
   */
  manifestMismatches?: string[];
}

export interface OpenJob {
  jobId: string;
  instanceId: string;
  group: string | null;
  state: OpenJobState;
  approved: boolean;
  startedAt: string | null;
}

export interface GroupHealth {
  group: string;
  /** Desired (or total) instances in the group. */
  size: number;
  /** Instances in the group currently not healthy/InService, excluding ones being replaced by an open job. */
  unhealthy: number;
}

export interface MaintenanceWindow {
  days: Weekday[];
  /** HH:MM, UTC. */
  start: string;
  /** HH:MM, UTC; earlier than `start` wraps past midnight into the next day, equal to `start` means 24 hours. */
  end: string;
}

export interface PolicySettings {
  mode: RemediationMode;
  maxConcurrent: number;
  maxPerHour: number;
  maxUnavailablePercent: number;
  protectTag: string;
  /** Empty = replacements may start at any time. */
  maintenanceWindows: MaintenanceWindow[];
  /** Forces one strategy for every candidate (e.g. `webhook` for an external deployer); absent = chosen per instance. */
  strategyOverride?: StrategyOverride;
}

export interface PolicyInput {
  /** Epoch ms. */
  now: number;
  settings: PolicySettings;
  /** `detail` (an operator's words, the breaker's numbers) goes into the wait reason's text. */
  paused: { reason: string; detail?: string } | null;
  candidates: RemediationCandidate[];
  openJobs: OpenJob[];
  /** Jobs started in the rolling hour before `now`. */
  startedInLastHour: number;
  groups: GroupHealth[];
}

interface ReplacementDecision {
  instanceId: string;
  /** The due findings only, worst first. */
  findings: ReplaceFinding[];
  strategy: StrategyName;
  group: string | null;
}

export type Decision =
  /** Enforce: create a running job now. */
  | ({ kind: 'start' } & ReplacementDecision)
  /** Dry-run: record what would happen. */
  | ({ kind: 'plan' } & ReplacementDecision)
  /** Create a job that waits for a human; it starts later through `decideQueuedStarts`. */
  | ({ kind: 'await-approval' } & ReplacementDecision)
  /** Eligible but blocked by a budget, window or pause now; re-evaluated next time. */
  | { kind: 'wait'; instanceId: string; code: ReasonCode; reason: string }
  /** Not eligible: nothing due, mode off, already has a job (code null: the job carries the reason), protected. */
  | { kind: 'skip'; instanceId: string; code: ReasonCode | null; reason: string };

export type DecisionKind = Decision['kind'];

export interface QueuedStarts {
  /** Job ids to move from `queued` to `running` now, in the order they were granted. */
  start: string[];
  wait: { jobId: string; code: ReasonCode; reason: string }[];
}
