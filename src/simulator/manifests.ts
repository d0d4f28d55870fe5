// Native driftwarden manifests (docs/design.md §2) describing what each simulated image baked.
import type { HostFingerprint, SimImage } from './fleet-types.js';
import { cloneHost } from './host-fingerprint.js';

export interface SimManifest {
  schemaVersion: 1;
  image: {
    id: string;
    region: string;
    name: string;
    channel: string;
    builtAt: string;
    source: { packerRunUuid: string; gitCommit: string };
  };
  launch: {
    instanceType: string[];
    iamInstanceProfile: string;
    securityGroups: string[];
    metadataOptions: { httpTokens: string };
    userDataSha256: string;
    tags: Record<string, string>;
  };
  host: HostFingerprint;
}

export function manifestForImage(image: SimImage): SimManifest {
  const { spec } = image;
  return {
    schemaVersion: 1,
    image: {
      id: image.imageId,
      region: image.region,
      name: image.name,
      channel: image.channel,
      builtAt: image.builtAt,
      source: { ...image.source },
    },
    launch: {
      instanceType: [...spec.instanceTypes],
      iamInstanceProfile: spec.iamInstanceProfileArn,
      securityGroups: [...spec.securityGroupIds],
      metadataOptions: { httpTokens: spec.httpTokens },
      userDataSha256: spec.userDataSha256,
      tags: { ...spec.requiredTags },
    },
    host: cloneHost(spec.host),
  };
}

/** One manifest per image, in a stable order (region, channel, build time). */
export function manifestsForFleet(fleet: { readonly images: readonly SimImage[] }): SimManifest[] {
  return [...fleet.images]
    .sort(
      (a, b) =>
        a.region.localeCompare(b.region) ||
        a.channel.localeCompare(b.channel) ||
        a.builtAt.localeCompare(b.builtAt) ||
        a.imageId.localeCompare(b.imageId),
    )
    .map(manifestForImage);
}
