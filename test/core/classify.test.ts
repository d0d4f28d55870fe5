import { describe, expect, it } from 'vitest';
import { classifyDifferences } from '../../src/core/classify.js';
import type { Difference, IgnoreEntry, InstanceContext, Rule, RuleSet } from '../../src/domain/types.js';

const at = { file: 'rules/test.yaml', line: 1 };

function rule(id: string, extra: Partial<Rule> = {}): Rule {
  return {
    id,
    description: null,
    match: {},
    where: null,
    severity: 'critical',
    action: 'replace',
    forMs: 300_000,
    approvalRequired: false,
    location: at,
    ...extra,
  };
}

function ignore(extra: Partial<IgnoreEntry>): IgnoreEntry {
  return { match: {}, where: null, location: at, ...extra };
}

function difference(path: string, change: Difference['change'] = 'changed'): Difference {
  return { instanceId: 'i-0aaa', imageId: 'ami-0aaa', path, change, expected: 'a', actual: 'b' };
}

const context: InstanceContext = {
  instanceId: 'i-0aaa',
  account: '123456789012',
  region: 'us-east-1',
  group: 'web-asg',
  channel: 'web',
  tags: { env: 'prod-eu', role: 'web' },
};

const ruleIds = (differences: Difference[], ruleSet: RuleSet, ctx: InstanceContext = context): string[] =>
  classifyDifferences(differences, ruleSet, ctx).map((f) => f.rule);

