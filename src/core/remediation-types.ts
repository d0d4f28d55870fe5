// The inputs and outputs of the replacement safety policy (docs/design.md §7): what may be replaced, what blocks it, what to do.
import type { Change, Severity } from '../domain/types.js';
import type { ReasonCode } from './remediation-reasons.js';

/** Same values as the config's `remediation.mode`; core keeps its own copy because it never imports config. */
export type RemediationMode = 'off' | 'dry-run' | 'enforce';

export type StrategyName = 'asg' | 'launch-then-terminate' | 'webhook';

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
}

export type OpenJobState = 'planned' | 'awaiting-approval' | 'queued' | 'running';

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
  strategyOverride?: StrategyName;
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
