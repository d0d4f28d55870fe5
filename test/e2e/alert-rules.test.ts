// The ops pack's alert rules and Alertmanager config pass promtool and amtool, and follow our conventions.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packagePath } from '../../src/package-root.js';
import { amtoolBinary, promtoolBinary } from '../support/binaries.js';

const RULES = packagePath('deploy/prometheus/alerts.yml');
const RULE_TESTS = packagePath('deploy/prometheus/alerts.test.yml');
const ALERTMANAGER = packagePath('deploy/alertmanager/alertmanager.yml');
const RUNBOOK_BASE = 'https://github.com/driftwarden/driftwarden/blob/main/docs/runbooks/';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTests {
  rule_files: string[];
  tests: {
    external_labels?: Record<string, string>;
    alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
  }[];
}

function run(binary: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(binary, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

describe('tools', () => {
  it('promtool check rules accepts deploy/prometheus/alerts.yml', () => {
    const { status, output } = run(promtoolBinary(), ['check', 'rules', RULES]);
    expect(output).toContain('SUCCESS');
    expect(output).not.toMatch(/warning|FAILED/i);
    expect(status, output).toBe(0);
  });

  it('promtool test rules passes every unit test in deploy/prometheus/alerts.test.yml', () => {
    const { status, output } = run(promtoolBinary(), ['test', 'rules', RULE_TESTS]);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('amtool check-config accepts deploy/alertmanager/alertmanager.yml', () => {
    const { status, output } = run(amtoolBinary(), ['check-config', ALERTMANAGER]);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('routes critical alerts to the pager and warning and info alerts to chat', () => {
    for (const [severity, receiver] of [
      ['critical', 'pager'],
      ['warning', 'chat'],
      ['info', 'chat'],
    ] as const) {
      const { status, output } = run(amtoolBinary(), [
        'config',
        'routes',
        'test',
        `--config.file=${ALERTMANAGER}`,
        `--verify.receivers=${receiver}`,
        'alertname=DriftwardenCriticalDrift',
        'team=platform',
        `severity=${severity}`,
      ]);
      expect(status, `${severity} → ${receiver}: ${output}`).toBe(0);
    }
  });
});

describe('conventions', () => {
  const rules = alertRules();

  it('gives every alert a severity, a team, a summary, a description and a runbook that exists', () => {
    expect(rules.length).toBeGreaterThanOrEqual(9);
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.labels?.team, rule.alert).toBeTruthy();
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      expect(rule.annotations?.runbook_url, rule.alert).toBe(`${RUNBOOK_BASE}${rule.alert}.md`);
      const runbook = packagePath('docs/runbooks', `${rule.alert}.md`);
      expect(existsSync(runbook), `missing runbook ${runbook}`).toBe(true);
      expect(readFileSync(runbook, 'utf8'), runbook).toMatch(/^# /);
    }
  });

  it('links every alert but DriftwardenDown to a page of the web UI under the driftwarden_url external label', () => {
    for (const rule of rules) {
      if (rule.alert === 'DriftwardenDown') {
        expect(rule.annotations?.ui_url, 'the daemon is down: no page to open').toBeUndefined();
        continue;
      }
      expect(rule.annotations?.ui_url, rule.alert).toMatch(
        /^\{\{ \$externalLabels\.driftwarden_url \}\}\/ui(?:[/?#]|$)/,
      );
    }
    expect(rules.find((r) => r.alert === 'DriftwardenCriticalDrift')?.annotations?.ui_url).toBe(
      '{{ $externalLabels.driftwarden_url }}/ui/instances/{{ $labels.instance_id }}',
    );
    // promtool compares annotations exactly: every test group needs the label for its ui_url.
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as RuleTests;
    for (const [i, group] of tests.tests.entries())
      expect(group.external_labels?.driftwarden_url, `test group ${i}`).toMatch(/^https?:\/\/[^/]+$/);
  });

  it('covers the alerts the issue asks for, per instance for critical drift', () => {
    const names = new Set(rules.map((r) => r.alert));
    for (const name of [
      'DriftwardenCriticalDrift',
      'DriftwardenDriftUnremediated',
      'DriftwardenRevokedImage',
      'DriftwardenUnknownImage',
      'DriftwardenScannerStale',
      'DriftwardenScansFailing',
      'DriftwardenRemediationPaused',
      'DriftwardenReplacementsFailing',
      'DriftwardenAwsThrottled',
    ])
      expect(names, name).toContain(name);
    const critical = rules.find((r) => r.alert === 'DriftwardenCriticalDrift');
    expect(critical?.expr).toContain('driftwarden_instance_drift{severity="critical"}');
    expect(critical?.expr).not.toMatch(/\b(sum|max|min|count|avg)\b/);
  });

  it('has a firing and a not-firing unit test for every alert', () => {
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as RuleTests;
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of new Set(rules.map((r) => r.alert))) {
      const own = cases.filter((c) => c.alertname === name);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${name} has no firing case`,
      ).toBe(true);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${name} has no not-firing case`,
      ).toBe(true);
    }
  });
});
