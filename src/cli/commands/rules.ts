// `driftwarden rules check [DIR]`: validate rule files, reporting file, line and key of each error.
import type { Command } from 'commander';
import { checkRules } from '../../rules/index.js';
import { CliExit, loadCliConfig, printJson, type GlobalOptions } from '../context.js';

export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('work with drift rules');
  rules
    .command('check')
    .description('validate rules (default: the configured rules.dir); exit 1 on any error')
    .argument('[dir]', 'rules directory')
    .option('--json', 'print the result as JSON')
    .action((dir: string | undefined, options: { json?: boolean }, command: Command) => {
      const target = dir ?? loadCliConfig(command.optsWithGlobals<GlobalOptions>()).rules.dir;
      const result = checkRules(target);
      const ok = result.issues.length === 0;
      if (options.json) {
        printJson({
          ok,
          dir: target,
          files: result.files,
          rules: result.ruleSet?.rules.length ?? 0,
          ignore: result.ruleSet?.ignore.length ?? 0,
          issues: result.issues,
        });
      } else if (ok) {
        process.stdout.write(
          `ok: ${result.ruleSet?.rules.length ?? 0} rules, ${result.ruleSet?.ignore.length ?? 0} ignore entries in ${result.files.length} files\n`,
        );
      } else {
        process.stderr.write(`${result.issues.join('\n')}\n${result.issues.length} error(s) in ${target}\n`);
      }
      if (!ok) throw new CliExit(1);
    });
}
