// Why a drifted instance or an open job is not being replaced right now: one stable code per cause, plus the specifics.

/**
 * Every reason the policy gives for waiting or skipping. The codes are metric label values
 * (`driftwarden_remediation_blocked{reason}`) and API values, so they stay few and stable; the
 * specifics (time left, group, window) go in the text.
 */
export const REASON_CODES = [
  'for-not-elapsed',
  'mode-off',
  'dry-run',
  'protected',
  'cooling-down',
  'awaiting-approval',
  'paused',
  'drift-storm',
  'outside-window',
  'max-concurrent',
  'max-per-hour',
  'group-busy',
  'group-unavailable',
  // For a new candidate the group's health comes from the same scan, so only a queued job whose instance left its group meanwhile gets this.
  'group-unknown',
  'no-target-image',
  // Its only due drift is fleet-wide since boot: a bake or manifest cause a new instance would reproduce.
  'manifest-mismatch',
  // Defensive: candidates are built from their findings, so a running daemon never has one with none.
  'nothing-to-replace',
  // Defensive: only queued jobs are served, so a running daemon never asks about another state.
  'not-queued',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * Codes of defensive branches a running daemon cannot reach (the policy still answers them, and the core
 * tests check it). Every other code is driven end to end by an integration test (`test/integration/remediation-reason-coverage.test.ts`).
 */
export const DEFENSIVE_REASON_CODES: readonly ReasonCode[] = ['nothing-to-replace', 'not-queued'];

export interface RemediationReason {
  code: ReasonCode;
  /** For people: the code's specifics (time left, group, window end). */
  text: string;
}
