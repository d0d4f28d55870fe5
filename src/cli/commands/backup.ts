// `driftwarden backup FILE` and `driftwarden restore FILE` (registration; the implementation loads on use).
import type { Command } from 'commander';
import type { BackupCommandOptions } from './backup-action.js';

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description(
      'copy the database to FILE while the daemon runs (SQLite online backup; one self-contained file)',
    )
    .argument('<file>', 'where to write the backup; refused if it exists unless --force')
    .option('--force', 'replace FILE if it exists')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: BackupCommandOptions, command: Command) => {
      const { runBackup } = await import('./backup-action.js');
      await runBackup(file, options, command);
    });
  program
    .command('restore')
    .description('replace the database with a backup (stop the daemon first; refused while it runs)')
    .argument('<file>', 'a backup written by `driftwarden backup`')
    .addHelpText(
      'after',
      `
The backup must pass PRAGMA integrity_check. The daemon migrates a restored older schema when it starts.
Example:
  $ systemctl stop driftwarden && driftwarden restore /var/backups/driftwarden.db && systemctl start driftwarden`,
    )
    .action(async (file: string, _options: object, command: Command) => {
      const { runRestore } = await import('./backup-action.js');
      await runRestore(file, command);
    });
}
