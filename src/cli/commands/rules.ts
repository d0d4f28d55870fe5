// `driftwarden rules check [DIR]` and `rules suggest`: validate rule files, propose boot-noise ignores (registration; the work loads on use).
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
  rules
    .command('suggest')
    .description(
      'print ignore rules for boot-time noise: differences most instances of an image launched within ' +
        'signal.freshWindow already show alike (review, then add them to rules.dir)',
    )
    .option('--json', 'print the suggestions and their evidence as JSON')
    .addHelpText(
      'after',
      '\nNothing is ignored until the output is added to rules.dir, e.g.\n' +
        '  driftwarden rules suggest > rules/40-boot-noise.yaml && driftwarden rules check\n' +
        'Evidence: at least 2 fresh instances of one image, and more than half of them, with the same\n' +
        'path, change and value. signal.applyBootNoise: true applies them as expiring acceptances instead.\n',
    )
    .action(async (options: { json?: boolean }, command: Command) => {
      const { runRulesSuggest } = await import('./rules-action.js');
      runRulesSuggest(options, command);
    });
}
