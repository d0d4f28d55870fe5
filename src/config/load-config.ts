// Loads driftwarden.yaml, applies DRIFTWARDEN_* overrides, validates, normalises and freezes the Config.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValidationError, errorMessage } from '../domain/errors.js';
import type { Config } from './config.js';
import { CONFIG_KEYS } from './config-keys.js';
import { configFileSchema } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { applyEnvOverrides, type AppliedOverride } from './env-overrides.js';
import { normalizeConfig } from './normalize-config.js';
import { formatKeyPath, parseYamlSource, type YamlSource } from './yaml-source.js';
import { simplifyZodIssues, type PlainIssue } from './zod-issues.js';

export const CONFIG_ENV_VAR = 'DRIFTWARDEN_CONFIG';
export const DEFAULT_CONFIG_FILE = 'driftwarden.yaml';

export interface LoadConfigOptions {
  /** Explicit path (`--config`); when absent, `DRIFTWARDEN_CONFIG`, then `./driftwarden.yaml` if it exists. */
  file?: string | null;
  /** Source of `DRIFTWARDEN_*` overrides, `env:NAME` tokens and `AWS_ENDPOINT_URL`. */
  env: NodeJS.ProcessEnv;
  /** Where `./driftwarden.yaml` is looked for and relative paths resolve without a file. Default: process.cwd(). */
  cwd?: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absolute path of the file to read, or null for defaults only. An explicitly named file must exist. */
export function locateConfigFile(options: LoadConfigOptions): string | null {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? options.env[CONFIG_ENV_VAR];
  if (explicit !== undefined && explicit !== null && explicit !== '') return resolve(cwd, explicit);
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : null;
}

/**
 * Throws a ValidationError listing every problem, each as `file:line: key.path: reason`, or
 * `env DRIFTWARDEN_X: key.path: reason` when the value came from the environment.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const file = locateConfigFile(options);
  const source = file === null ? null : readConfigSource(file);
  const fileValue = source === null ? {} : rootMapping(source);
  dropNullSections(fileValue);

  const overridden = applyEnvOverrides(fileValue, options.env);
  dropNullSections(overridden.value);
  const describe = issueDescriber(file, source, overridden.applied);
  const problems = [...overridden.issues];

  const parsed = configFileSchema.safeParse(overridden.value);
  if (!parsed.success) {
    problems.push(...simplifyZodIssues(parsed.error.issues, configFileSchema).map(describe));
  }
  if (problems.length > 0 || !parsed.success) throw invalid(file, problems);

  const { config, issues } = normalizeConfig(parsed.data, {
    file,
    baseDir: file === null ? resolve(options.cwd ?? process.cwd()) : dirname(file),
    env: options.env,
  });
  if (issues.length > 0) throw invalid(file, issues.map(describe));
  deepFreeze(config);
  return config;
}

function invalid(file: string | null, issues: string[]): ValidationError {
  return new ValidationError(`invalid configuration (${file ?? 'defaults and environment'})`, issues, {
    location: file ?? undefined,
  });
}

function readConfigSource(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    throw new ValidationError(`cannot read config file ${file}: ${reason}`, [], {
      location: file,
      cause: error,
    });
  }
  return parseYamlSource(text, file);
}

function rootMapping(source: YamlSource): Record<string, unknown> {
  // An empty file (or one with every line commented out) means "all defaults".
  if (source.value === null || source.value === undefined) return {};
  if (isPlainObject(source.value)) return source.value;
  throw invalid(source.file, [`${source.file}:1: (root): expected a mapping of configuration keys`]);
}

/** `http:` with every child commented out is YAML null; treat it as "defaults" like an absent section. */
function dropNullSections(root: Record<string, unknown>): void {
  for (const key of CONFIG_KEYS) {
    if (key.kind !== 'section') continue;
    const parent = key.path
      .slice(0, -1)
      .reduce<unknown>((node, k) => (isPlainObject(node) ? node[k] : undefined), root);
    const last = key.path[key.path.length - 1];
    if (isPlainObject(parent) && last !== undefined && parent[last] === null) delete parent[last];
  }
}

function issueDescriber(
  file: string | null,
  source: YamlSource | null,
  applied: readonly AppliedOverride[],
): (issue: PlainIssue) => string {
  return (issue) => {
    const key = formatKeyPath(issue.path);
    // The deepest override covering the path is the one that supplied the bad value.
    const override = applied
      .filter((o) => o.path.every((segment, i) => String(issue.path[i]) === segment))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (override) return `env ${override.envVar}: ${key}: ${issue.message}`;
    if (source && file) return `${file}:${source.lineOf(issue.path)}: ${key}: ${issue.message}`;
    return `${key}: ${issue.message}`;
  };
}
