// Applies DRIFTWARDEN_<KEY_PATH> environment variables on top of the file's values.
import { parseDocument } from 'yaml';
import { errorMessage } from '../domain/errors.js';
import { CONFIG_KEYS, type ConfigKey } from './config-keys.js';

export interface AppliedOverride {
  envVar: string;
  path: readonly string[];
}

export interface EnvOverrideResult {
  /** The file's value with overrides applied (the input is not modified). */
  value: Record<string, unknown>;
  applied: AppliedOverride[];
  /** Values that could not be read at all, e.g. broken YAML flow syntax. */
  issues: string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one variable's text the way its key expects; throws with a reason when it cannot. */
export function readOverride(key: ConfigKey, text: string): unknown {
  const trimmed = text.trim();
  if (key.nullable && (trimmed === '' || trimmed === 'null' || trimmed === '~')) return null;
  if (key.kind === 'text') return text;
  const doc = parseDocument(text, { uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) throw new Error(`not valid YAML: ${problem.message.split('\n')[0] ?? problem.message}`);
  return doc.toJS() as unknown;
}

/**
 * Parents are applied before children, so `DRIFTWARDEN_HTTP_PORT` refines a `DRIFTWARDEN_HTTP` given
 * alongside it. Variables that name no key (`DRIFTWARDEN_CONFIG`, token secrets) are ignored.
 */
export function applyEnvOverrides(
  fileValue: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  keys: readonly ConfigKey[] = CONFIG_KEYS,
): EnvOverrideResult {
  const value = structuredClone(fileValue);
  const applied: AppliedOverride[] = [];
  const issues: string[] = [];
  for (const key of keys) {
    const text = env[key.envVar];
    if (text === undefined) continue;
    let parsed: unknown;
    try {
      parsed = readOverride(key, text);
    } catch (error) {
      issues.push(`env ${key.envVar}: ${key.path.join('.')}: ${errorMessage(error)}`);
      continue;
    }
    setAt(value, key.path, parsed);
    applied.push({ envVar: key.envVar, path: key.path });
  }
  return { value, applied, issues };
}

function setAt(root: Record<string, unknown>, path: readonly string[], leaf: unknown): void {
  let node = root;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      node[key] = leaf;
      return;
    }
    const next = node[key];
    // The environment wins over whatever the file has at a parent key, even a malformed value.
    if (isPlainObject(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
}
