// `driftwarden serve`: the long-running daemon.
import type { Command } from 'commander';
import { startDaemon } from '../../main.js';
import { cliLogger, loadCliConfig, type GlobalOptions } from '../context.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the daemon: scan on the schedule, serve the API and /metrics (SIGTERM drains)')
    .action(async (_options: object, command: Command) => {
      const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
      const logger = cliLogger(config, 1);
      const daemon = await startDaemon({ config, logger });
      await waitForSignal(logger, daemon);
    });
}

export function waitForSignal(
  logger: { info(obj: object, msg: string): void },
  daemon: { stop(): Promise<void>; runtime: { reloadRules(): Error | null } },
): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'signal received');
      void daemon.stop().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      daemon.runtime.reloadRules();
    });
  });
}
