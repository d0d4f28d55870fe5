import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../../src/config/index.js';

const example = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/driftwarden.yaml');

describe('examples/driftwarden.yaml', () => {
  it('lists every configuration key', () => {
    const value = parse(readFileSync(example, 'utf8')) as Record<string, unknown>;
    const missing = CONFIG_KEYS.filter((key) => {
      let node: unknown = value;
      for (const segment of key.path) {
        // A nullable section left null (remediation.webhook) documents its keys in a comment.
        if (node === null) return false;
        node = (node as Record<string, unknown> | undefined)?.[segment];
      }
      return node === undefined;
    }).map((key) => key.path.join('.'));
    expect(missing).toEqual([]);
  });

  it('loads, and holds the defaults apart from its two repository-relative paths', () => {
    const fromExample = loadConfig({ file: example, env: {} });
    const defaults = loadConfig({ env: {}, cwd: dirname(example) });
    expect(fromExample.database.path).toBe(join(dirname(example), '../data/driftwarden.db'));
    expect(fromExample.rules.dir).toBe(join(dirname(example), '../rules'));
    const comparable = (c: typeof defaults) => ({ ...c, file: null, database: null, rules: null });
    expect(comparable(fromExample)).toEqual(comparable(defaults));
  });
});
