// EC2 calls a replacement makes: read an instance, launch its successor, watch health, terminate.
import {
  CreateSnapshotCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import type {
  Ec2Port,
  InstanceFacts,
  InstanceHealth,
  LaunchRequest,
} from '../app/remediation/actions-port.js';
import { JOB_TAG, REPLACES_TAG } from '../app/remediation/actions-port.js';

const GONE = new Set(['shutting-down', 'terminated']);

function toFacts(i: Instance): InstanceFacts {
  const tags: Record<string, string> = {};
  for (const t of i.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    imageId: i.ImageId ?? null,
    instanceType: i.InstanceType ?? null,
    subnetId: i.SubnetId ?? null,
    securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId).filter((g): g is string => !!g),
    iamInstanceProfileArn: i.IamInstanceProfile?.Arn ?? null,
    httpTokens: i.MetadataOptions?.HttpTokens ?? null,
    tags,
    volumeIds: (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v),
  };
}

export class Ec2Actions implements Ec2Port {
  /** `signal` aborts the call in flight (shutdown): the job's step is left as a crash would leave it. */
  constructor(
    private readonly client: EC2Client,
    private readonly signal?: AbortSignal,
  ) {}

  /** The instance, or null when EC2 does not know it (any more). */
  async describe(instanceId: string): Promise<InstanceFacts | null> {
    try {
      const out = await this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), {
        abortSignal: this.signal,
      });
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
      return instance ? toFacts(instance) : null;
    } catch (error) {
      if ((error as { name?: string }).name === 'InvalidInstanceID.NotFound') return null;
      throw error;
    }
  }

  /** Instances a job launched, found by its tag (how a crashed launch is recovered). */
  async findByJob(jobId: string): Promise<InstanceFacts[]> {
    const out = await this.client.send(
      new DescribeInstancesCommand({ Filters: [{ Name: `tag:${JOB_TAG}`, Values: [jobId] }] }),
      { abortSignal: this.signal },
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map(toFacts);
  }

  async userData(instanceId: string): Promise<string | null> {
    const out = await this.client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
      { abortSignal: this.signal },
    );
    return out.UserData?.Value || null;
  }

  async run(request: LaunchRequest): Promise<string> {
    const out = await this.client.send(
      new RunInstancesCommand({
        ImageId: request.imageId,
        InstanceType: (request.instanceType ?? undefined) as never,
        SubnetId: request.subnetId ?? undefined,
        SecurityGroupIds: request.securityGroupIds.length ? request.securityGroupIds : undefined,
        IamInstanceProfile: request.iamInstanceProfileName
          ? { Name: request.iamInstanceProfileName }
          : request.iamInstanceProfileArn
            ? { Arn: request.iamInstanceProfileArn }
            : undefined,
        MetadataOptions:
          request.httpTokens || request.httpEndpoint
            ? {
                HttpTokens: (request.httpTokens ?? undefined) as 'required' | 'optional' | undefined,
                HttpEndpoint: (request.httpEndpoint ?? undefined) as 'enabled' | 'disabled' | undefined,
              }
            : undefined,
        UserData: request.userData ?? undefined,
        MinCount: 1,
        MaxCount: 1,
        ClientToken: request.clientToken,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      }),
      { abortSignal: this.signal },
    );
    const id = out.Instances?.[0]?.InstanceId;
    if (!id) throw new Error('RunInstances returned no instance');
    return id;
  }

  /** Running with both status checks ok is healthy; anything else is not yet (or never) healthy. */
  async health(instanceId: string): Promise<InstanceHealth> {
    const out = await this.client.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }),
      { abortSignal: this.signal },
    );
    const status = out.InstanceStatuses?.[0];
    if (!status || GONE.has(status.InstanceState?.Name ?? '')) return 'gone';
    if (status.InstanceState?.Name !== 'running') return 'pending';
    const checks = [status.SystemStatus?.Status, status.InstanceStatus?.Status];
    if (checks.every((c) => c === 'ok')) return 'ok';
    if (checks.some((c) => c === 'impaired')) return 'impaired';
    return 'initializing';
  }

  async terminate(instanceId: string): Promise<void> {
    await this.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), {
      abortSignal: this.signal,
    });
  }

  async findSnapshots(jobId: string): Promise<{ snapshotId: string; volumeId: string }[]> {
    const out = await this.client.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [{ Name: `tag:${JOB_TAG}`, Values: [jobId] }],
      }),
      { abortSignal: this.signal },
    );
    return (out.Snapshots ?? []).map((s) => ({ snapshotId: s.SnapshotId ?? '', volumeId: s.VolumeId ?? '' }));
  }

  async snapshot(volumeId: string, tags: Record<string, string>): Promise<string> {
    const out = await this.client.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: `driftwarden evidence before replacing ${tags[REPLACES_TAG] ?? 'an instance'}`,
        TagSpecifications: [
          { ResourceType: 'snapshot', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        ],
      }),
      { abortSignal: this.signal },
    );
    return out.SnapshotId ?? '';
  }
}
