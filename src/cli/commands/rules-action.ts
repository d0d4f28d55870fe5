// `driftwarden rules check` and `rules suggest`, run: validate rule files; print boot-noise ignore rules.
import type { Command } from 'commander';
import { listBootNoise } from '../../app/boot-noise-suggestions.js';
import { bootNoiseRulesYaml } from '../../core/boot-noise.js';
import { listedIssues } from '../../domain/errors.js';
import { checkRules } from '../../rules/index.js';
import { CliExit, printJson, type GlobalOptions } from '../cli-exit.js';
import { loadCliConfig, withStore } from '../context.js';

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

/** Reads the stored fleet (the last scan's findings); YAML for `rules.dir`, or the evidence as JSON. */
export function runRulesSuggest(options: { json?: boolean }, command: Command): void {
  const { suggestions, freshWindow } = withStore(command, (store, config) => ({
    suggestions: listBootNoise(store, Date.now(), config.signal.freshWindowMs),
    freshWindow: config.signal.freshWindow,
  }));
  if (options.json) printJson({ freshWindow, suggestions });
  else process.stdout.write(bootNoiseRulesYaml(suggestions, freshWindow));
}
