// `driftwarden accept`: accept drift on an instance and/or rule until a date (registration; the implementation loads on use).
import { InvalidArgumentError, type Command } from 'commander';
import { INSTANCE_ID_PATTERN } from '../../config/aws-patterns.js';
import { resolveAcceptanceUntil } from '../../core/acceptance.js';
import { parseIntOption } from '../options.js';
import { addPageOptions } from '../page-options.js';
import type { AcceptOptions } from './accept-action.js';

function parseInstanceId(value: string): string {
  if (!INSTANCE_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError('must be an EC2 instance id like i-0123456789abcdef0');
  }
  return value;
}

function parseUntil(value: string): string {
  const resolved = resolveAcceptanceUntil(value, Date.now());
  if ('error' in resolved) throw new InvalidArgumentError(resolved.error);
  return resolved.until;
}

function parseRule(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must be a rule id');
  return value.trim();
}

export function registerAcceptCommand(program: Command): void {
  const accept = program
    .command('accept')
    .description(
      'accept drift until a date: matching findings are reported as accepted, not as drift (from the next scan)',
    )
    .argument('[instanceId]', 'accept drift on this instance (all of it, or only --rule)', parseInstanceId)
    .option('--rule <id>', 'accept findings of this rule (on every instance, or only instanceId)', parseRule)
    .option(
      '--until <when>',
      `when the acceptance ends: a duration (7d, 12h) or an ISO date/time, at most 365 days ahead`,
      parseUntil,
    )
    .option('--reason <text>', 'why the drift is accepted (recorded)')
    .option('--list', 'list active acceptances, newest first, one page (--limit, --cursor) at a time')
    .option('--all', 'with --list: also expired and revoked ones');
  addPageOptions(accept)
    .option(
      '--revoke <id>',
      'revoke an acceptance: its findings are drift again from the next scan',
      parseIntOption('--revoke', 1, Number.MAX_SAFE_INTEGER),
    )
    .option('--json', "print as JSON (a list with the total and the next page's cursor)")
    .addHelpText(
      'after',
      `
An acceptance names an instance, a rule, or both; a finding is accepted when everything the
acceptance names matches it. Accepted findings stay visible but are not drift: they do not make an
instance drifted, fail \`scan --once\`, count in drift metrics and alerts, or start a replacement.
A new, revoked or expired acceptance takes effect at the next scan. A date alone means 00:00 UTC.

Examples:
  $ driftwarden accept i-0123456789abcdef0 --until 7d --reason "vendor hotfix, CHG-1234"
  $ driftwarden accept --rule tag-drift --until 2026-12-31 --reason "tag migration in progress"
  $ driftwarden accept i-0123456789abcdef0 --rule imds-downgrade --until 2026-12-01T18:00:00Z --reason "legacy agent"
  $ driftwarden accept --list --all --limit 20
  $ driftwarden accept --revoke 3`,
    )
    .action(async (instanceId: string | undefined, options: AcceptOptions, command: Command) => {
      const { runAccept } = await import('./accept-action.js');
      runAccept(instanceId, options, command);
    });
}
