// `driftwarden agent`, run: push once or every interval. Loads only the fingerprinting and the HTTP client: it runs on
// every host, often as root from a timer, so it must not pull in the daemon (express, SQLite, the AWS SDK).
import { readFileSync } from 'node:fs';
import type { LevelWithSilent } from 'pino';
import { Agent } from '../../agent/agent.js';
import { ValidationError } from '../../domain/errors.js';
import { createLogger } from '../../logging/logger.js';
import { CliExit } from '../cli-exit.js';
import { loadSelection } from '../selection-file.js';

export interface AgentCliOptions {
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

export async function runAgent(options: AgentCliOptions): Promise<void> {
  const token = resolveToken(options);
  const selection = loadSelection(options.select);
  const logger = createLogger({ level: options.logLevel as LevelWithSilent, destination: 2 });
  const controller = new AbortController();
  const stop = (): void => controller.abort(new Error('stopped'));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
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
}
