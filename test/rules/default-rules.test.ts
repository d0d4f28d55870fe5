import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyDifferences } from '../../src/core/classify.js';
import type { Change, Difference, InstanceContext } from '../../src/domain/types.js';
import { checkRules, loadRules } from '../../src/rules/load-rules.js';

const SHIPPED = fileURLToPath(new URL('../../rules/', import.meta.url));

const context: InstanceContext = {
  instanceId: 'i-0aaa',
  account: '123456789012',
  region: 'us-east-1',
  group: 'web-asg',
  channel: 'web',
  tags: {},
};

function classify(path: string, change: Change) {
  const difference: Difference = {
    instanceId: 'i-0aaa',
    imageId: 'ami-0aaa',
    path,
    change,
    expected: 'x',
    actual: 'y',
  };
  return classifyDifferences([difference], loadRules(SHIPPED), context);
}

describe('shipped rules', () => {
  it('load without issues', () => {
    const result = checkRules(SHIPPED);
    expect(result.issues).toEqual([]);
    expect(result.files.length).toBeGreaterThanOrEqual(3);
  });

  it.each<[string, Change, string, string, string, number | null]>([
    ['image.id', 'revoked-image', 'revoked-image', 'critical', 'replace', null],
    ['image.id', 'unknown-image', 'unknown-image', 'critical', 'report', null],
    ['image.id', 'superseded-image', 'superseded-image', 'info', 'report', null],
    ['launch.metadataOptions.httpTokens', 'changed', 'imds-downgrade', 'critical', 'replace', 300_000],
    ['launch.metadataOptions.httpEndpoint', 'changed', 'imds-endpoint', 'warning', 'report', null],
    [
      'launch.securityGroups.sg-0bb11cc22dd33ee44',
      'added',
      'security-groups',
      'critical',
      'replace',
      300_000,
    ],
    [
      'launch.securityGroups.sg-0aa11bb22cc33dd44',
      'removed',
      'security-groups',
      'critical',
      'replace',
      300_000,
    ],
    ['launch.iamInstanceProfile', 'changed', 'instance-profile', 'critical', 'replace', 300_000],
    ['launch.instanceType', 'changed', 'instance-type', 'warning', 'report', null],
    ['launch.userDataSha256', 'changed', 'user-data', 'warning', 'replace', 900_000],
    ['launch.tags.role', 'removed', 'required-tags', 'info', 'report', null],
    ['launch.tags["cost:centre"]', 'changed', 'required-tags', 'info', 'report', null],
    ['host.packages.openssl', 'changed', 'packages', 'warning', 'replace', 900_000],
    ['host.files["/etc/ssh/sshd_config"]', 'removed', 'file-sshd', 'critical', 'replace', 300_000],
    ['host.files["/etc/ssh/sshd_config"].sha256', 'changed', 'file-sshd', 'critical', 'replace', 300_000],
    ['host.files["/etc/nginx/nginx.conf"].mode', 'changed', 'files', 'warning', 'replace', 900_000],
    ['host.files["/root/.ssh/authorized_keys"]', 'added', 'files', 'warning', 'replace', 900_000],
    ['host.services.telnet', 'added', 'services', 'warning', 'replace', 900_000],
    ['host.files', 'truncated', 'truncated', 'warning', 'report', null],
    ['host.packages', 'truncated', 'truncated', 'warning', 'report', null],
    ['launch', 'truncated', 'truncated', 'warning', 'report', null],
  ])('classify %s (%s) as %s', (path, change, rule, severity, action, forMs) => {
    expect(classify(path, change)).toEqual([
      expect.objectContaining({ path, change, rule, severity, action, forMs }),
    ]);
  });

  it('ignore tags AWS manages itself', () => {
    expect(classify('launch.tags["aws:cloudformation:stack-name"]', 'removed')).toEqual([]);
  });

  it('leave unexpected differences unclassified', () => {
    expect(classify('launch.somethingNew', 'changed')).toEqual([
      expect.objectContaining({ rule: 'unclassified' }),
    ]);
  });

  it('give every rule a description', () => {
    expect(
      loadRules(SHIPPED)
        .rules.filter((r) => r.description === null)
        .map((r) => r.id),
    ).toEqual([]);
  });
});
