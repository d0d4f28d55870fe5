import {
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateSnapshotCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl, startSimulator, type Simulator } from '@driftwarden/simulator';
import { asgClient, ec2Client, ManualClock, rejection } from './sdk-client.js';

let sim: Simulator;
let control: SimulatorControl;
const clock = new ManualClock();

beforeAll(async () => {
  sim = await startSimulator({ instances: 16, seed: 4, regions: ['us-east-1', 'eu-west-1'], now: clock.now });
  control = new SimulatorControl(sim.url);
});

afterAll(async () => {
  await sim.close();
});

const ec2 = (region = 'us-east-1') => ec2Client(sim, region, { maxAttempts: 1 });

async function rootVolumeOf(instanceId: string): Promise<string> {
  const out = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const volumeId = out.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId;
  if (!volumeId) throw new Error(`no root volume for ${instanceId}`);
  return volumeId;
}

describe('snapshots', () => {
  it('CreateSnapshot of a root volume returns an id that DescribeSnapshots finds', async () => {
    const instance = sim.fleet.instancesIn('us-east-1')[0]!;
    const volumeId = await rootVolumeOf(instance.instanceId);
    const created = await ec2().send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: `evidence before replacing ${instance.instanceId}`,
        TagSpecifications: [
          { ResourceType: 'snapshot', Tags: [{ Key: 'driftwarden:instance', Value: instance.instanceId }] },
        ],
      }),
    );
    expect(created).toMatchObject({
      SnapshotId: expect.stringMatching(/^snap-[0-9a-f]{17}$/) as unknown,
      VolumeId: volumeId,
      State: 'pending',
      OwnerId: '123456789012',
      Description: `evidence before replacing ${instance.instanceId}`,
      VolumeSize: 8,
      Encrypted: false,
      Tags: [{ Key: 'driftwarden:instance', Value: instance.instanceId }],
    });
    expect(created.StartTime).toBeInstanceOf(Date);

    const byId = await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [created.SnapshotId!] }));
    expect(byId.Snapshots?.map((s) => s.SnapshotId)).toEqual([created.SnapshotId]);
    const byTag = await ec2().send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [{ Name: 'tag:driftwarden:instance', Values: [instance.instanceId] }],
      }),
    );
    expect(byTag.Snapshots?.map((s) => s.SnapshotId)).toEqual([created.SnapshotId]);

    clock.advance(1000);
    const done = await ec2().send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: 'status', Values: ['completed'] }] }),
    );
    expect(done.Snapshots?.[0]).toMatchObject({
      SnapshotId: created.SnapshotId,
      State: 'completed',
      Progress: '100%',
    });
    expect(
      sim
        .requestLog()
        .filter((e) => e.action === 'CreateSnapshot')
        .every((e) => e.mutating),
    ).toBe(true);
  });

  it('reports unknown volumes and snapshots, and keeps snapshots regional', async () => {
    const noVolume = await rejection(
      ec2().send(new CreateSnapshotCommand({ VolumeId: 'vol-0000000000000dead' })),
    );
    expect(noVolume.name).toBe('InvalidVolume.NotFound');
    const noSnapshot = await rejection(
      ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0000000000000dead'] })),
    );
    expect(noSnapshot.name).toBe('InvalidSnapshot.NotFound');
    const elsewhere = await ec2('eu-west-1').send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(elsewhere.Snapshots ?? []).toEqual([]);
  });
});

