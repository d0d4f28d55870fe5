// Builds a deterministic fleet (images, networks, instances) from a seed.
import { bakeSpec, DEFAULT_CHANNELS, usesAutoScaling } from './channel-catalog.js';
import type { Fleet, SimImage, SimInstance, SimSecurityGroup, SimSubnet } from './world-types.js';
import { cloneHost } from './host-fingerprint.js';
import { instanceProfileId, resourceId, uuid } from './ids.js';
import { createPrng, deriveSeed, type Prng } from './prng.js';

export interface GenerateFleetOptions {
  instances: number;
  seed: number;
  regions: string[];
  account: string;
  channels?: readonly string[];
}

/** Fixed so that the same seed yields the same fleet regardless of when it is generated. */
const NEWEST_BUILD_AT = Date.parse('2026-11-20T10:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function imageName(channel: string, builtAt: string): string {
  return `${channel}-${builtAt.slice(0, 10)}`;
}

export function asgName(channel: string, region: string): string {
  return `${channel}-${region}-asg`;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface RegionNetwork {
  vpcId: string;
  subnets: SimSubnet[];
  baselineGroup: SimSecurityGroup;
  channelGroups: Map<string, SimSecurityGroup>;
}

function generateNetwork(
  prng: Prng,
  region: string,
  regionIndex: number,
  channels: readonly string[],
): RegionNetwork {
  const vpcId = resourceId(prng, 'vpc');
  const subnets = ['a', 'b', 'c'].map((zone, i) => ({
    subnetId: resourceId(prng, 'subnet'),
    vpcId,
    region,
    availabilityZone: `${region}${zone}`,
    cidrPrefix: `10.${regionIndex + 1}`,
    thirdOctet: i * 32,
  }));
  const baselineGroup = { groupId: resourceId(prng, 'sg'), groupName: 'baseline', region };
  const channelGroups = new Map<string, SimSecurityGroup>();
  for (const channel of channels) {
    channelGroups.set(channel, { groupId: resourceId(prng, 'sg'), groupName: `${channel}-sg`, region });
  }
  return { vpcId, subnets, baselineGroup, channelGroups };
}

/** Two builds per channel and region: an older one and the newest, which the fleet runs. */
function generateImages(
  prng: Prng,
  options: GenerateFleetOptions,
  region: string,
  network: RegionNetwork,
  channel: string,
): SimImage[] {
  const channelIndex = (options.channels ?? DEFAULT_CHANNELS).indexOf(channel);
  const newest = NEWEST_BUILD_AT - channelIndex * HOUR;
  const builds = [newest - prng.int(7, 14) * DAY, newest];
  const group = network.channelGroups.get(channel);
  const securityGroupIds = [network.baselineGroup.groupId, ...(group ? [group.groupId] : [])];
  return builds.map((builtMs, generation) => {
    const builtAt = isoSeconds(builtMs);
    const imageId = resourceId(prng, 'ami');
    const name = imageName(channel, builtAt);
    return {
      imageId,
      region,
      ownerId: options.account,
      name,
      channel,
      builtAt,
      state: 'available',
      source: { packerRunUuid: uuid(prng), gitCommit: prng.hex(40) },
      tags: { Name: name, channel, 'managed-by': 'packer' },
      spec: bakeSpec({
        channel,
        region,
        account: options.account,
        generation,
        buildLabel: name,
        securityGroupIds,
      }),
    };
  });
}

export interface InstanceSeed {
  prng: Prng;
  instanceId: string;
  reservationId: string;
  image: SimImage;
  subnet: SimSubnet;
  privateIpAddress: string;
  launchTime: string;
  instanceProfileId: string;
  name: string;
  env: string;
  group: string | null;
}

/** An instance exactly as its image's baked spec says it should be. */
export function instanceFromImage(seed: InstanceSeed): SimInstance {
  const { image, subnet } = seed;
  const tags = new Map<string, string>([['Name', seed.name]]);
  for (const [key, value] of Object.entries(image.spec.requiredTags)) tags.set(key, value);
  tags.set('env', seed.env);
  if (seed.group) tags.set('aws:autoscaling:groupName', seed.group);
  return {
    instanceId: seed.instanceId,
    region: image.region,
    reservationId: seed.reservationId,
    channel: image.channel,
    imageId: image.imageId,
    state: 'running',
    instanceType: seed.prng.pick(image.spec.instanceTypes),
    iamInstanceProfile: { arn: image.spec.iamInstanceProfileArn, id: seed.instanceProfileId },
    securityGroupIds: [...image.spec.securityGroupIds],
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    privateIpAddress: seed.privateIpAddress,
    launchTime: seed.launchTime,
    metadataOptions: { httpTokens: image.spec.httpTokens, httpEndpoint: 'enabled' },
    tags,
    userData: image.spec.userData,
    host: cloneHost(image.spec.host),
  };
}

/** Private address for the n-th instance placed in a subnet (unique within the subnet). */
export function privateIpFor(subnet: SimSubnet, n: number): string {
  return `${subnet.cidrPrefix}.${subnet.thirdOctet + Math.floor(n / 250)}.${(n % 250) + 4}`;
}

export function generateFleet(options: GenerateFleetOptions): Fleet {
  const channels = options.channels ?? DEFAULT_CHANNELS;
  const prng = createPrng(deriveSeed(options.seed, 'fleet'));
  const instanceProfileIds: Record<string, string> = {};
  for (const channel of channels) instanceProfileIds[channel] = instanceProfileId(prng);

  const images: SimImage[] = [];
  const securityGroups: SimSecurityGroup[] = [];
  const subnets: SimSubnet[] = [];
  const newestByRegionChannel = new Map<string, SimImage>();
  const networks = new Map<string, RegionNetwork>();
  options.regions.forEach((region, regionIndex) => {
    const network = generateNetwork(prng, region, regionIndex, channels);
    networks.set(region, network);
    subnets.push(...network.subnets);
    securityGroups.push(network.baselineGroup, ...network.channelGroups.values());
    for (const channel of channels) {
      const builds = generateImages(prng, options, region, network, channel);
      images.push(...builds);
      const newest = builds[builds.length - 1];
      if (newest) newestByRegionChannel.set(`${region}/${channel}`, newest);
    }
  });

  const instances: SimInstance[] = [];
  const placed = new Map<string, number>();
  const perChannel = new Map<string, number>();
  for (let i = 0; i < options.instances; i++) {
    const region = options.regions[i % options.regions.length];
    const channel = channels[Math.floor(i / options.regions.length) % channels.length];
    const network = region === undefined ? undefined : networks.get(region);
    const image = newestByRegionChannel.get(`${region}/${channel}`);
    if (!region || !channel || !network || !image) continue;
    const subnet = prng.pick(network.subnets);
    const n = placed.get(subnet.subnetId) ?? 0;
    placed.set(subnet.subnetId, n + 1);
    const ordinal = (perChannel.get(`${region}/${channel}`) ?? 0) + 1;
    perChannel.set(`${region}/${channel}`, ordinal);
    instances.push(
      instanceFromImage({
        prng,
        instanceId: resourceId(prng, 'i'),
        reservationId: resourceId(prng, 'r'),
        image,
        subnet,
        privateIpAddress: privateIpFor(subnet, n),
        launchTime: isoSeconds(Date.parse(image.builtAt) + prng.int(1, 72) * HOUR + prng.int(0, 3599) * 1000),
        instanceProfileId: instanceProfileIds[channel] ?? '',
        name: `${channel}-${region}-${String(ordinal).padStart(3, '0')}`,
        env: prng.chance(0.8) ? 'prod' : 'staging',
        group: usesAutoScaling(channel) ? asgName(channel, region) : null,
      }),
    );
  }
  return {
    account: options.account,
    seed: options.seed,
    regions: [...options.regions],
    images,
    instances,
    securityGroups,
    subnets,
    instanceProfileIds,
  };
}
