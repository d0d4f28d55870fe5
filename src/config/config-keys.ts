// Derives every config key path and its DRIFTWARDEN_* environment variable from the schema's key tree.
import { z } from 'zod';
import { configFileSchema } from './config-schema.js';
import { acceptsNull, unwrapSchema } from './zod-issues.js';

export const ENV_PREFIX = 'DRIFTWARDEN_';

/**
 * `section`: an object of further keys (`http`); `text`: a string or enum leaf, whose override is
 * taken verbatim (a cron expression or `a:b` is not valid YAML); `value`: anything else, whose
 * override is read as a YAML scalar or flow collection (`9750`, `true`, `[{regions: [eu-west-1]}]`).
 */
export type ConfigKeyKind = 'section' | 'text' | 'value';

export interface ConfigKey {
  path: readonly string[];
  envVar: string;
  kind: ConfigKeyKind;
  nullable: boolean;
}

/** `maxRequestsPerSecond` → `MAX_REQUESTS_PER_SECOND`. */
export function toScreamingSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envVarFor(path: readonly string[]): string {
  return ENV_PREFIX + path.map(toScreamingSnake).join('_');
}

/**
 * Every object key of the schema, depth-first, parents before children. Lists and maps are leaves:
 * `DRIFTWARDEN_TARGETS` replaces the whole list.
 */
export function listConfigKeys(schema: z.ZodType = configFileSchema): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const visit = (node: z.ZodType, path: string[]): void => {
    const inner = unwrapSchema(node);
    if (path.length > 0) {
      const kind: ConfigKeyKind =
        inner instanceof z.ZodObject
          ? 'section'
          : inner instanceof z.ZodString || inner instanceof z.ZodEnum
            ? 'text'
            : 'value';
      keys.push({ path, envVar: envVarFor(path), kind, nullable: acceptsNull(node) });
    }
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries<z.ZodType>(inner.shape)) visit(child, [...path, key]);
    }
  };
  visit(schema, []);
  const byVar = new Map<string, ConfigKey>();
  for (const key of keys) {
    const clash = byVar.get(key.envVar);
    // A programming error in the schema, caught by any test that loads a config.
    if (clash)
      throw new Error(`config keys ${clash.path.join('.')} and ${key.path.join('.')} share ${key.envVar}`);
    byVar.set(key.envVar, key);
  }
  return keys;
}

export const CONFIG_KEYS: readonly ConfigKey[] = listConfigKeys();
