// `--limit`/`--cursor` of the CLI's list commands (registration only: parsing them loads with the command).
import { Option, type Command } from 'commander';

export interface PageOptions {
  limit?: string;
  cursor?: string;
}

/** Adds `--limit` and `--cursor` to a list command: the same page sizes and opaque cursors as the API. */
export function addPageOptions(command: Command): Command {
  return command
    .addOption(new Option('--limit <n>', 'rows per page (1-1000)').default('100'))
    .option('--cursor <cursor>', 'continue after the page that printed this cursor');
}
