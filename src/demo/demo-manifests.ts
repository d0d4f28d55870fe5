// driftwarden's native manifests for the simulator's images: what each one baked, as the pipeline would publish it.
import type { SimImage } from '@driftwarden/simulator';
import { compareStrings } from '../core/compare-strings.js';
import type { Manifest } from '../domain/types.js';

/** The image's baked spec in the manifest format; copies, so the manifest never aliases simulator state. */
export function manifestForImage(image: SimImage): Manifest {
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
    host: structuredClone(spec.host),
  };
}

/** One manifest per image, in a stable order (region, channel, build time). */
export function manifestsForImages(images: readonly SimImage[]): Manifest[] {
  return [...images]
    .sort(
      (a, b) =>
        compareStrings(a.region, b.region) ||
        compareStrings(a.channel, b.channel) ||
        compareStrings(a.builtAt, b.builtAt) ||
        compareStrings(a.imageId, b.imageId),
    )
    .map(manifestForImage);
}
