// `driftwarden migrate`, run: apply pending migrations or show their status.
import type { Command } from 'commander';
import { openDatabase } from '../../store/database.js';
import { migrate, migrationStatus } from '../../store/migrations.js';
import { printJson, type GlobalOptions } from '../cli-exit.js';
import { loadCliConfig } from '../context.js';

export interface MigrateOptions {
  status?: boolean;
  json?: boolean;
}

export function runMigrate(options: MigrateOptions, command: Command): void {
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
}
