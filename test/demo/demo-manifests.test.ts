// The demo's manifests for simulated images: driftwarden's native format, one per image, in a stable order.
import { describe, expect, it } from 'vitest';
import { generateFleet } from '@driftwarden/simulator';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { parseManifestObject } from '../../src/manifests/parse-manifest.js';

const options = { instances: 60, seed: 7, regions: ['us-east-1', 'eu-west-1'], account: '123456789012' };

describe('manifestsForImages', () => {
  it('returns one native manifest per image in the documented format', () => {
    const fleet = generateFleet(options);
    const manifests = manifestsForImages(fleet.images);
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
    expect(web.image.source?.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(web.launch?.userDataSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(web.launch?.securityGroups?.every((sg) => /^sg-[0-9a-f]{17}$/.test(sg))).toBe(true);
    expect(web.host?.files?.['/etc/ssh/sshd_config']).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      mode: '0600',
      owner: 'root',
    });
    expect(web.host?.packages).toHaveProperty('nginx');
    expect(web.host?.packages).toHaveProperty('openssl');
    expect(web.host?.services).toMatchObject({ ssh: 'enabled', nginx: 'enabled' });
  });

  it('passes the manifest parser that `manifest import` uses, unchanged', () => {
    for (const manifest of manifestsForImages(generateFleet(options).images)) {
      expect(parseManifestObject(manifest, 'test')).toEqual([manifest]);
    }
  });

  it('differs between an older and a newer build of the same channel', () => {
    const manifests = manifestsForImages(generateFleet(options).images).filter(
      (m) => m.image.channel === 'web' && m.image.region === 'eu-west-1',
    );
    expect(manifests).toHaveLength(2);
    expect(manifests[0]!.host?.packages?.openssl).not.toBe(manifests[1]!.host?.packages?.openssl);
  });
});
