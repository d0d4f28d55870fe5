// Every metric with a known label set exports each combination from start-up (0 until something happens), also after a rules reload.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRUNED_TABLES } from '../../src/app/ports.js';
import { knownAwsRequestSeries } from '../../src/aws/aws-operations.js';
import { REASON_CODES } from '../../src/core/remediation-reasons.js';
import { STRATEGY_NAMES, TERMINAL_JOB_STATES } from '../../src/core/remediation-types.js';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { INSTANCE_STATUSES } from '../../src/domain/types.js';
import { loadRules } from '../../src/rules/index.js';
import { dashboardSelectors } from '../support/grafana-dashboards.js';
import { metricValue, samples, startHarness, type Harness } from '../support/harness.js';
import { copyShippedRules } from '../support/rules-copy.js';

let h: Harness;
const rules = copyShippedRules('dw-rules-');
const rulesDir = rules.dir;

beforeAll(async () => {
  h = await startHarness({
    instances: 8,
    seed: 16,
    importManifests: false,
    env: { DRIFTWARDEN_RULES_DIR: rulesDir },
  });
});

afterAll(async () => {
  await h?.close();
  rules.remove();
});

type Series = [name: string, labels: Record<string, string>];

/** One series per value of one label. */
function each(name: string, label: string, values: readonly string[]): Series[] {
  return values.map((value) => [name, { [label]: value }]);
}

/** The `driftwarden_findings` series summed over their scopes, as `rule/severity` → value. */
function findings(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const s of samples(text).filter((x) => x.name === 'driftwarden_findings')) {
    const key = `${s.labels.rule}/${s.labels.severity}`;
    sums.set(key, (sums.get(key) ?? 0) + s.value);
  }
  return sums;
}

describe('metrics of a fresh daemon, before its first scan', () => {
  it('exports every known label combination at 0', async () => {
    const text = await h.metrics();
    const expected: Series[] = [
      ...each('driftwarden_scans_total', 'outcome', ['success', 'partial', 'failure']),
      ...each('driftwarden_instances', 'state', INSTANCE_STATUSES),
      ...STRATEGY_NAMES.flatMap((strategy) =>
        TERMINAL_JOB_STATES.map((outcome): Series => [
          'driftwarden_replacements_total',
          { strategy, outcome },
        ]),
      ),
      ...each('driftwarden_remediation_paused', 'reason', ['none', 'manual', 'drift-storm']),
      ...each('driftwarden_remediation_blocked', 'reason', REASON_CODES),
      ...each('driftwarden_manifests', 'status', ['active', 'superseded', 'revoked']),
      ...knownAwsRequestSeries().map((labels): Series => ['driftwarden_aws_requests_total', { ...labels }]),
      ...each('driftwarden_pruned_rows_total', 'table', PRUNED_TABLES),
      ...each('driftwarden_released_rows_total', 'table', ['instances', 'findings']),
      ['driftwarden_replacements_in_flight', {}],
    ];
    const notZero = expected.filter(([name, labels]) => metricValue(text, name, labels) !== 0);
    expect(notZero).toEqual([]);
    expect(knownAwsRequestSeries()).toContainEqual({
      service: 'autoscaling',
      operation: 'TerminateInstanceInAutoScalingGroup',
      outcome: 'throttled',
    });
  });

  it('exports each loaded rule with its severity, and unclassified, at 0', async () => {
    const loaded = loadRules(rulesDir).rules.map((r) => `${r.id}/${r.severity}`);
    expect(loaded).toContain('revoked-image/critical');
    const text = await h.metrics();
    expect(findings(text)).toEqual(new Map([...loaded, 'unclassified/warning'].map((key) => [key, 0])));
    for (const scope of ['fleet-wide', 'outlier', 'unrated'])
      expect(
        metricValue(text, 'driftwarden_findings', { rule: 'revoked-image', severity: 'critical', scope }),
      ).toBe(0);
  });

  it("has a series for every selector in the shipped dashboard's panel queries", async () => {
    const exposed = samples(await h.metrics());
    const selectors = dashboardSelectors();
    expect(selectors.map((s) => s.text)).toEqual(
      expect.arrayContaining([
        'driftwarden_findings{rule="revoked-image"}',
        'driftwarden_replacements_total',
        'driftwarden_aws_requests_total{outcome="throttled"}',
      ]),
    );
    // Per-instance series exist only for drifted instances: none before a scan found drift.
    const missing = selectors
      .filter((s) => s.name !== 'driftwarden_instance_drift')
      .filter(
        (s) =>
          !exposed.some(
            (e) => e.name === s.name && Object.entries(s.labels).every(([k, v]) => e.labels[k] === v),
          ),
      )
      .map((s) => `${s.where}: ${s.text}`);
    expect(missing).toEqual([]);
  });
});

describe('metrics after a rules reload (SIGHUP)', () => {
  it("exports a new rule's series at 0, drops a removed rule without open findings and keeps one with them", async () => {
    for (const manifest of manifestsForImages(await h.control.images()))
      expect((await h.post('/api/v1/manifests', manifest)).status).toBe(201);
    const old = h.sim.fleet.allInstances().find((i) => i.state === 'running' && i.channel !== null);
    if (!old?.channel) throw new Error('no running instance with a channel');
    const newer = await h.addImage({
      region: old.region,
      channel: old.channel,
      builtAt: '2026-11-25T10:00:00Z',
    });
    expect((await h.post('/api/v1/manifests', newer)).status).toBe(201);
    await h.scan();
    const superseded = findings(await h.metrics()).get('superseded-image/info') ?? 0;
    expect(superseded).toBeGreaterThan(0);

    // superseded-image (with open findings) and revoked-image (none) go; a new rule comes.
    const file = join(rulesDir, '10-image.yaml');
    const text = readFileSync(file, 'utf8');
    const edited = text.replace(/\n {2}- id: revoked-image[\s\S]*?action: replace\n/, '\n');
    const without = edited.replace(/\n {2}- id: superseded-image[\s\S]*?action: report\n?/, '\n');
    expect(without).not.toContain('revoked-image');
    expect(without).not.toContain('superseded-image');
    writeFileSync(file, without);
    writeFileSync(
      join(rulesDir, '90-extra.yaml'),
      [
        'rules:',
        '  - id: extra-check',
        "    match: { path: 'launch.tags.extra' }",
        '    severity: critical',
        '    action: report',
        '',
      ].join('\n'),
    );
    expect(h.daemon.reloadRules()).toBeNull();

    const after = findings(await h.metrics());
    expect(after.get('extra-check/critical')).toBe(0);
    expect(after.has('revoked-image/critical')).toBe(false);
    // Stored findings keep their rule until the next scan classifies them again.
    expect(after.get('superseded-image/info')).toBe(superseded);
    expect(after.get('unknown-image/critical')).toBe(0);

    await h.scan();
    const rescanned = findings(await h.metrics());
    expect(rescanned.has('superseded-image/info')).toBe(false);
    expect(rescanned.get('extra-check/critical')).toBe(0);
  });
});
