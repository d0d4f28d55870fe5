import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capFindings, findingSection, type TruncatedSummary } from '../../src/core/finding-cap.js';
import { formatPath } from '../../src/core/paths.js';
import {
  SEVERITIES,
  type Change,
  type Finding,
  type InstanceContext,
  type RuleSet,
  type Severity,
} from '../../src/domain/types.js';

const context: InstanceContext = {
  instanceId: 'i-0aaa',
  account: null,
  region: 'us-east-1',
  group: null,
  channel: null,
  tags: {},
};
const location = { file: 'rules.yaml', line: 1 };
const ruleSet: RuleSet = {
  ignore: [],
  rules: [
    {
      id: 'truncated',
      description: null,
      match: { change: ['truncated'] },
      where: null,
      severity: 'info',
      action: 'report',
      forMs: null,
      approvalRequired: false,
      location,
    },
  ],
};

const segment = fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('/etc/x', 'a.b', 'a[b'));
const sectionPrefix = fc.constantFrom(
  ['image'],
  ['launch'],
  ['launch', 'tags'],
  ['host', 'packages'],
  ['host', 'files'],
  ['host', 'services'],
);
const finding: fc.Arbitrary<Finding> = fc
  .record({
    prefix: sectionPrefix,
    key: segment,
    change: fc.constantFrom<Change>('added', 'removed', 'changed'),
    severity: fc.constantFrom<Severity>(...SEVERITIES),
  })
  .map(({ prefix, key, change, severity }) => ({
    instanceId: 'i-0aaa',
    imageId: 'ami-0aaa',
    path: formatPath([...prefix, key]),
    change,
    expected: null,
    actual: key,
    rule: 'r',
    severity,
    action: 'replace',
    forMs: null,
  }));
// The store keeps one open finding per (path, change), so inputs are unique by that pair.
const findings = fc.uniqueArray(finding, { selector: (f) => `${f.path}\u0000${f.change}`, maxLength: 60 });
const max = fc.integer({ min: 1, max: 12 });

function countBySection(list: readonly Finding[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of list) counts.set(findingSection(f.path), (counts.get(findingSection(f.path)) ?? 0) + 1);
  return counts;
}

describe('capFindings (properties)', () => {
  it('keeps at most max findings plus one summary per section', () => {
    fc.assert(
      fc.property(findings, max, (input, n) => {
        const out = capFindings(input, n, ruleSet, context);
        for (const count of countBySection(out).values()) expect(count).toBeLessThanOrEqual(n + 1);
        const summaries = out.filter((f) => f.change === 'truncated');
        expect(new Set(summaries.map((s) => s.path)).size).toBe(summaries.length);
      }),
    );
  });

  it('counts exactly the omitted findings in each summary', () => {
    fc.assert(
      fc.property(findings, max, (input, n) => {
        const out = capFindings(input, n, ruleSet, context);
        const before = countBySection(input);
        for (const [section, count] of before) {
          const summary = out.find((f) => f.change === 'truncated' && f.path === section);
          const kept = out.filter((f) => f.change !== 'truncated' && findingSection(f.path) === section);
          expect(kept.length).toBe(Math.min(count, n));
          expect((summary?.actual as TruncatedSummary | undefined)?.omitted ?? 0).toBe(count - kept.length);
        }
      }),
    );
  });

  it('gives the same answer whatever the input order', () => {
    fc.assert(
      fc.property(
        findings.chain((list) =>
          fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length })),
        ),
        max,
        ([input, shuffled], n) => {
          expect(capFindings(shuffled, n, ruleSet, context)).toEqual(capFindings(input, n, ruleSet, context));
        },
      ),
    );
  });

  it('keeps the first findings by path and gives the summary the worst omitted severity', () => {
    fc.assert(
      fc.property(findings, max, (input, n) => {
        const out = capFindings(input, n, ruleSet, context);
        for (const summary of out.filter((f) => f.change === 'truncated')) {
          const all = input
            .filter((f) => findingSection(f.path) === summary.path)
            .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.change < b.change ? -1 : 1));
          const omitted = all.slice(n);
          expect(
            out.filter((f) => f.change !== 'truncated' && findingSection(f.path) === summary.path),
          ).toEqual(all.slice(0, n));
          const worst = SEVERITIES[Math.max(...omitted.map((f) => SEVERITIES.indexOf(f.severity)))];
          expect(summary.severity).toBe(worst);
        }
      }),
    );
  });
});
