// `driftwarden agent`: fingerprint this instance and push it to the daemon (registration; the implementation loads on use).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_IMDS_ENDPOINT } from '../../agent/imds.js';
import { parseDuration } from '../../core/duration.js';
import { positiveInt } from '../options.js';
import type { AgentCliOptions } from './agent-action.js';

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === null || ms < 1000)
    throw new InvalidArgumentError('expected a duration of at least 1s, such as 30s, 5m or 1h');
  return ms;
}

/** Checked up front: a malformed URL would otherwise be retried with backoff like a network error. */
function serverUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL such as https://driftwarden.internal:9750');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`expected http or https, not ${url.protocol}`);
  }
  return value;
}

function instanceId(value: string): string {
  if (!/^i-[0-9a-f]{8,17}$/.test(value))
    throw new InvalidArgumentError('expected an EC2 instance id like i-0123456789abcdef0');
  return value;
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('fingerprint this instance (packages, files, services) and push it to the daemon')
    .requiredOption('--server <url>', 'the daemon, e.g. https://driftwarden.internal:9750', serverUrl)
    .option(
      '--token <token>',
      'bearer token with scope ingest (prefer --token-file or $DRIFTWARDEN_AGENT_TOKEN)',
    )
    .option('--token-file <file>', 'read the token from this file')
    .addOption(
      new Option('--interval <duration>', 'push every … (ignored with --once)')
        .argParser(duration)
        .default(300_000, '5m'),
    )
    .option('--root <dir>', 'filesystem to fingerprint', '/')
    .option('--instance-id <id>', 'this instance (default: read from IMDSv2)', instanceId)
    .option('--imds-endpoint <url>', 'instance metadata service', DEFAULT_IMDS_ENDPOINT)
    .option('--select <file>', 'file selection; must be the one the image was baked with')
    .option('-j, --jobs <n>', 'files hashed in parallel (keep low on busy hosts)', positiveInt, 1)
    .option('--once', 'push once and exit (for a systemd timer): exit 0 accepted, 1 failed')
    .option('--attempts <n>', 'tries per request for network errors, 429 and 5xx', positiveInt, 5)
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent', 'info')
    .addHelpText(
      'after',
      `
Uses the same fingerprinting as \`bake\`, so pass the same --select file the image was baked with.
Unchanged sections are sent as digests only. Files that cannot be read are reported to the daemon
as skipped (and logged); they are not reported as removed.

Examples:
  $ DRIFTWARDEN_AGENT_TOKEN=… driftwarden agent --server http://10.0.0.5:9750 --once
  $ driftwarden agent --server http://10.0.0.5:9750 --token-file /etc/driftwarden/agent.token --interval 5m`,
    )
    .action(async (options: AgentCliOptions) => {
      const { runAgent } = await import('./agent-action.js');
      await runAgent(options);
    });
}
