import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl, startSimulator, type Simulator } from '@driftwarden/simulator';
import { asgClient, ec2Client, ManualClock, rejection } from './sdk-client.js';

let sim: Simulator;
let control: SimulatorControl;
const clock = new ManualClock();
const GROUP = 'web-us-east-1-asg';

beforeAll(async () => {
  sim = await startSimulator({
    instances: 24,
    seed: 11,
    regions: ['us-east-1', 'eu-west-1'],
    now: clock.now,
    lifecycle: { pendingMs: 1000, statusCheckMs: 1000, terminateMs: 1000 },
  });
  control = new SimulatorControl(sim.url);
});

afterAll(async () => {
  await sim.close();
});

afterEach(async () => {
  await control.clearFailures();
  await control.clearFaults();
  // Let every launch and termination of the test settle before the next one starts.
  clock.advance(5000);
});

const asg = () => asgClient(sim, 'us-east-1');

async function describeGroup(name = GROUP): Promise<AutoScalingGroup> {
  const out = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const group = out.AutoScalingGroups?.[0];
  if (!group) throw new Error(`group ${name} not returned`);
  return group;
}

async function inServiceMember(name = GROUP): Promise<string> {
  const group = await describeGroup(name);
  const member = group.Instances?.find((i) => i.LifecycleState === 'InService');
  if (!member?.InstanceId) throw new Error(`no InService member in ${name}`);
  return member.InstanceId;
}

describe('seeded groups', () => {
  it('exist for every channel tagged with aws:autoscaling:groupName, at their current size', async () => {
    const out = await asg().send(new DescribeAutoScalingGroupsCommand({}));
    const names = out.AutoScalingGroups?.map((g) => g.AutoScalingGroupName);
    expect(names).toEqual(['api-us-east-1-asg', 'web-us-east-1-asg', 'worker-us-east-1-asg']);
    for (const group of out.AutoScalingGroups ?? []) {
      const tagged = sim.fleet
        .instancesIn('us-east-1')
        .filter((i) => i.tags.get('aws:autoscaling:groupName') === group.AutoScalingGroupName);
      expect(group.DesiredCapacity).toBe(tagged.length);
      expect(group.Instances?.map((i) => i.InstanceId).sort()).toEqual(
        tagged.map((i) => i.instanceId).sort(),
      );
    }
  });

  it('round-trips every group field through the SDK', async () => {
    const group = await describeGroup();
    const members = sim.fleet
      .instancesIn('us-east-1')
      .filter((i) => i.tags.get('aws:autoscaling:groupName') === GROUP);
    const desired = members.length;
    expect(group).toMatchObject({
      AutoScalingGroupName: GROUP,
      AutoScalingGroupARN: expect.stringMatching(
        /^arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/web-us-east-1-asg$/,
      ) as unknown,
      MinSize: desired > 1 ? 1 : 0,
      MaxSize: desired + 2,
      DesiredCapacity: desired,
      LaunchTemplate: {
        LaunchTemplateId: expect.stringMatching(/^lt-[0-9a-f]{17}$/) as unknown,
        LaunchTemplateName: 'web-us-east-1-asg-lt',
        Version: '$Latest',
      },
      AvailabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      HealthCheckType: 'EC2',
      HealthCheckGracePeriod: 300,
      DefaultCooldown: 300,
      TerminationPolicies: ['Default'],
      NewInstancesProtectedFromScaleIn: false,
      Tags: [
        {
          ResourceId: GROUP,
          ResourceType: 'auto-scaling-group',
          Key: 'role',
          Value: 'web',
          PropagateAtLaunch: true,
        },
      ],
    });
    expect(group.CreatedTime).toBeInstanceOf(Date);
    expect(group.CreatedTime!.toISOString()).toBe(
      new Date([...members.map((m) => m.launchTime)].sort()[0]!).toISOString(),
    );
    expect(group.VPCZoneIdentifier?.split(',')).toHaveLength(3);
    const member = members[0]!;
    expect(group.Instances?.find((i) => i.InstanceId === member.instanceId)).toEqual({
      InstanceId: member.instanceId,
      InstanceType: member.instanceType,
      AvailabilityZone: member.availabilityZone,
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      LaunchTemplate: {
        LaunchTemplateId: group.LaunchTemplate?.LaunchTemplateId,
        LaunchTemplateName: 'web-us-east-1-asg-lt',
        Version: '1',
      },
      ProtectedFromScaleIn: false,
    });
  });

  it('pages with MaxRecords and NextToken', async () => {
    const first = await asg().send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 2 }));
    expect(first.AutoScalingGroups).toHaveLength(2);
    expect(first.NextToken).toBeTruthy();
    const second = await asg().send(
      new DescribeAutoScalingGroupsCommand({ MaxRecords: 2, NextToken: first.NextToken }),
    );
    expect(second.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['worker-us-east-1-asg']);
    expect(second.NextToken).toBeUndefined();
  });

  it('are regional', async () => {
    const out = await asgClient(sim, 'eu-west-1').send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP, 'web-eu-west-1-asg'] }),
    );
    expect(out.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['web-eu-west-1-asg']);
  });

  it('DescribeAutoScalingInstances reports membership with upper-case health like AWS', async () => {
    const id = await inServiceMember();
    const out = await asg().send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [id, 'i-0000000000000dead'] }),
    );
    expect(out.AutoScalingInstances).toEqual([
      expect.objectContaining({
        InstanceId: id,
        AutoScalingGroupName: GROUP,
        LifecycleState: 'InService',
        HealthStatus: 'HEALTHY',
        ProtectedFromScaleIn: false,
        LaunchTemplate: expect.objectContaining({ LaunchTemplateName: 'web-us-east-1-asg-lt' }) as unknown,
      }),
    ]);
  });
});

