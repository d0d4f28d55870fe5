// `driftwarden backup` and `driftwarden restore`, run: online copy of the database, and its way back.
import type { Command } from 'commander';
import { backupDatabase, restoreDatabase } from '../../store/backup.js';
import { printJson, type GlobalOptions } from '../cli-exit.js';
import { loadCliConfig } from '../context.js';

export interface BackupCommandOptions {
  force?: boolean;
  json?: boolean;
}

export async function runBackup(
  file: string,
  options: BackupCommandOptions,
  command: Command,
): Promise<void> {
  const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
  const result = await backupDatabase(config.database.path, file, { force: options.force ?? false });
  if (options.json) printJson({ database: config.database.path, backup: result.path, bytes: result.bytes });
  else process.stdout.write(`backed up ${config.database.path} to ${result.path} (${result.bytes} bytes)\n`);
}

export async function runRestore(file: string, command: Command): Promise<void> {
  const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
  await restoreDatabase(file, config.database.path);
  process.stdout.write(`restored ${config.database.path} from ${file}\n`);
}
