import { describe, expect, it } from 'vitest';
import { diffPair } from '../../src/core/diff.js';
import type { InstanceObservation, Manifest, Pair, ResolvedManifest } from '../../src/domain/types.js';
import { hostOf, instanceOf, manifestOf, pairOf, resolved } from './builders.js';

type Brief = Pick<ReturnType<typeof diffPair>[number], 'path' | 'change' | 'expected' | 'actual'>;

function diff(
  manifest: Manifest,
  instance: Partial<InstanceObservation> = {},
  manifests: ResolvedManifest[] = [],
): Brief[] {
  const m = resolved(manifest);
  return brief(diffPair(pairOf(instanceOf(instance), m), [m, ...manifests]));
}

function brief(differences: ReturnType<typeof diffPair>): Brief[] {
  return differences.map(({ path, change, expected, actual }) => ({ path, change, expected, actual }));
}

describe('diffPair: image', () => {
  it('reports only unknown-image when no manifest exists', () => {
    const differences = diffPair(pairOf(instanceOf({ imageId: 'ami-0rogue' }), null), []);
    expect(differences).toEqual([
      {
        instanceId: 'i-0aaa',
        imageId: 'ami-0rogue',
        path: 'image.id',
        change: 'unknown-image',
        expected: null,
        actual: 'ami-0rogue',
      },
    ]);
  });

  it('reports a revoked image with the newest active image of its channel as expected', () => {
    const revoked = resolved(manifestOf({ launch: { instanceType: 't3.small' } }), {
      status: 'revoked',
      revokedAt: 'x',
    });
    const newer = resolved(manifestOf({ image: { id: 'ami-0new', builtAt: '2026-11-22T00:00:00Z' } }));
    const otherChannel = resolved(manifestOf({ image: { id: 'ami-0api', channel: 'api' } }));
    const out = brief(
      diffPair(pairOf(instanceOf({ instanceType: 'm5.large' }), revoked), [revoked, otherChannel, newer]),
    );
    expect(out).toEqual([
      { path: 'image.id', change: 'revoked-image', expected: 'ami-0new', actual: 'ami-0123456789abcdef0' },
      { path: 'launch.instanceType', change: 'changed', expected: 't3.small', actual: 'm5.large' },
    ]);
  });

  it('reports a revoked image with expected null when its channel has no active image', () => {
    const revoked = resolved(manifestOf(), { status: 'revoked', revokedAt: 'x' });
    expect(brief(diffPair(pairOf(instanceOf(), revoked), [revoked]))).toEqual([
      { path: 'image.id', change: 'revoked-image', expected: null, actual: 'ami-0123456789abcdef0' },
    ]);
  });

  it('reports a superseded image with its successor and still compares launch settings', () => {
    const old = resolved(manifestOf({ launch: { tags: { role: 'api' } } }), {
      status: 'superseded',
      supersededBy: 'ami-0new',
    });
    expect(brief(diffPair(pairOf(instanceOf(), old), [old]))).toEqual([
      { path: 'image.id', change: 'superseded-image', expected: 'ami-0new', actual: 'ami-0123456789abcdef0' },
      { path: 'launch.tags.role', change: 'changed', expected: 'api', actual: 'web' },
    ]);
  });

  it('reports nothing for an active image whose manifest declares nothing', () => {
    expect(diff(manifestOf())).toEqual([]);
  });
});

