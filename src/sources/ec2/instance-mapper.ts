// Maps an SDK Instance to the slim InstanceObservation the rest of driftwarden works with.
import type { Instance } from '@aws-sdk/client-ec2';
import type { Ec2State, InstanceObservation } from '../../domain/types.js';
import { SCANNED_STATES } from './describe-instance-pages.js';

export const ASG_TAG = 'aws:autoscaling:groupName';

/** An observation as listed, before the scan stamps when it saw it (a listing thread has no scan clock). */
export type ListedInstance = Omit<InstanceObservation, 'observedAt'>;

export function toListedInstance(
  instance: Instance,
  context: { account: string | null; ownerId: string | null; region: string },
): ListedInstance | null {
  const state = instance.State?.Name;
  if (!instance.InstanceId || !instance.ImageId || !state || !SCANNED_STATES.includes(state)) return null;
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  const securityGroups = [
    ...new Set((instance.SecurityGroups ?? []).map((g) => g.GroupId).filter((id): id is string => !!id)),
  ].sort();
  return {
    instanceId: instance.InstanceId,
    account: context.account,
    ownerId: context.ownerId,
    region: context.region,
    imageId: instance.ImageId,
    state: state as Ec2State,
    instanceType: instance.InstanceType ?? null,
    iamInstanceProfile: instance.IamInstanceProfile?.Arn ?? null,
    securityGroups,
    metadataOptions: {
      httpTokens: instance.MetadataOptions?.HttpTokens ?? null,
      httpEndpoint: instance.MetadataOptions?.HttpEndpoint ?? null,
    },
    tags,
    asgName: tags[ASG_TAG] ?? null,
    subnetId: instance.SubnetId ?? null,
    launchTime: instance.LaunchTime ? instance.LaunchTime.toISOString() : null,
    source: 'ec2',
  };
}