describe('TerminateInstanceInAutoScalingGroup', () => {
  it('without decrement: the member goes Terminating and a replacement goes Pending → InService', async () => {
    const before = await describeGroup();
    const victim = await inServiceMember();
    const out = await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    expect(out.Activity).toMatchObject({
      AutoScalingGroupName: GROUP,
      StatusCode: 'InProgress',
      Description: `Terminating EC2 instance: ${victim}`,
    });
    expect(out.Activity?.StartTime).toBeInstanceOf(Date);

    const during = await describeGroup();
    expect(during.DesiredCapacity).toBe(before.DesiredCapacity);
    expect(during.Instances?.find((i) => i.InstanceId === victim)?.LifecycleState).toBe('Terminating');
    const replacement = during.Instances?.find(
      (i) => !before.Instances?.some((b) => b.InstanceId === i.InstanceId),
    );
    expect(replacement).toMatchObject({ LifecycleState: 'Pending', HealthStatus: 'Healthy' });
    const ec2 = await ec2Client(sim).send(
      new DescribeInstancesCommand({ InstanceIds: [victim, replacement!.InstanceId!] }),
    );
    const states = Object.fromEntries(
      ec2
        .Reservations!.flatMap((r) => r.Instances!)
        .map((i): [string, string] => [i.InstanceId!, i.State!.Name!]),
    );
    expect(states).toEqual({ [victim]: 'shutting-down', [replacement!.InstanceId!]: 'pending' });

    clock.advance(1000); // running, checks initializing; the victim is terminated and leaves the group
    const running = await describeGroup();
    expect(running.Instances?.some((i) => i.InstanceId === victim)).toBe(false);
    expect(running.Instances?.find((i) => i.InstanceId === replacement!.InstanceId)?.LifecycleState).toBe(
      'Pending',
    );

    clock.advance(1000);
    const after = await describeGroup();
    expect(after.Instances).toHaveLength(before.DesiredCapacity!);
    expect(
      after.Instances?.every((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy'),
    ).toBe(true);
    expect(
      after.Instances?.find((i) => i.InstanceId === replacement!.InstanceId)?.LaunchTemplate?.Version,
    ).toBe('1');
  });

  it('launches the replacement from the launch template: newest image, baked settings, group tag', async () => {
    const victim = await inServiceMember('api-us-east-1-asg');
    const before = new Set(sim.fleet.instancesIn('us-east-1').map((i) => i.instanceId));
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    const replacement = sim.fleet.instancesIn('us-east-1').find((i) => !before.has(i.instanceId))!;
    const image = sim.fleet.newestImage('us-east-1', 'api')!;
    expect(replacement).toMatchObject({
      imageId: image.imageId,
      instanceType: image.spec.instanceTypes[0],
      securityGroupIds: image.spec.securityGroupIds,
      iamInstanceProfile: expect.objectContaining({ arn: image.spec.iamInstanceProfileArn }) as unknown,
      metadataOptions: expect.objectContaining({ httpTokens: 'required' }) as unknown,
      userData: image.spec.userData,
    });
    expect(replacement.tags.get('aws:autoscaling:groupName')).toBe('api-us-east-1-asg');
    for (const [key, value] of Object.entries(image.spec.requiredTags))
      expect(replacement.tags.get(key)).toBe(value);
  });

  it('with decrement: desired drops by one and nothing replaces the instance', async () => {
    const before = await describeGroup();
    const victim = await inServiceMember();
    const out = await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim,
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(out.Activity?.Cause).toContain(
      `shrinking the capacity from ${before.DesiredCapacity} to ${before.DesiredCapacity! - 1}`,
    );
    const after = await describeGroup();
    expect(after.DesiredCapacity).toBe(before.DesiredCapacity! - 1);
    expect(after.Instances?.filter((i) => i.LifecycleState !== 'Terminating')).toHaveLength(
      before.DesiredCapacity! - 1,
    );
    await asg().send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: GROUP,
        DesiredCapacity: before.DesiredCapacity!,
      }),
    );
  });

  it('refuses to decrement below the minimum, an instance outside any group, and one already terminating', async () => {
    const group = await describeGroup();
    await asg().send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, MinSize: group.DesiredCapacity }),
    );
    const victim = await inServiceMember();
    const belowMin = await rejection(
      asg().send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: victim,
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    );
    expect(belowMin.name).toBe('ValidationError');
    expect(belowMin.$metadata?.httpStatusCode).toBe(400);
    await asg().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, MinSize: 1 }));

    const standalone = sim.fleet
      .instancesIn('us-east-1')
      .find((i) => i.channel === 'batch' && i.state === 'running')!;
    const notInGroup = await rejection(
      asg().send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: standalone.instanceId,
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    );
    expect(notInGroup.name).toBe('ValidationError');
    expect(notInGroup.message).toContain('Instance Id not found');

    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    const twice = await rejection(
      asg().send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: victim,
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    );
    expect(twice.name).toBe('ValidationError');
    const terminations = sim
      .requestLog()
      .filter(
        (e) =>
          e.action === 'TerminateInstanceInAutoScalingGroup' &&
          e.params.InstanceId === victim &&
          e.status === 200,
      );
    expect(terminations).toHaveLength(1);
  });
});