describe('classifyDifferences', () => {
  it('copies severity, action and delay from the first matching rule', () => {
    const ruleSet: RuleSet = {
      ignore: [],
      rules: [
        rule('imds', { match: { path: ['launch.metadataOptions.httpTokens'] } }),
        rule('all', { severity: 'info', action: 'report', forMs: null }),
      ],
    };
    expect(classifyDifferences([difference('launch.metadataOptions.httpTokens')], ruleSet, context)).toEqual([
      {
        ...difference('launch.metadataOptions.httpTokens'),
        rule: 'imds',
        severity: 'critical',
        action: 'replace',
        forMs: 300_000,
      },
    ]);
  });

  it('uses rule order: the first match wins even if a later rule is more specific', () => {
    const ruleSet: RuleSet = {
      ignore: [],
      rules: [
        rule('files', { match: { path: ['host.files.**'] } }),
        rule('sshd', { match: { path: ['host.files["/etc/ssh/sshd_config"].**'] } }),
      ],
    };
    expect(ruleIds([difference('host.files["/etc/ssh/sshd_config"].sha256')], ruleSet)).toEqual(['files']);
  });

  it('reports a difference no rule matches as unclassified warning report', () => {
    const ruleSet: RuleSet = { ignore: [], rules: [rule('tags', { match: { path: ['launch.tags.*'] } })] };
    expect(classifyDifferences([difference('host.packages.nmap', 'added')], ruleSet, context)).toEqual([
      {
        ...difference('host.packages.nmap', 'added'),
        rule: 'unclassified',
        severity: 'warning',
        action: 'report',
        forMs: null,
      },
    ]);
  });

  it('matches when any of several path globs matches', () => {
    const ruleSet: RuleSet = {
      ignore: [],
      rules: [rule('net', { match: { path: ['launch.securityGroups.*', 'launch.iamInstanceProfile'] } })],
    };
    expect(
      ruleIds(
        [
          difference('launch.iamInstanceProfile'),
          difference('launch.securityGroups.sg-1', 'added'),
          difference('launch.instanceType'),
        ],
        ruleSet,
      ),
    ).toEqual(['net', 'net', 'unclassified']);
  });

  it('requires the change to be listed when the rule lists changes', () => {
    const ruleSet: RuleSet = {
      ignore: [],
      rules: [rule('tag-missing', { match: { path: ['launch.tags.*'], change: ['removed'] } })],
    };
    expect(
      ruleIds(
        [difference('launch.tags.role', 'removed'), difference('launch.tags.role', 'changed')],
        ruleSet,
      ),
    ).toEqual(['tag-missing', 'unclassified']);
  });

  it('matches image-level changes by change alone', () => {
    const ruleSet: RuleSet = {
      ignore: [],
      rules: [rule('revoked', { match: { change: ['revoked-image'] } })],
    };
    expect(
      ruleIds([difference('image.id', 'revoked-image'), difference('image.id', 'superseded-image')], ruleSet),
    ).toEqual(['revoked', 'unclassified']);
  });

  it('drops ignored differences, keeping the order of the rest', () => {
    const ruleSet: RuleSet = { ignore: [ignore({ match: { path: ['launch.tags["aws:*"]'] } })], rules: [] };
    const out = classifyDifferences(
      [
        difference('launch.tags.a'),
        difference('launch.tags["aws:cloudformation:stack-name"]'),
        difference('launch.tags.b'),
      ],
      ruleSet,
      context,
    );
    expect(out.map((f) => f.path)).toEqual(['launch.tags.a', 'launch.tags.b']);
  });

  it('drops ignored differences only where the ignore entry is scoped', () => {
    const ruleSet: RuleSet = {
      ignore: [ignore({ match: { change: ['superseded-image'] }, where: { region: ['eu-west-1'] } })],
      rules: [],
    };
    const d = [difference('image.id', 'superseded-image')];
    expect(ruleIds(d, ruleSet)).toEqual(['unclassified']);
    expect(ruleIds(d, ruleSet, { ...context, region: 'eu-west-1' })).toEqual([]);
  });

  describe('where', () => {
    const scoped = (where: Rule['where']): RuleSet => ({ ignore: [], rules: [rule('scoped', { where })] });
    const d = [difference('launch.instanceType')];

    it('requires every listed tag, with * as a wildcard in values', () => {
      expect(ruleIds(d, scoped({ tags: { env: 'prod-*', role: 'web' } }))).toEqual(['scoped']);
      expect(ruleIds(d, scoped({ tags: { env: 'prod' } }))).toEqual(['unclassified']);
      expect(ruleIds(d, scoped({ tags: { env: 'prod-*', role: 'api' } }))).toEqual(['unclassified']);
    });

    it('never matches an absent tag, not even with *', () => {
      expect(ruleIds(d, scoped({ tags: { team: '*' } }))).toEqual(['unclassified']);
      expect(ruleIds(d, scoped({ tags: { constructor: '*' } }))).toEqual(['unclassified']);
    });

    it('matches account, region and group against their lists', () => {
      expect(
        ruleIds(
          d,
          scoped({ account: ['123456789012'], region: ['us-east-1', 'eu-west-1'], group: ['web-asg'] }),
        ),
      ).toEqual(['scoped']);
      expect(ruleIds(d, scoped({ account: ['999999999999'] }))).toEqual(['unclassified']);
      expect(ruleIds(d, scoped({ region: ['eu-west-1'] }))).toEqual(['unclassified']);
      expect(ruleIds(d, scoped({ group: ['api-asg'] }))).toEqual(['unclassified']);
    });

    it('does not match a list when the instance has no account or group', () => {
      expect(ruleIds(d, scoped({ group: ['web-asg'] }), { ...context, group: null })).toEqual([
        'unclassified',
      ]);
      expect(ruleIds(d, scoped({ account: ['123456789012'] }), { ...context, account: null })).toEqual([
        'unclassified',
      ]);
    });

    it("matches channel against the instance's manifest channel, whatever its Auto Scaling group", () => {
      expect(ruleIds(d, scoped({ channel: ['web'] }))).toEqual(['scoped']);
      expect(ruleIds(d, scoped({ channel: ['api'] }))).toEqual(['unclassified']);
      expect(ruleIds(d, scoped({ channel: ['web'] }), { ...context, channel: null })).toEqual([
        'unclassified',
      ]);
    });

    it('treats an empty where as any instance', () => {
      expect(ruleIds(d, scoped({}))).toEqual(['scoped']);
    });
  });
});
