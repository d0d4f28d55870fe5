// `driftwarden serve`, run: the long-running daemon, stopped by SIGTERM/SIGINT, rules reloaded (and manifests caught up from peers) on SIGHUP.
import type { Command } from 'commander';
import type { GlobalOptions } from '../cli-exit.js';
import { cliLogger, loadCliConfig } from '../context.js';

export async function runServe(command: Command): Promise<void> {
  const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
  const logger = cliLogger(config, 1);
  const stopOnSignal = trapSignals(logger);
  // From here a SIGTERM stops the daemon in order, even before it serves.
  logger.info({ pid: process.pid }, 'driftwarden starting');
  // Before the daemon's modules load (most of a second): a second daemon is refused at once.
  const { acquireDatabaseLock } = await import('../../store/database-lock.js');
  const lock = acquireDatabaseLock(config.database.path);
  // Loaded after the signals are trapped: the AWS SDK and express take most of a second.
  const { startDaemon } = await import('../../main.js');
  const daemon = await startDaemon({ config, logger, lock });
  await stopOnSignal(daemon);
}

interface StoppableDaemon {
  stop(): Promise<void>;
  reloadRules(): Error | null;
  catchUpManifests(): Promise<unknown>;
}

/**
 * Takes over SIGTERM/SIGINT (drain and stop) and SIGHUP (reload rules, catch up manifests from the peers) at once, before the daemon
 * starts: it logs its URL before it returns, and a supervisor that stops it right then must still get
 * a clean shutdown rather than the default "killed by signal". The returned function stops the daemon
 * on the first signal — including one received while it was starting — and resolves once it stopped.
 */
export function trapSignals(logger: {
  info(obj: object, msg: string): void;
}): (daemon: StoppableDaemon) => Promise<void> {
  let daemon: StoppableDaemon | null = null;
  let received: string | null = null;
  let onStop: (() => void) | null = null;
  const stop = (signal: string): void => {
    logger.info({ signal }, 'signal received');
    received ??= signal;
    onStop?.();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    daemon?.reloadRules();
    // Logs its own outcome and never rejects.
    void daemon?.catchUpManifests();
  });
  return (started) => {
    daemon = started;
    return new Promise((resolve) => {
      onStop = () => void started.stop().then(resolve);
      if (received !== null) onStop();
    });
  };
}