describe('diffPair: launch scalars', () => {
  it('accepts any value of a list and reports the list as expected otherwise', () => {
    const m = manifestOf({ launch: { instanceType: ['t3.small', 't3.medium'] } });
    expect(diff(m, { instanceType: 't3.medium' })).toEqual([]);
    expect(diff(m, { instanceType: 'm5.large' })).toEqual([
      {
        path: 'launch.instanceType',
        change: 'changed',
        expected: ['t3.small', 't3.medium'],
        actual: 'm5.large',
      },
    ]);
  });

  it('reports a value the instance no longer has as removed', () => {
    const m = manifestOf({ launch: { iamInstanceProfile: 'arn:aws:iam::1:instance-profile/web' } });
    expect(diff(m, { iamInstanceProfile: null })).toEqual([
      {
        path: 'launch.iamInstanceProfile',
        change: 'removed',
        expected: 'arn:aws:iam::1:instance-profile/web',
        actual: null,
      },
    ]);
  });

  it('reports an IMDSv1 downgrade as a changed httpTokens', () => {
    const m = manifestOf({ launch: { metadataOptions: { httpTokens: 'required' } } });
    expect(diff(m, { metadataOptions: { httpTokens: 'optional', httpEndpoint: 'enabled' } })).toEqual([
      {
        path: 'launch.metadataOptions.httpTokens',
        change: 'changed',
        expected: 'required',
        actual: 'optional',
      },
    ]);
  });

  it('compares httpEndpoint only when declared', () => {
    const observed = { metadataOptions: { httpTokens: 'required', httpEndpoint: 'disabled' } };
    expect(diff(manifestOf({ launch: { metadataOptions: { httpTokens: 'required' } } }), observed)).toEqual(
      [],
    );
    expect(diff(manifestOf({ launch: { metadataOptions: { httpEndpoint: 'enabled' } } }), observed)).toEqual([
      {
        path: 'launch.metadataOptions.httpEndpoint',
        change: 'changed',
        expected: 'enabled',
        actual: 'disabled',
      },
    ]);
  });

  it('matches an instance profile name against the observed ARN', () => {
    const byName = manifestOf({ launch: { iamInstanceProfile: 'web' } });
    expect(diff(byName, { iamInstanceProfile: 'arn:aws:iam::1:instance-profile/web' })).toEqual([]);
    expect(diff(byName, { iamInstanceProfile: 'arn:aws:iam::1:instance-profile/teams/web' })).toEqual([]);
    expect(
      diff(manifestOf({ launch: { iamInstanceProfile: 'teams/web' } }), {
        iamInstanceProfile: 'arn:aws:iam::1:instance-profile/teams/web',
      }),
    ).toEqual([]);
    expect(diff(byName, { iamInstanceProfile: 'arn:aws:iam::1:instance-profile/web-admin' })).toEqual([
      {
        path: 'launch.iamInstanceProfile',
        change: 'changed',
        expected: 'web',
        actual: 'arn:aws:iam::1:instance-profile/web-admin',
      },
    ]);
  });

  it('compares a declared ARN exactly', () => {
    const m = manifestOf({ launch: { iamInstanceProfile: 'arn:aws:iam::1:instance-profile/web' } });
    expect(diff(m, { iamInstanceProfile: 'arn:aws:iam::2:instance-profile/web' })).toHaveLength(1);
  });

  it('skips user data when it was not collected, and reports it removed when the instance has none', () => {
    const m = manifestOf({ launch: { userDataSha256: 'abc' } });
    expect(diff(m)).toEqual([]);
    expect(diff(m, { userDataSha256: 'abc' })).toEqual([]);
    expect(diff(m, { userDataSha256: null })).toEqual([
      { path: 'launch.userDataSha256', change: 'removed', expected: 'abc', actual: null },
    ]);
    expect(diff(m, { userDataSha256: 'def' })).toEqual([
      { path: 'launch.userDataSha256', change: 'changed', expected: 'abc', actual: 'def' },
    ]);
  });

  it('does not compare keys the manifest does not declare', () => {
    expect(
      diff(manifestOf({ launch: {} }), { instanceType: 'x1e.32xlarge', securityGroups: ['sg-1'], tags: {} }),
    ).toEqual([]);
  });
});

describe('diffPair: security groups and tags', () => {
  it('reports each attached or detached security group as its own set member', () => {
    const m = manifestOf({ launch: { securityGroups: ['sg-0aa', 'sg-0bb'] } });
    expect(diff(m, { securityGroups: ['sg-0bb', 'sg-0cc', 'sg-0cc'] })).toEqual([
      { path: 'launch.securityGroups.sg-0aa', change: 'removed', expected: 'sg-0aa', actual: null },
      { path: 'launch.securityGroups.sg-0cc', change: 'added', expected: null, actual: 'sg-0cc' },
    ]);
  });

  it('ignores security group order', () => {
    expect(
      diff(manifestOf({ launch: { securityGroups: ['sg-0aa', 'sg-0bb'] } }), {
        securityGroups: ['sg-0bb', 'sg-0aa'],
      }),
    ).toEqual([]);
  });

  // Paths sort as strings, so `.role` comes before `["cost:centre"]` ('.' < '[').
  it('reports missing and different required tags but not extra ones', () => {
    const m = manifestOf({ launch: { tags: { role: 'web', 'cost:centre': 'ops', env: 'prod' } } });
    expect(
      diff(m, { tags: { role: 'api', env: 'prod', owner: 'me', 'aws:autoscaling:groupName': 'g' } }),
    ).toEqual([
      { path: 'launch.tags.role', change: 'changed', expected: 'web', actual: 'api' },
      { path: 'launch.tags["cost:centre"]', change: 'removed', expected: 'ops', actual: null },
    ]);
  });

  it('does not mistake inherited object properties for tags', () => {
    expect(diff(manifestOf({ launch: { tags: { constructor: 'x' } } }), { tags: {} })).toEqual([
      { path: 'launch.tags.constructor', change: 'removed', expected: 'x', actual: null },
    ]);
  });
});

