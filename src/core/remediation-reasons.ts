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
  'group-unknown',
  'no-target-image',
  'nothing-to-replace',
  'not-queued',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export interface RemediationReason {
  code: ReasonCode;
  /** For people: the code's specifics (time left, group, window end). */
  text: string;
}
