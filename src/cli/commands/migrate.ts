// `driftwarden migrate`: apply pending database migrations (registration; the implementation loads on use).
import type { Command } from 'commander';
import type { MigrateOptions } from './migrate-action.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations in one transaction')
    .option('--status', 'only show applied and pending migrations')
    .option('--json', 'print as JSON')
    .action(async (options: MigrateOptions, command: Command) => {
      const { runMigrate } = await import('./migrate-action.js');
      runMigrate(options, command);
    });
}