describe('capacity', () => {
  it('SetDesiredCapacity must stay within min and max', async () => {
    const group = await describeGroup();
    const above = await rejection(
      asg().send(
        new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: group.MaxSize! + 1 }),
      ),
    );
    expect(above.name).toBe('ValidationError');
    expect(above.message).toContain('above max value');
    const below = await rejection(
      asg().send(
        new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: group.MinSize! - 1 }),
      ),
    );
    expect(below.name).toBe('ValidationError');
    const unknown = await rejection(
      asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'nope', DesiredCapacity: 1 })),
    );
    expect(unknown.name).toBe('ValidationError');
  });

  it('scales out to a raised desired capacity and back in to a lowered one', async () => {
    const group = await describeGroup();
    const desired = group.DesiredCapacity!;
    await asg().send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: desired + 2 }),
    );
    const grown = await describeGroup();
    expect(grown.Instances?.filter((i) => i.LifecycleState === 'Pending')).toHaveLength(2);
    clock.advance(2000);
    expect((await control.group(GROUP)).inService).toBe(desired + 2);

    await asg().send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: desired }),
    );
    const shrunk = await describeGroup();
    expect(shrunk.Instances?.filter((i) => i.LifecycleState === 'Terminating')).toHaveLength(2);
    clock.advance(1000);
    expect((await describeGroup()).Instances).toHaveLength(desired);
  });

  it('UpdateAutoScalingGroup changes min, max and desired, and validates them together', async () => {
    const group = await describeGroup();
    const desired = group.DesiredCapacity!;
    await asg().send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: GROUP,
        MinSize: 0,
        MaxSize: desired + 5,
        DesiredCapacity: desired,
      }),
    );
    expect(await describeGroup()).toMatchObject({
      MinSize: 0,
      MaxSize: desired + 5,
      DesiredCapacity: desired,
    });
    const invalid = await rejection(
      asg().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, MinSize: 4, MaxSize: 3 })),
    );
    expect(invalid.name).toBe('ValidationError');
    const outside = await rejection(
      asg().send(
        new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: desired + 6 }),
      ),
    );
    expect(outside.name).toBe('ValidationError');
    await asg().send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, MinSize: 1, MaxSize: desired + 2 }),
    );
  });
});

describe('injected failures', () => {
  it('neverHealthy: the replacement stays Pending and turns Unhealthy once its checks fail', async () => {
    await control.failure({ kind: 'neverHealthy', group: GROUP });
    const before = await describeGroup();
    const victim = await inServiceMember();
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    clock.advance(3000);
    const after = await control.group(GROUP);
    const replacement = after.instances.find(
      (i) => !before.Instances?.some((b) => b.InstanceId === i.instanceId),
    );
    expect(replacement).toMatchObject({
      lifecycleState: 'Pending',
      healthStatus: 'Unhealthy',
      state: 'running',
    });
    expect(after.inService).toBe(before.DesiredCapacity! - 1);
    // The group does not churn: it keeps the unhealthy instance rather than launching more.
    expect(after.instances).toHaveLength(before.DesiredCapacity!);
    await control.clearFailures();
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: replacement!.instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
  });

  it('launchFails: the group launches nothing until the failures are spent', async () => {
    await control.failure({ kind: 'launchFails', count: 2 });
    const before = await describeGroup();
    const victim = await inServiceMember();
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    // The terminate request's own reconcile spent one failure; this describe spends the second.
    const starved = await describeGroup();
    expect(starved.Instances?.filter((i) => i.LifecycleState !== 'Terminating')).toHaveLength(
      before.DesiredCapacity! - 1,
    );
    const recovered = await describeGroup();
    expect(recovered.Instances?.filter((i) => i.LifecycleState !== 'Terminating')).toHaveLength(
      before.DesiredCapacity!,
    );
  });

  it('per-operation faults apply to Auto Scaling actions, in Auto Scaling error codes', async () => {
    await control.fault({ kind: 'throttle', operation: 'DescribeAutoScalingGroups', count: 1 });
    const throttled = await rejection(asg().send(new DescribeAutoScalingGroupsCommand({})));
    expect(throttled.name).toBe('Throttling');
    await control.fault({ kind: 'unauthorized', operation: 'SetDesiredCapacity', count: 1 });
    const denied = await rejection(
      asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 1 })),
    );
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    await expect(asg().send(new DescribeAutoScalingGroupsCommand({}))).resolves.toHaveProperty(
      'AutoScalingGroups',
    );
  });
});