describe('launch templates', () => {
  const GROUP = 'web-us-east-1-asg';

  async function templateOf(group: string) {
    const out = await asgClient(sim).send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }),
    );
    const spec = out.AutoScalingGroups?.[0]?.LaunchTemplate;
    if (!spec?.LaunchTemplateId) throw new Error(`group ${group} has no launch template`);
    return spec;
  }

  it('DescribeLaunchTemplateVersions returns the channel newest image and its baked settings', async () => {
    const spec = await templateOf(GROUP);
    const image = sim.fleet.newestImage('us-east-1', 'web')!;
    const out = await ec2().send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: spec.LaunchTemplateId,
        Versions: ['$Latest'],
      }),
    );
    expect(out.LaunchTemplateVersions).toHaveLength(1);
    const version = out.LaunchTemplateVersions![0]!;
    expect(version).toMatchObject({
      LaunchTemplateId: spec.LaunchTemplateId,
      LaunchTemplateName: spec.LaunchTemplateName,
      VersionNumber: 1,
      DefaultVersion: true,
      LaunchTemplateData: {
        ImageId: image.imageId,
        InstanceType: image.spec.instanceTypes[0],
        IamInstanceProfile: { Arn: image.spec.iamInstanceProfileArn, Name: 'web' },
        SecurityGroupIds: image.spec.securityGroupIds,
        MetadataOptions: expect.objectContaining({ HttpTokens: 'required' }) as unknown,
      },
    });
    expect(version.CreateTime).toBeInstanceOf(Date);
    const data = version.LaunchTemplateData!;
    expect(Buffer.from(data.UserData ?? '', 'base64').toString('utf8')).toBe(image.spec.userData);
    expect(data.TagSpecifications).toEqual([
      {
        ResourceType: 'instance',
        Tags: expect.arrayContaining([
          ...Object.entries(image.spec.requiredTags).map(([Key, Value]) => ({ Key, Value })),
          { Key: 'aws:autoscaling:groupName', Value: GROUP },
        ]) as unknown,
      },
    ]);
  });

  it('gets a new default version when the pipeline adds a newer image, and the group launches it', async () => {
    const spec = await templateOf(GROUP);
    const newer = await control.addImage({
      region: 'us-east-1',
      channel: 'web',
      builtAt: '2026-11-25T10:00:00Z',
    });
    const byName = await ec2().send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: spec.LaunchTemplateName }),
    );
    expect(
      byName.LaunchTemplateVersions?.map((v) => [
        v.VersionNumber,
        v.DefaultVersion,
        v.LaunchTemplateData?.ImageId,
      ]),
    ).toEqual([
      [2, true, newer.imageId],
      [1, false, expect.stringMatching(/^ami-/)],
    ]);
    const pinned = await ec2().send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: spec.LaunchTemplateId,
        Versions: ['1', '$Default'],
      }),
    );
    expect(pinned.LaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([1, 2]);

    const group = await control.group(GROUP);
    const victim = group.instances.find((i) => i.lifecycleState === 'InService')!;
    await asgClient(sim).send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim.instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    const after = await control.group(GROUP);
    const replacement = after.instances.find(
      (i) => !group.instances.some((g) => g.instanceId === i.instanceId),
    );
    expect(replacement).toMatchObject({ imageId: newer.imageId, launchTemplateVersion: '2' });
    expect(after.launchTemplate).toMatchObject({
      latestVersion: 2,
      defaultVersion: 2,
      imageId: newer.imageId,
    });
  });

  it('leaves other regions and channels alone', async () => {
    const api = await templateOf('api-us-east-1-asg');
    const out = await ec2().send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: api.LaunchTemplateId }),
    );
    expect(out.LaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([1]);
  });

  it('reports unknown templates and versions', async () => {
    const noId = await rejection(
      ec2().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-0000000000000dead' })),
    );
    expect(noId.name).toBe('InvalidLaunchTemplateId.NotFound');
    const noName = await rejection(
      ec2().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'nope' })),
    );
    expect(noName.name).toBe('InvalidLaunchTemplateName.NotFoundException');
    const spec = await templateOf(GROUP);
    const noVersion = await rejection(
      ec2().send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: spec.LaunchTemplateId,
          Versions: ['99'],
        }),
      ),
    );
    expect(noVersion.name).toBe('InvalidLaunchTemplateId.VersionNotFound');
  });
});