describe('diffPair: host', () => {
  const baked = manifestOf({
    host: {
      packages: { openssl: '3.0.15', curl: '7.88' },
      files: {
        '/etc/ssh/sshd_config': { sha256: 'aaa', mode: '0600', owner: 'root' },
        '/etc/motd': { sha256: 'm' },
      },
      services: { ssh: 'enabled' },
    },
  });

  function hostDiff(host: Parameters<typeof hostOf>[0], hostStatus: Pair['hostStatus'] = 'fresh'): Brief[] {
    const m = resolved(baked);
    return brief(
      diffPair(
        // Stale observations are left out of `hosts` by pairInstances.
        {
          instance: instanceOf(),
          manifest: m,
          hosts: hostStatus === 'fresh' ? [hostOf(host)] : [],
          hostStatus,
        },
        [m],
      ),
    );
  }

  it('reports changed, added and removed packages', () => {
    expect(hostDiff({ packages: { openssl: '3.0.16', nmap: '7.9' } })).toEqual([
      { path: 'host.packages.curl', change: 'removed', expected: '7.88', actual: null },
      { path: 'host.packages.nmap', change: 'added', expected: null, actual: '7.9' },
      { path: 'host.packages.openssl', change: 'changed', expected: '3.0.15', actual: '3.0.16' },
    ]);
  });

  it('reports a changed file attribute per attribute the manifest declares', () => {
    expect(
      hostDiff({
        files: {
          '/etc/ssh/sshd_config': { sha256: 'bbb', mode: '0644', owner: 'root' },
          '/etc/motd': { sha256: 'm', mode: '0777', owner: 'nobody' },
        },
      }),
    ).toEqual([
      {
        path: 'host.files["/etc/ssh/sshd_config"].mode',
        change: 'changed',
        expected: '0600',
        actual: '0644',
      },
      {
        path: 'host.files["/etc/ssh/sshd_config"].sha256',
        change: 'changed',
        expected: 'aaa',
        actual: 'bbb',
      },
    ]);
  });

  it('reports a declared attribute the agent did not report as removed', () => {
    expect(
      hostDiff({
        files: { '/etc/ssh/sshd_config': { sha256: 'aaa', mode: '0600' }, '/etc/motd': { sha256: 'm' } },
      }),
    ).toEqual([
      { path: 'host.files["/etc/ssh/sshd_config"].owner', change: 'removed', expected: 'root', actual: null },
    ]);
  });

  it('reports whole files added or removed with their fingerprint', () => {
    expect(
      hostDiff({
        files: {
          '/etc/ssh/sshd_config': { sha256: 'aaa', mode: '0600', owner: 'root' },
          '/root/.ssh/authorized_keys': { sha256: 'k' },
        },
      }),
    ).toEqual([
      { path: 'host.files["/etc/motd"]', change: 'removed', expected: { sha256: 'm' }, actual: null },
      {
        path: 'host.files["/root/.ssh/authorized_keys"]',
        change: 'added',
        expected: null,
        actual: { sha256: 'k' },
      },
    ]);
  });

  it('reports services like packages', () => {
    expect(hostDiff({ services: { ssh: 'disabled', telnet: 'enabled' } })).toEqual([
      { path: 'host.services.ssh', change: 'changed', expected: 'enabled', actual: 'disabled' },
      { path: 'host.services.telnet', change: 'added', expected: null, actual: 'enabled' },
    ]);
  });

  it('skips a sub-section the observation does not carry', () => {
    expect(hostDiff({ services: { ssh: 'enabled' } })).toEqual([]);
  });

  it('skips a sub-section the manifest does not declare', () => {
    const m = resolved(manifestOf({ host: { services: { ssh: 'enabled' } } }));
    const pair: Pair = {
      instance: instanceOf(),
      manifest: m,
      hosts: [hostOf({ packages: { nmap: '1' }, services: { ssh: 'enabled' } })],
      hostStatus: 'fresh',
    };
    expect(diffPair(pair, [m])).toEqual([]);
  });

  it.each(['stale', 'missing', 'not-declared'] as const)(
    'does not compare host data that is %s',
    (status) => {
      expect(hostDiff({ packages: {} }, status)).toEqual([]);
    },
  );
});

describe('diffPair: output', () => {
  it('sorts by path then change and stamps instance and image ids', () => {
    const m = resolved(
      manifestOf({
        launch: { tags: { b: '1', a: '1' }, securityGroups: ['sg-2'], instanceType: 't3.small' },
      }),
      { status: 'superseded', supersededBy: 'ami-0new' },
    );
    const out = diffPair(pairOf(instanceOf({ instanceType: 'm5', securityGroups: ['sg-1'], tags: {} }), m), [
      m,
    ]);
    expect(out.map((d) => d.path)).toEqual([
      'image.id',
      'launch.instanceType',
      'launch.securityGroups.sg-1',
      'launch.securityGroups.sg-2',
      'launch.tags.a',
      'launch.tags.b',
    ]);
    expect(new Set(out.map((d) => `${d.instanceId}/${d.imageId}`))).toEqual(
      new Set(['i-0aaa/ami-0123456789abcdef0']),
    );
  });
});
