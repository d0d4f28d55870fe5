// The images the simulated pipeline has baked, per region and channel, and how a new build is registered.
import { bakeSpec, sha256Hex } from './channel-catalog.js';
import type { AddImageSpec } from './control-schemas.js';
import { cloneHost, patchHost } from './host-fingerprint.js';
import { freshId, uuid } from './ids.js';
import type { Prng } from './prng.js';
import { SimulatorInputError } from './sim-errors.js';
import type { SimNetwork } from './sim-network.js';
import { imageName } from './world-generator.js';
import type { SimImage } from './world-types.js';

export interface ImageCatalogOptions {
  account: string;
  regions: readonly string[];
  /** The world's runtime source: new builds take their turn in its sequence. */
  prng: Prng;
  now: () => Date;
  network: SimNetwork;
}

/** EC2 prints times to the second. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ImageCatalog {
  readonly #images: SimImage[];

  constructor(
    images: readonly SimImage[],
    private readonly options: ImageCatalogOptions,
  ) {
    this.#images = [...images];
  }

  get all(): readonly SimImage[] {
    return this.#images;
  }

  get(imageId: string): SimImage | undefined {
    return this.#images.find((image) => image.imageId === imageId);
  }

  /** The latest build of a channel in a region: what new instances should run. */
  newest(region: string, channel: string): SimImage | undefined {
    let newest: SimImage | undefined;
    for (const image of this.#images) {
      if (image.region !== region || image.channel !== channel || image.state !== 'available') continue;
      if (!newest || image.builtAt >= newest.builtAt) newest = image;
    }
    return newest;
  }

  /** Some image of the region, to model a launch of an image nobody baked on. */
  anyIn(region: string): SimImage {
    const image = this.#images.find((i) => i.region === region);
    if (!image) throw new SimulatorInputError('region', `no images in ${region}`);
    return image;
  }

  /** Registers a new build of a channel, based on the channel's newest build when there is one. */
  add(spec: AddImageSpec): SimImage {
    const { account, regions, prng, now, network } = this.options;
    if (!regions.includes(spec.region))
      throw new SimulatorInputError(
        'region',
        `unknown region ${spec.region}; the fleet has ${regions.join(', ')}`,
      );
    if (spec.imageId !== undefined && this.get(spec.imageId))
      throw new SimulatorInputError('imageId', `image ${spec.imageId} already exists`);
    const base = this.newest(spec.region, spec.channel);
    const builtAt = spec.builtAt !== undefined ? isoSeconds(new Date(spec.builtAt)) : isoSeconds(now());
    const name = this.#uniqueName(spec.region, spec.name ?? imageName(spec.channel, builtAt));
    const baked =
      base?.spec ??
      bakeSpec({
        channel: spec.channel,
        region: spec.region,
        account,
        generation: 1,
        buildLabel: name,
        securityGroupIds: network.securityGroupsNamed(spec.region, 'baseline').map((g) => g.groupId),
      });
    const userData = spec.userData ?? baked.userData;
    const host = cloneHost(baked.host);
    if (spec.host) patchHost(host, spec.host);
    const image: SimImage = {
      imageId: spec.imageId ?? freshId(prng, 'ami', (id) => this.get(id) !== undefined),
      region: spec.region,
      ownerId: account,
      name,
      channel: spec.channel,
      builtAt,
      state: 'available',
      source: { packerRunUuid: uuid(prng), gitCommit: prng.hex(40) },
      tags: { Name: name, channel: spec.channel, 'managed-by': 'packer' },
      spec: {
        instanceTypes: [...(spec.instanceTypes ?? baked.instanceTypes)],
        iamInstanceProfileArn: spec.iamInstanceProfile ?? baked.iamInstanceProfileArn,
        securityGroupIds: [...(spec.securityGroups ?? baked.securityGroupIds)],
        httpTokens: spec.httpTokens ?? baked.httpTokens,
        userData,
        userDataSha256: sha256Hex(userData),
        requiredTags: { ...baked.requiredTags, role: spec.channel },
        host,
      },
    };
    this.#images.push(image);
    return image;
  }

  #uniqueName(region: string, name: string): string {
    const taken = new Set(this.#images.filter((image) => image.region === region).map((image) => image.name));
    if (!taken.has(name)) return name;
    for (let n = 2; ; n++) if (!taken.has(`${name}-${n}`)) return `${name}-${n}`;
  }
}
