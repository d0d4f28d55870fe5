// `driftwarden agent`: fingerprint this instance (same module as `bake`) and push it to the daemon, once or every interval.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { DEFAULT_IMDS_ENDPOINT } from '../../agent/imds.js';
import { parseDuration } from '../../core/duration.js';
import { ValidationError } from '../../domain/errors.js';
import { createLogger } from '../../logging/logger.js';
import { CliExit } from '../context.js';
import { loadSelection, positiveInt } from './bake.js';

interface AgentCliOptions {
  server: string;
  token?: string;
  tokenFile?: string;
  interval: number;
  root: string;
  instanceId?: string;
  imdsEndpoint: string;
  select?: string;
  jobs: number;
  once?: boolean;
  attempts: number;
  logLevel: string;
}

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

/** --token, else --token-file, else $DRIFTWARDEN_AGENT_TOKEN (the last two keep it out of `ps`). */
function resolveToken(options: AgentCliOptions): string {
  if (options.token) return options.token;
  if (options.tokenFile) {
    try {
      return readFileSync(options.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new ValidationError(
        `cannot read --token-file ${options.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  const env = process.env.DRIFTWARDEN_AGENT_TOKEN;
  if (env) return env;
  throw new ValidationError(
    'agent needs a token with scope ingest: --token, --token-file or $DRIFTWARDEN_AGENT_TOKEN',
  );
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
      const token = resolveToken(options);
      const selection = loadSelection(options.select);
      const logger = createLogger({ level: options.logLevel as LevelWithSilent, destination: 2 });
      const controller = new AbortController();
      const stop = (): void => controller.abort(new Error('stopped'));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const { Agent } = await import('../../agent/agent.js');
      const agent = new Agent({
        server: options.server,
        token,
        root: options.root,
        selection,
        jobs: options.jobs,
        instanceId: options.instanceId ?? null,
        imdsEndpoint: options.imdsEndpoint,
        retry: { attempts: options.attempts, baseMs: 1000, maxMs: 30_000, timeoutMs: 10_000 },
        logger,
        signal: controller.signal,
      });
      try {
        if (!options.once) {
          await agent.run(options.interval);
          return;
        }
        if (!(await agent.pushAndLog())) throw new CliExit(1);
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        logger.flush();
      }
    });
}
