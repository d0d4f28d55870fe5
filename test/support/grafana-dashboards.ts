// The shipped Grafana dashboards (deploy/grafana/dashboards/*.json), their panels, and the series selectors their queries use.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../src/package-root.js';

export const GRAFANA = packagePath('deploy/grafana');
const DASHBOARDS = join(GRAFANA, 'dashboards');

export interface Target {
  refId: string;
  expr: string;
  range?: boolean;
  datasource?: { uid?: string };
}
export interface Panel {
  id: number;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: {
    overrides?: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[];
  };
}
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; current: { value: string | string[] } }[] };
  links?: { title: string; url: string }[];
}

export function dashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as Dashboard,
    }));
}

/** Panels in layout order, those inside (collapsed) rows included. */
export function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** One series selector of a panel query: `name` or `name{label="value", …}` (equality matchers only). */
export interface SeriesSelector {
  /** Dashboard file, panel title and query refId. */
  where: string;
  /** As written in the query, e.g. `driftwarden_findings{rule="revoked-image"}`. */
  text: string;
  name: string;
  labels: Record<string, string>;
}

/**
 * Every driftwarden series selector in every panel query. Only `=` matchers are understood: a
 * query with another matcher fails here until this parser learns it, rather than being checked wrongly.
 */
export function dashboardSelectors(): SeriesSelector[] {
  const selectors: SeriesSelector[] = [];
  for (const { file, dashboard } of dashboards())
    for (const panel of allPanels(dashboard.panels))
      for (const target of panel.targets ?? []) {
        const where = `${file}: panel "${panel.title}" query ${target.refId}`;
        for (const m of target.expr.matchAll(/\b(driftwarden_[a-zA-Z0-9_]*)(?:\{([^}]*)\})?/g)) {
          const name = m[1] as string;
          const labels: Record<string, string> = {};
          for (const matcher of (m[2] ?? '').split(',').map((s) => s.trim())) {
            if (matcher === '') continue;
            const eq = /^(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"$/.exec(matcher);
            if (!eq) throw new Error(`${where}: matcher ${matcher} in ${m[0]} is not label="value"`);
            labels[eq[1] as string] = eq[2] as string;
          }
          selectors.push({ where, text: m[0], name, labels });
        }
      }
  return selectors;
}
