// `driftwarden serve`: the long-running daemon (registration; the implementation loads on use).
import type { Command } from 'commander';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the daemon: scan on the schedule, serve the API and /metrics (SIGTERM drains)')
    .action(async (_options: object, command: Command) => {
      const { runServe } = await import('./serve-action.js');
      await runServe(command);
    });
}