describe('request log and control API', () => {
  it('records the service and flags mutating Auto Scaling calls; describes are not mutating', async () => {
    const since = sim.requestLog().at(-1)?.seq ?? 0;
    const group = await describeGroup();
    await asg().send(new DescribeAutoScalingInstancesCommand({}));
    await asg().send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: group.DesiredCapacity! }),
    );
    await asg().send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, MaxSize: group.MaxSize! }),
    );
    const victim = await inServiceMember();
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    expect(sim.requestLog(since).map((e) => [e.service, e.action, e.mutating])).toEqual([
      ['autoscaling', 'DescribeAutoScalingGroups', false],
      ['autoscaling', 'DescribeAutoScalingInstances', false],
      ['autoscaling', 'SetDesiredCapacity', true],
      ['autoscaling', 'UpdateAutoScalingGroup', true],
      ['autoscaling', 'DescribeAutoScalingGroups', false],
      ['autoscaling', 'TerminateInstanceInAutoScalingGroup', true],
    ]);
    expect(sim.requestLog(since).at(-1)?.params).toMatchObject({
      InstanceId: victim,
      ShouldDecrementDesiredCapacity: 'false',
    });
  });

  it('lists groups with capacity, template and members through /_sim/groups', async () => {
    const groups = await control.groups('us-east-1');
    expect(groups.map((g) => g.name)).toEqual([
      'api-us-east-1-asg',
      'web-us-east-1-asg',
      'worker-us-east-1-asg',
    ]);
    const web = await control.group(GROUP);
    expect(web).toMatchObject({
      name: GROUP,
      region: 'us-east-1',
      channel: 'web',
      desiredCapacity: web.instances.filter((i) => i.lifecycleState !== 'Terminating').length,
      launchTemplate: { version: '$Latest', imageId: sim.fleet.newestImage('us-east-1', 'web')!.imageId },
    });
    expect(web.instances[0]).toEqual({
      instanceId: expect.stringMatching(/^i-/) as unknown,
      lifecycleState: expect.any(String) as unknown,
      healthStatus: expect.any(String) as unknown,
      availabilityZone: expect.any(String) as unknown,
      instanceType: expect.any(String) as unknown,
      imageId: expect.stringMatching(/^ami-/) as unknown,
      state: expect.any(String) as unknown,
      launchTemplateVersion: expect.any(String) as unknown,
      protectedFromScaleIn: false,
    });
    const missing = await fetch(`${sim.url}/_sim/groups/nope`);
    expect(missing.status).toBe(404);
  });

  it('a control-API termination is a scale-in: nothing replaces it', async () => {
    const before = await control.group('worker-us-east-1-asg');
    const victim = before.instances.find((i) => i.lifecycleState === 'InService')!;
    await control.terminate(victim.instanceId);
    const after = await control.group('worker-us-east-1-asg');
    expect(after.desiredCapacity).toBe(before.desiredCapacity - 1);
    expect(after.instances.map((i) => i.instanceId)).not.toContain(victim.instanceId);
    expect(after.instances).toHaveLength(before.instances.length - 1);
  });

  it('a control-API launch into a new group name creates that group at its size', async () => {
    const launched = await control.launch({ region: 'eu-west-1', channel: 'batch', group: 'batch-adhoc' });
    const group = await control.group('batch-adhoc', 'eu-west-1');
    expect(group).toMatchObject({
      desiredCapacity: 1,
      channel: 'batch',
      launchTemplate: { name: 'batch-adhoc-lt' },
    });
    expect(group.instances).toEqual([
      expect.objectContaining({
        instanceId: launched.instanceId,
        lifecycleState: 'InService',
        healthStatus: 'Healthy',
      }),
    ]);
  });
});
