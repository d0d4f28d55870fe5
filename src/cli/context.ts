// Shared plumbing of command implementations: load config, open the store, make a logger.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { openStore, type Store } from '../store/index.js';
import type { GlobalOptions } from './cli-exit.js';

export function loadCliConfig(options: GlobalOptions): Config {
  return loadConfig({ file: options.config ?? null, env: process.env });
}

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
