// `driftwarden serve`: the long-running daemon (registration; the implementation loads on use).
import type { Command } from 'commander';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the daemon: scan on the schedule, serve the API and /metrics (SIGTERM drains)')
    .addHelpText(
      'after',
      `
One daemon per database: a second serve on the same database.path exits 1 naming the running one's PID.
Rows past database.retention are pruned after scans, at most hourly (docs/operations.md).`,
    )
    .action(async (_options: object, command: Command) => {
      const { runServe } = await import('./serve-action.js');
      await runServe(command);
    });
}
