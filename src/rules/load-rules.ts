// Loads `rules/*.yaml` into a RuleSet, collecting every problem across all files with file, line and key.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlSource, type YamlSource } from '../config/yaml-source.js';
import { compareStrings } from '../core/compare-strings.js';
import { ValidationError, errorMessage } from '../domain/errors.js';
import type { IgnoreEntry, Rule, RuleMatch, RuleSet, RuleWhere } from '../domain/types.js';
import { describeIssues, located, type LocatedIssue } from './describe-issues.js';
import { rulesFileSchema, type RulesFile } from './rules-schema.js';

const RULE_FILE = /^[^.].*\.ya?ml$/;

export interface RulesCheck {
  /** null when any issue was found: a daemon never runs on half-valid rules. */
  ruleSet: RuleSet | null;
  /** `file:line: key: message`, files in name order, lines ascending within a file. */
  issues: string[];
  files: string[];
}

/** Rule files in name order (their numeric prefixes order the rules); dotfiles are editor leftovers. */
function listRuleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && RULE_FILE.test(entry.name))
    .map((entry) => entry.name)
    .sort(compareStrings)
    .map((name) => join(dir, name));
}

function toWhere(where: RuleWhere | undefined): RuleWhere | null {
  if (where === undefined) return null;
  const out: RuleWhere = {};
  if (where.tags !== undefined) out.tags = where.tags;
  if (where.account !== undefined) out.account = where.account;
  if (where.region !== undefined) out.region = where.region;
  if (where.group !== undefined) out.group = where.group;
  if (where.channel !== undefined) out.channel = where.channel;
  return out;
}

function toMatch(match: RuleMatch): RuleMatch {
  const out: RuleMatch = {};
  if (match.path !== undefined) out.path = match.path;
  if (match.change !== undefined) out.change = match.change;
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks zod cannot express per field; run on the raw document so they are reported even when the shape is wrong. */
function checkAcrossFields(
  source: YamlSource,
  firstSeen: Map<string, { file: string; line: number }>,
): LocatedIssue[] {
  const issues: LocatedIssue[] = [];
  const rules = isRecord(source.value) && Array.isArray(source.value.rules) ? source.value.rules : [];
  rules.forEach((rule: unknown, index) => {
    if (!isRecord(rule)) return;
    if (rule.for !== undefined && rule.action === 'report') {
      issues.push(
        located(
          source,
          ['rules', index, 'for'],
          '"for" only applies to action "replace" (a report is never delayed)',
        ),
      );
    }
    if (rule.approval !== undefined && rule.action === 'report') {
      issues.push(
        located(source, ['rules', index, 'approval'], '"approval" only applies to action "replace"'),
      );
    }
    if (typeof rule.id !== 'string') return;
    const line = source.lineOf(['rules', index, 'id']);
    const first = firstSeen.get(rule.id);
    if (first === undefined) firstSeen.set(rule.id, { file: source.file, line });
    else {
      issues.push(
        located(
          source,
          ['rules', index, 'id'],
          `duplicate rule id ${JSON.stringify(rule.id)}: ${source.file}:${line} repeats ${first.file}:${first.line}`,
        ),
      );
    }
  });
  return issues;
}

function toRuleSet(source: YamlSource, file: RulesFile, into: RuleSet): void {
  (file.ignore ?? []).forEach((entry, index) => {
    const ignore: IgnoreEntry = {
      match: toMatch(entry),
      where: toWhere(entry.where),
      location: { file: source.file, line: source.lineOf(['ignore', index]) },
    };
    into.ignore.push(ignore);
  });
  (file.rules ?? []).forEach((rule, index) => {
    const out: Rule = {
      id: rule.id,
      description: rule.description ?? null,
      match: toMatch(rule.match),
      where: toWhere(rule.where),
      severity: rule.severity,
      action: rule.action,
      forMs: rule.for ?? null,
      approvalRequired: rule.approval === 'required',
      location: { file: source.file, line: source.lineOf(['rules', index]) },
    };
    into.rules.push(out);
  });
}

// A loop, not push(...items): 50,000 bad rules are 150,000 issues, more arguments than the stack holds.
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** Validates a rules directory without throwing, for `driftwarden rules check`. */
export function checkRules(dir: string): RulesCheck {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { ruleSet: null, issues: [`${dir}: rules directory not found`], files: [] };
  }
  const files = listRuleFiles(dir);
  if (files.length === 0) {
    return { ruleSet: null, issues: [`${dir}: no rule files (*.yaml, *.yml)`], files };
  }
  const issues: string[] = [];
  const ruleSet: RuleSet = { ignore: [], rules: [] };
  const firstSeen = new Map<string, { file: string; line: number }>();
  for (const file of files) {
    let source: YamlSource;
    try {
      source = parseYamlSource(readFileSync(file, 'utf8'), file);
    } catch (error) {
      appendAll(
        issues,
        error instanceof ValidationError && error.allIssues.length > 0
          ? error.allIssues
          : [`${file}: ${errorMessage(error)}`],
      );
      continue;
    }
    const found = checkAcrossFields(source, firstSeen);
    const parsed = rulesFileSchema.safeParse(source.value);
    if (parsed.success) toRuleSet(source, parsed.data, ruleSet);
    else appendAll(found, describeIssues(parsed.error, source));
    appendAll(
      issues,
      found.sort((a, b) => a.line - b.line).map((issue) => issue.message),
    );
  }
  return { ruleSet: issues.length === 0 ? ruleSet : null, issues, files };
}

/** Loads and validates every rule file in `dir`; throws one ValidationError listing all problems. */
export function loadRules(dir: string): RuleSet {
  const { ruleSet, issues } = checkRules(dir);
  if (ruleSet === null) throw new ValidationError(`invalid rules in ${dir}`, issues, { location: dir });
  return ruleSet;
}
