import { describe, expect, it } from 'vitest';
import { generateFleet, manifestsForFleet } from '../../src/simulator/index.js';
import { sha256Hex } from '../../src/simulator/channel-catalog.js';

const options = { instances: 60, seed: 7, regions: ['us-east-1', 'eu-west-1'], account: '123456789012' };

function plain(fleet: ReturnType<typeof generateFleet>): unknown {
  return { ...fleet, instances: fleet.instances.map((i) => ({ ...i, tags: [...i.tags] })) };
}

describe('generateFleet', () => {
  it('produces an identical fleet for the same seed', () => {
    expect(plain(generateFleet(options))).toEqual(plain(generateFleet(options)));
  });

  it('produces a different fleet for a different seed', () => {
    const a = generateFleet(options);
    const b = generateFleet({ ...options, seed: 8 });
    expect(a.instances.map((i) => i.instanceId)).not.toEqual(b.instances.map((i) => i.instanceId));
  });

  it('creates the requested number of instances spread over every region and channel', () => {
    const fleet = generateFleet(options);
    expect(fleet.instances).toHaveLength(60);
    expect(new Set(fleet.instances.map((i) => i.instanceId)).size).toBe(60);
    for (const region of options.regions) {
      const channels = new Set(fleet.instances.filter((i) => i.region === region).map((i) => i.channel));
      expect([...channels].sort()).toEqual(['api', 'batch', 'web', 'worker']);
    }
  });

  it('gives every channel an older and a newer build per region with AWS-shaped ami ids', () => {
    const fleet = generateFleet(options);
    expect(fleet.images).toHaveLength(2 * 4 * 2);
    for (const image of fleet.images) expect(image.imageId).toMatch(/^ami-[0-9a-f]{17}$/);
    const web = fleet.images.filter((image) => image.region === 'us-east-1' && image.channel === 'web');
    expect(web).toHaveLength(2);
    expect(web[0]!.builtAt < web[1]!.builtAt).toBe(true);
  });

  it('runs every default instance on the newest image of its channel, matching its baked spec', () => {
    const fleet = generateFleet(options);
    for (const instance of fleet.instances) {
      const image = fleet.images.find((i) => i.imageId === instance.imageId)!;
      const newest = fleet.images
        .filter((i) => i.region === image.region && i.channel === image.channel)
        .sort((a, b) => a.builtAt.localeCompare(b.builtAt))
        .at(-1)!;
      expect(image.imageId).toBe(newest.imageId);
      expect(image.spec.instanceTypes).toContain(instance.instanceType);
      expect(instance.securityGroupIds).toEqual(image.spec.securityGroupIds);
      expect(instance.iamInstanceProfile?.arn).toBe(image.spec.iamInstanceProfileArn);
      expect(instance.metadataOptions.httpTokens).toBe('required');
      expect(instance.host).toEqual(image.spec.host);
      expect(sha256Hex(instance.userData ?? '')).toBe(image.spec.userDataSha256);
      for (const [key, value] of Object.entries(image.spec.requiredTags))
        expect(instance.tags.get(key)).toBe(value);
    }
  });

  it('puts web, api and worker instances in Auto Scaling groups and batch ones standalone', () => {
    const fleet = generateFleet(options);
    const web = fleet.instances.find((i) => i.channel === 'web' && i.region === 'eu-west-1')!;
    expect(web.tags.get('aws:autoscaling:groupName')).toBe('web-eu-west-1-asg');
    const batch = fleet.instances.find((i) => i.channel === 'batch')!;
    expect(batch.tags.has('aws:autoscaling:groupName')).toBe(false);
    expect(['prod', 'staging']).toContain(batch.tags.get('env'));
  });
});

describe('manifestsForFleet', () => {
  it('returns one native manifest per image in the documented format', () => {
    const fleet = generateFleet(options);
    const manifests = manifestsForFleet(fleet);
    expect(manifests).toHaveLength(fleet.images.length);
    const web = manifests.find((m) => m.image.channel === 'web' && m.image.region === 'us-east-1')!;
    expect(web).toMatchObject({
      schemaVersion: 1,
      image: {
        region: 'us-east-1',
        channel: 'web',
        name: expect.stringMatching(/^web-\d{4}-\d{2}-\d{2}$/) as unknown,
      },
      launch: {
        instanceType: ['t3.small', 't3.medium'],
        iamInstanceProfile: 'arn:aws:iam::123456789012:instance-profile/web',
        metadataOptions: { httpTokens: 'required' },
        tags: { role: 'web', 'managed-by': 'packer' },
      },
    });
    expect(web.image.builtAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(web.image.source.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(web.launch.userDataSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(web.launch.securityGroups.every((sg) => /^sg-[0-9a-f]{17}$/.test(sg))).toBe(true);
    expect(web.host.files['/etc/ssh/sshd_config']).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      mode: '0600',
      owner: 'root',
    });
    expect(web.host.packages).toHaveProperty('nginx');
    expect(web.host.packages).toHaveProperty('openssl');
    expect(web.host.services).toMatchObject({ ssh: 'enabled', nginx: 'enabled' });
  });

  it('differs between an older and a newer build of the same channel', () => {
    const manifests = manifestsForFleet(generateFleet(options)).filter(
      (m) => m.image.channel === 'web' && m.image.region === 'eu-west-1',
    );
    expect(manifests).toHaveLength(2);
    expect(manifests[0]!.host.packages.openssl).not.toBe(manifests[1]!.host.packages.openssl);
  });
});
