// Building Auto Scaling groups (and their launch templates) for the seeded fleet and for ad-hoc group names.
import type { SimAutoScalingGroup } from './asg-state.js';
import type { SimImage, SimInstance, SimSubnet } from './world-types.js';
import { resourceId, uuid } from './ids.js';
import { templateDataFromImage, type LaunchTemplateRegistry } from './launch-templates.js';
import type { Prng } from './prng.js';

export const ASG_TAG = 'aws:autoscaling:groupName';

export interface GroupSeed {
  name: string;
  /** The image the group's template starts from (its channel's newest build). */
  image: SimImage;
  channel: string | null;
  createdTime: string;
  members: readonly SimInstance[];
}

/** Seeded instances by (region, group tag), in fleet order. */
export function membersByGroup(instances: readonly SimInstance[]): SimInstance[][] {
  const byGroup = new Map<string, SimInstance[]>();
  for (const instance of instances) {
    const name = instance.tags.get(ASG_TAG);
    if (name === undefined) continue;
    const key = `${instance.region}\u0000${name}`;
    const members = byGroup.get(key);
    if (members) members.push(instance);
    else byGroup.set(key, [instance]);
  }
  return [...byGroup.values()];
}

/**
 * A group exactly at its current size (min 0 or 1, max desired + 2) across every subnet of its
 * region, launching `$Latest` of a fresh template built from the image.
 */
export function buildGroup(
  deps: { prng: Prng; account: string; subnets: readonly SimSubnet[]; templates: LaunchTemplateRegistry },
  seed: GroupSeed,
): SimAutoScalingGroup {
  const { name, image } = seed;
  const region = image.region;
  let templateId = resourceId(deps.prng, 'lt');
  while (deps.templates.has(templateId)) templateId = resourceId(deps.prng, 'lt');
  const createdTime = new Date(seed.createdTime).toISOString();
  const template = deps.templates.create({
    id: templateId,
    name: `${name}-lt`,
    region,
    data: templateDataFromImage(image, name),
    at: createdTime,
  });
  const subnets = deps.subnets.filter((s) => s.region === region);
  const desired = seed.members.length;
  return {
    name,
    region,
    arn: `arn:aws:autoscaling:${region}:${deps.account}:autoScalingGroup:${uuid(deps.prng)}:autoScalingGroupName/${name}`,
    channel: seed.channel,
    minSize: desired > 1 ? 1 : 0,
    maxSize: desired + 2,
    desiredCapacity: desired,
    createdTime,
    launchTemplateId: template.launchTemplateId,
    launchTemplateName: template.launchTemplateName,
    launchTemplateVersion: '$Latest',
    subnetIds: subnets.map((s) => s.subnetId),
    availabilityZones: [...new Set(subnets.map((s) => s.availabilityZone))].sort(),
    healthCheckType: 'EC2',
    healthCheckGracePeriod: 300,
    tags: seed.channel !== null ? { role: seed.channel } : {},
    members: new Map(seed.members.map((i) => [i.instanceId, '1'])),
  };
}
