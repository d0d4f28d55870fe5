// The IAM actions driftwarden needs, derived from the SDK commands in src/: shared by the tests of deploy/iam/'s policies and roles template.
import { findSdkCalls, type SdkCall } from './sdk-calls.js';

/** Modules that only replacement (`remediation.mode: enforce`) runs; every other AWS call counts as scanning. */
export const REPLACEMENT_MODULES = ['src/aws/asg-actions.ts', 'src/aws/ec2-actions.ts'];

/**
 * Modules whose calls are signed with the daemon's own credentials, never a target's role: the
 * `AssumeRole` that obtains a member account's credentials is the daemon principal's call.
 */
export const DAEMON_PRINCIPAL_MODULES = ['src/aws/assume-role-credentials.ts'];

/** Not requests of their own, but IAM checks them on these calls: tags set at launch/snapshot, the instance profile's role. */
const IMPLIED_ACTIONS: Record<string, string[]> = {
  'ec2:CreateSnapshot': ['ec2:CreateTags'],
  'ec2:RunInstances': ['ec2:CreateTags', 'iam:PassRole'],
};

/** Reads nothing but is no Describe/Get/List either. */
const NON_MUTATING = new Set(['sts:AssumeRole']);
const READ_ONLY_VERB = /^(Describe|Get|List|BatchGet|Select)[A-Z]/;

export const unique = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

export const isMutating = (action: string): boolean =>
  !NON_MUTATING.has(action) && !READ_ONLY_VERB.test(action.split(':')[1] ?? '');

export interface CodeActions {
  calls: SdkCall[];
  /** Every action the code sends. */
  called: string[];
  /** What scanning (and `dry-run`) sends: everything outside the replacement modules. */
  scanning: string[];
  /** What IAM checks alongside the calls (`ec2:CreateTags`, `iam:PassRole`). */
  implied: string[];
  /** What a member account's scan role is used for: scanning, less the daemon principal's own calls. */
  memberScan: string[];
  /** What a member account's enforce role is used for: every call (and what IAM checks with them), less the daemon principal's own. */
  memberEnforce: string[];
}

/** The actions of the source tree `dir` under `root`, grouped by who needs them. */
export function codeActions(root: string, dir = 'src'): CodeActions {
  const calls = findSdkCalls(root, dir);
  const scanningCalls = calls.filter((c) => !REPLACEMENT_MODULES.includes(c.file));
  const memberCalls = calls.filter((c) => !DAEMON_PRINCIPAL_MODULES.includes(c.file));
  const called = unique(calls.map((c) => c.action));
  const implied = unique(called.flatMap((a) => IMPLIED_ACTIONS[a] ?? []));
  const memberCalled = unique(memberCalls.map((c) => c.action));
  return {
    calls,
    called,
    scanning: unique(scanningCalls.map((c) => c.action)),
    implied,
    memberScan: unique(
      scanningCalls.filter((c) => !DAEMON_PRINCIPAL_MODULES.includes(c.file)).map((c) => c.action),
    ),
    memberEnforce: unique([...memberCalled, ...memberCalled.flatMap((a) => IMPLIED_ACTIONS[a] ?? [])]),
  };
}
