// Auto Scaling calls a replacement makes: read a group, surge its capacity, terminate a member.
import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { AsgPort, GroupFacts } from '../app/remediation/actions-port.js';

export class AsgActions implements AsgPort {
  /** `signal` aborts the call in flight (shutdown): the job's step is left as a crash would leave it. */
  constructor(
    private readonly client: AutoScalingClient,
    private readonly ec2: EC2Client,
    private readonly signal?: AbortSignal,
  ) {}

  async launchTemplateImage(name: string): Promise<string | null> {
    const out = await this.client.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
      { abortSignal: this.signal },
    );
    const template = out.AutoScalingGroups?.[0]?.LaunchTemplate;
    if (!template?.LaunchTemplateId) return null;
    const versions = await this.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: template.LaunchTemplateId,
        Versions: [template.Version ?? '$Default'],
      }),
      { abortSignal: this.signal },
    );
    return versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId ?? null;
  }

  async describe(name: string): Promise<GroupFacts | null> {
    const out = await this.client.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
      { abortSignal: this.signal },
    );
    const group = out.AutoScalingGroups?.[0];
    if (!group) return null;
    return {
      name,
      min: group.MinSize ?? 0,
      max: group.MaxSize ?? 0,
      desired: group.DesiredCapacity ?? 0,
      members: (group.Instances ?? []).map((i) => ({
        instanceId: i.InstanceId ?? '',
        lifecycle: i.LifecycleState ?? 'unknown',
        healthy: i.HealthStatus === 'Healthy',
      })),
    };
  }

  async setDesired(name: string, desired: number): Promise<void> {
    await this.client.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: desired }),
      { abortSignal: this.signal },
    );
  }

  async setMaxSize(name: string, max: number): Promise<void> {
    await this.client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MaxSize: max }), {
      abortSignal: this.signal,
    });
  }

  async terminateInGroup(instanceId: string, decrementDesired: boolean): Promise<void> {
    await this.client.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: decrementDesired,
      }),
      { abortSignal: this.signal },
    );
  }
}
