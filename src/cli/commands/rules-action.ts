// `driftwarden rules check`, run: validate rule files, reporting file, line and key of each error.
import type { Command } from 'commander';
import { listedIssues } from '../../domain/errors.js';
import { checkRules } from '../../rules/index.js';
import { CliExit, printJson, type GlobalOptions } from '../cli-exit.js';
import { loadCliConfig } from '../context.js';

export function runRulesCheck(dir: string | undefined, options: { json?: boolean }, command: Command): void {
  // Loaded even when DIR is given: like every command, an invalid configuration stops it.
  const config = loadCliConfig(command.optsWithGlobals<GlobalOptions>());
  const target = dir ?? config.rules.dir;
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
    // Listed like every other validation error: the first ones, then a count (--json has all).
    process.stderr.write(
      `${listedIssues(result.issues).join('\n')}\n${result.issues.length} error(s) in ${target}\n`,
    );
  }
  if (!ok) throw new CliExit(1);
}
