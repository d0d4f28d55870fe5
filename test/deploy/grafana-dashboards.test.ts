// Every dashboard under deploy/grafana/dashboards/ is one that grafana-dashboards.types.ts checks against @grafana/schema.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('Grafana dashboard types', () => {
  it('imports every dashboard JSON file, so the type-check covers each', () => {
    const dashboards = readdirSync(resolve(ROOT, 'deploy/grafana/dashboards'))
      .filter((name) => name.endsWith('.json'))
      .sort();
    const checker = readFileSync(resolve(ROOT, 'test/deploy/grafana-dashboards.types.ts'), 'utf8');
    const imported = [...checker.matchAll(/from '\.\.\/\.\.\/deploy\/grafana\/dashboards\/([^']+\.json)'/g)]
      .map((m) => m[1])
      .sort();
    expect(dashboards.length).toBeGreaterThan(0);
    expect(imported).toEqual(dashboards);
  });
});
