// Shared CLI plumbing: load config, open the store, make a logger, turn errors into messages and exit codes.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import {
  ConflictError,
  NotFoundError,
  TerminalError,
  ValidationError,
  errorMessage,
} from '../domain/errors.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { openStore, type Store } from '../store/index.js';

export interface GlobalOptions {
  config?: string;
}

export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function loadCliConfig(options: GlobalOptions): Config {
  return loadConfig({ file: options.config ?? null, env: process.env });
}

/** Who a CLI command records as having acted (audit log, approvals, acceptances). */
export const CLI_ACTOR = `cli:${process.env.USER ?? 'unknown'}`;

/** Opens the configured database (migrating it) for one command, and closes it whatever happens. */
export function withStore<T>(command: Command, fn: (store: Store, config: Config) => T): T {
  const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
  const store = openStore(config.database.path, { now: () => new Date() });
  try {
    return fn(store, config);
  } finally {
    store.close();
  }
}

/** One-shot commands log to stderr so stdout stays machine-readable. */
export function cliLogger(config: Config, destination: 1 | 2 = 2): Logger {
  return createLogger({ level: config.log.level, destination });
}

export function describeError(error: unknown): string {
  if (
    error instanceof ValidationError ||
    error instanceof ConflictError ||
    error instanceof NotFoundError ||
    error instanceof TerminalError
  ) {
    return `driftwarden: ${error.message}`;
  }
  const e = error as { code?: string; path?: string };
  if (e?.code === 'ENOENT' && e.path) return `driftwarden: no such file: ${e.path}`;
  if (e?.code === 'EACCES' && e.path) return `driftwarden: permission denied: ${e.path}`;
  return `driftwarden: ${errorMessage(error)}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
