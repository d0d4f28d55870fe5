// JSON views of the fleet for the control API (summaries and full instance detail).
import { sha256Hex } from './channel-catalog.js';
import type { GroupMember, SimAutoScalingGroup } from './asg-state.js';
import { ASG_TAG, type SimWorld } from './sim-world.js';
import type { HostFingerprint, SimInstance } from './world-types.js';
import { cloneHost } from './host-fingerprint.js';

export interface InstanceSummary {
  instanceId: string;
  region: string;
  channel: string | null;
  group: string | null;
  imageId: string;
  state: string;
  instanceType: string;
}

export interface InstanceDetail extends InstanceSummary {
  reservationId: string;
  iamInstanceProfile: { arn: string; id: string } | null;
  securityGroups: { groupId: string; groupName: string }[];
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIpAddress: string;
  launchTime: string;
  metadataOptions: { httpTokens: string; httpEndpoint: string };
  tags: Record<string, string>;
  userData: string | null;
  userDataSha256: string | null;
  host: HostFingerprint;
}

export interface ImageSummary {
  imageId: string;
  region: string;
  channel: string;
  name: string;
  builtAt: string;
  state: string;
  /** True for the build new instances of the channel should run. */
  newest: boolean;
}

export interface FleetSummary {
  account: string;
  seed: number;
  regions: string[];
  images: ImageSummary[];
  instances: InstanceSummary[];
}

export function summarizeInstance(instance: SimInstance): InstanceSummary {
  return {
    instanceId: instance.instanceId,
    region: instance.region,
    channel: instance.channel,
    group: instance.tags.get(ASG_TAG) ?? null,
    imageId: instance.imageId,
    state: instance.state,
    instanceType: instance.instanceType,
  };
}

export function describeInstance(fleet: SimWorld, instance: SimInstance): InstanceDetail {
  return {
    ...summarizeInstance(instance),
    reservationId: instance.reservationId,
    iamInstanceProfile: instance.iamInstanceProfile ? { ...instance.iamInstanceProfile } : null,
    securityGroups: instance.securityGroupIds.map((groupId) => ({
      groupId,
      groupName: fleet.securityGroup(groupId)?.groupName ?? groupId,
    })),
    subnetId: instance.subnetId,
    vpcId: instance.vpcId,
    availabilityZone: instance.availabilityZone,
    privateIpAddress: instance.privateIpAddress,
    launchTime: instance.launchTime,
    metadataOptions: { ...instance.metadataOptions },
    tags: Object.fromEntries(instance.tags),
    userData: instance.userData,
    userDataSha256: instance.userData === null ? null : sha256Hex(instance.userData),
    host: cloneHost(instance.host),
  };
}

/** Sorted by region then id so two dumps of the same fleet compare equal. */
export function summarizeFleet(fleet: SimWorld): FleetSummary {
  const images = fleet.images
    .map((image) => ({
      imageId: image.imageId,
      region: image.region,
      channel: image.channel,
      name: image.name,
      builtAt: image.builtAt,
      state: image.state,
      newest: fleet.newestImage(image.region, image.channel)?.imageId === image.imageId,
    }))
    .sort(
      (a, b) =>
        a.region.localeCompare(b.region) ||
        a.channel.localeCompare(b.channel) ||
        a.builtAt.localeCompare(b.builtAt),
    );
  const instances = fleet
    .allInstances()
    .map(summarizeInstance)
    .sort((a, b) => a.region.localeCompare(b.region) || a.instanceId.localeCompare(b.instanceId));
  return { account: fleet.account, seed: fleet.seed, regions: [...fleet.regions], images, instances };
}

export interface GroupView {
  name: string;
  region: string;
  channel: string | null;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  /** Members not terminating and InService: what "back at desired" means. */
  inService: number;
  launchTemplate: {
    id: string;
    name: string;
    version: string;
    latestVersion: number;
    defaultVersion: number;
    imageId: string | null;
  };
  instances: GroupMember[];
}

export function describeGroup(fleet: SimWorld, group: SimAutoScalingGroup): GroupView {
  const template = fleet.launchTemplates.byId(group.region, group.launchTemplateId);
  const latest = template?.versions.find((v) => v.versionNumber === template.latestVersion);
  const instances = fleet.autoScaling.members(group);
  return {
    name: group.name,
    region: group.region,
    channel: group.channel,
    minSize: group.minSize,
    maxSize: group.maxSize,
    desiredCapacity: group.desiredCapacity,
    inService: instances.filter((m) => m.lifecycleState === 'InService').length,
    launchTemplate: {
      id: group.launchTemplateId,
      name: group.launchTemplateName,
      version: group.launchTemplateVersion,
      latestVersion: template?.latestVersion ?? 0,
      defaultVersion: template?.defaultVersion ?? 0,
      imageId: latest?.data.imageId ?? null,
    },
    instances,
  };
}
