// Out-of-band changes to one instance (an SSH hot-fix, a console click) and undoing them back to the baked spec.
import type { DriftChange } from './control-schemas.js';
import { cloneHost, patchHost } from './host-fingerprint.js';
import type { SimImage, SimInstance } from './world-types.js';

export interface DriftContext {
  image(imageId: string): SimImage | undefined;
  profileFor(arn: string): { arn: string; id: string };
}

export function applyDrift(instance: SimInstance, change: DriftChange, context: DriftContext): SimInstance {
  if (change.instanceType !== undefined) instance.instanceType = change.instanceType;
  if (change.securityGroups !== undefined) instance.securityGroupIds = [...new Set(change.securityGroups)];
  for (const groupId of change.addSecurityGroups ?? []) {
    if (!instance.securityGroupIds.includes(groupId)) instance.securityGroupIds.push(groupId);
  }
  const removed = new Set(change.removeSecurityGroups ?? []);
  instance.securityGroupIds = instance.securityGroupIds.filter((id) => !removed.has(id));
  if (change.httpTokens !== undefined) instance.metadataOptions.httpTokens = change.httpTokens;
  if (change.httpEndpoint !== undefined) instance.metadataOptions.httpEndpoint = change.httpEndpoint;
  for (const [key, value] of Object.entries(change.tags ?? {})) {
    if (value === null) instance.tags.delete(key);
    else instance.tags.set(key, value);
  }
  if (change.imageId !== undefined) {
    instance.imageId = change.imageId;
    instance.channel = context.image(change.imageId)?.channel ?? instance.channel;
  }
  if (change.userData !== undefined) instance.userData = change.userData;
  if (change.iamInstanceProfile !== undefined) {
    instance.iamInstanceProfile =
      change.iamInstanceProfile === null ? null : context.profileFor(change.iamInstanceProfile);
  }
  if (change.state !== undefined) instance.state = change.state;
  if (change.host !== undefined) patchHost(instance.host, change.host);
  return instance;
}

/** Restores an instance to an image's baked spec; tags the instance added stay. */
export function resetToImage(instance: SimInstance, image: SimImage, context: DriftContext): SimInstance {
  const { spec } = image;
  instance.imageId = image.imageId;
  instance.channel = image.channel;
  if (!spec.instanceTypes.includes(instance.instanceType))
    instance.instanceType = spec.instanceTypes[0] ?? instance.instanceType;
  instance.securityGroupIds = [...spec.securityGroupIds];
  instance.metadataOptions = { httpTokens: spec.httpTokens, httpEndpoint: 'enabled' };
  instance.iamInstanceProfile = context.profileFor(spec.iamInstanceProfileArn);
  for (const [key, value] of Object.entries(spec.requiredTags)) instance.tags.set(key, value);
  instance.userData = spec.userData;
  instance.host = cloneHost(spec.host);
  return instance;
}
