import { describe, expect, it } from 'vitest';
import { generateFleet } from '@driftwarden/simulator';
import { createHash } from 'node:crypto';

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
      expect(
        createHash('sha256')
          .update(instance.userData ?? '')
          .digest('hex'),
      ).toBe(image.spec.userDataSha256);
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
