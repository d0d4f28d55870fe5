// `driftwarden migrate`: apply pending database migrations (the daemon also does this at start).
import type { Command } from 'commander';
import { openDatabase } from '../../store/database.js';
import { migrate, migrationStatus } from '../../store/migrations.js';
import { loadCliConfig, printJson, type GlobalOptions } from '../context.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations in one transaction')
    .option('--status', 'only show applied and pending migrations')
    .option('--json', 'print as JSON')
    .action((options: { status?: boolean; json?: boolean }, command: Command) => {
      const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
      const db = openDatabase(config.database.path);
      try {
        if (options.status) {
          const status = migrationStatus(db);
          if (options.json) printJson(status);
          else process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
          return;
        }
        const result = migrate(db, { now: () => new Date() });
        if (options.json) printJson(result);
        else
          process.stdout.write(
            result.applied.length
              ? `applied ${result.applied.join(', ')}; schema version ${result.current}\n`
              : `up to date at schema version ${result.current}\n`,
          );
      } finally {
        db.close();
      }
    });
}
