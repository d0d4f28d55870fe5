// `driftwarden rules check [DIR]`: validate rule files (registration; the implementation loads on use).
import type { Command } from 'commander';

export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('work with drift rules');
  rules
    .command('check')
    .description('validate rules (default: the configured rules.dir); exit 1 on any error')
    .argument('[dir]', 'rules directory')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, options: { json?: boolean }, command: Command) => {
      const { runRulesCheck } = await import('./rules-action.js');
      runRulesCheck(dir, options, command);
    });
}
