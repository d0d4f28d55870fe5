import {
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl, startSimulator, type Simulator } from '@driftwarden/simulator';
import { ec2Client, ManualClock, rejection } from './sdk-client.js';

let sim: Simulator;
let control: SimulatorControl;
const clock = new ManualClock();

beforeAll(async () => {
  sim = await startSimulator({
    instances: 12,
    seed: 21,
    regions: ['us-east-1'],
    now: clock.now,
    lifecycle: { pendingMs: 1000, statusCheckMs: 2000, terminateMs: 500 },
  });
  control = new SimulatorControl(sim.url);
});

afterAll(async () => {
  await sim.close();
});

afterEach(async () => {
  await control.clearFailures();
  await control.clearFaults();
});

const client = () => ec2Client(sim, 'us-east-1', { maxAttempts: 1 });

function runInput(overrides: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput {
  const image = sim.fleet.newestImage('us-east-1', 'web');
  if (!image) throw new Error('no web image');
  return { ImageId: image.imageId, MinCount: 1, MaxCount: 1, ...overrides };
}

async function runOne(overrides: Partial<RunInstancesCommandInput> = {}): Promise<string> {
  const out = await client().send(new RunInstancesCommand(runInput(overrides)));
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('RunInstances returned no instance');
  return id;
}

async function statusOf(instanceId: string) {
  const out = await client().send(
    new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }),
  );
  return out.InstanceStatuses?.[0];
}

describe('RunInstances', () => {
  it('launches with every requested setting, starting pending', async () => {
    const image = sim.fleet.newestImage('us-east-1', 'api')!;
    const subnet = sim.fleet.instancesIn('us-east-1')[0]!.subnetId;
    const out = await client().send(
      new RunInstancesCommand({
        ImageId: image.imageId,
        MinCount: 2,
        MaxCount: 2,
        InstanceType: 'm5.large',
        SubnetId: subnet,
        SecurityGroupIds: ['sg-0123456789abcdef0'],
        IamInstanceProfile: { Name: 'api' },
        MetadataOptions: { HttpTokens: 'optional' },
        UserData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'job', Value: 'j-1' }] }],
      }),
    );
    expect(out.Instances).toHaveLength(2);
    const first = out.Instances![0]!;
    expect(first).toMatchObject({
      ImageId: image.imageId,
      InstanceType: 'm5.large',
      SubnetId: subnet,
      State: { Name: 'pending', Code: 0 },
      SecurityGroups: [expect.objectContaining({ GroupId: 'sg-0123456789abcdef0' })],
      IamInstanceProfile: expect.objectContaining({
        Arn: 'arn:aws:iam::123456789012:instance-profile/api',
      }) as unknown,
      MetadataOptions: expect.objectContaining({ HttpTokens: 'optional' }) as unknown,
    });
    expect(first.Tags).toContainEqual({ Key: 'job', Value: 'j-1' });
    expect(sim.fleet.instance(first.InstanceId!)?.userData).toBe('#!/bin/sh\necho hi\n');
  });

  it('is idempotent on ClientToken: two calls, one instance, both logged', async () => {
    const since = sim.requestLog().at(-1)?.seq ?? 0;
    const before = sim.fleet.allInstances().length;
    const input = runInput({ ClientToken: 'job-idempotent-1' });
    const first = await client().send(new RunInstancesCommand(input));
    const again = await client().send(new RunInstancesCommand(input));
    expect(again.Instances?.map((i) => i.InstanceId)).toEqual(first.Instances?.map((i) => i.InstanceId));
    expect(sim.fleet.allInstances().length).toBe(before + 1);
    const runs = sim.requestLog(since).filter((e) => e.action === 'RunInstances');
    expect(runs.map((e) => [e.service, e.mutating, e.params.ClientToken])).toEqual([
      ['ec2', true, 'job-idempotent-1'],
      ['ec2', true, 'job-idempotent-1'],
    ]);
  });

  it('moves pending → running → status ok as the clock advances', async () => {
    const id = await runOne();
    expect(await statusOf(id)).toMatchObject({
      InstanceState: { Name: 'pending' },
      InstanceStatus: { Status: 'not-applicable' },
    });
    // Without IncludeAllInstances only running instances are reported.
    const runningOnly = await client().send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    expect(runningOnly.InstanceStatuses).toEqual([]);

    clock.advance(1000);
    expect(await statusOf(id)).toMatchObject({
      InstanceId: id,
      AvailabilityZone: expect.stringMatching(/^us-east-1[abc]$/) as unknown,
      InstanceState: { Name: 'running', Code: 16 },
      SystemStatus: { Status: 'initializing', Details: [{ Name: 'reachability', Status: 'initializing' }] },
      InstanceStatus: { Status: 'initializing' },
    });

    clock.advance(2000);
    expect(await statusOf(id)).toMatchObject({
      SystemStatus: { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] },
      InstanceStatus: { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] },
    });
  });

  it('reports seeded instances running with passing checks from the start', async () => {
    const seeded = sim.fleet.instancesIn('us-east-1')[0]!;
    expect(await statusOf(seeded.instanceId)).toMatchObject({
      InstanceState: { Name: 'running' },
      InstanceStatus: { Status: 'ok' },
      SystemStatus: { Status: 'ok' },
    });
  });

  it('fails the next launches with InsufficientInstanceCapacity when launchFails is injected', async () => {
    await control.failure({ kind: 'launchFails', count: 1 });
    const before = sim.fleet.allInstances().length;
    const error = await rejection(client().send(new RunInstancesCommand(runInput())));
    expect(error.name).toBe('InsufficientInstanceCapacity');
    expect(sim.fleet.allInstances().length).toBe(before);
    await expect(runOne()).resolves.toMatch(/^i-/);
  });

  it('keeps a never-healthy instance impaired once its checks have run', async () => {
    const image = sim.fleet.newestImage('us-east-1', 'batch')!;
    await control.failure({ kind: 'neverHealthy', imageId: image.imageId });
    const sick = await runOne({ ImageId: image.imageId });
    const healthy = await runOne();
    clock.advance(3000);
    const status = await statusOf(sick);
    expect(status).toMatchObject({
      InstanceState: { Name: 'running' },
      InstanceStatus: { Status: 'impaired', Details: [{ Status: 'failed' }] },
    });
    expect(status?.InstanceStatus?.Details?.[0]?.ImpairedSince).toBeInstanceOf(Date);
    expect((await statusOf(healthy))?.InstanceStatus?.Status).toBe('ok');
    const impaired = await client().send(
      new DescribeInstanceStatusCommand({
        Filters: [{ Name: 'instance-status.status', Values: ['impaired'] }],
      }),
    );
    expect(impaired.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([sick]);
  });
});

describe('TerminateInstances', () => {
  it('goes shutting-down, then terminated, and is idempotent on the way', async () => {
    const id = await runOne();
    clock.advance(1000);
    const first = await client().send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(first.TerminatingInstances?.[0]).toMatchObject({
      InstanceId: id,
      PreviousState: { Name: 'running', Code: 16 },
      CurrentState: { Name: 'shutting-down', Code: 32 },
    });
    const again = await client().send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(again.TerminatingInstances?.[0]).toMatchObject({
      PreviousState: { Name: 'shutting-down' },
      CurrentState: { Name: 'shutting-down' },
    });
    clock.advance(500);
    const described = await client().send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
    const late = await client().send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(late.TerminatingInstances?.[0]).toMatchObject({
      PreviousState: { Name: 'terminated' },
      CurrentState: { Name: 'terminated' },
    });
  });

  it('still reports an unknown instance as InvalidInstanceID.NotFound', async () => {
    const error = await rejection(
      client().send(new TerminateInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })),
    );
    expect(error.name).toBe('InvalidInstanceID.NotFound');
  });
});

describe('DescribeInstances root volume', () => {
  it('shows a root EBS volume on /dev/xvda for every instance, seeded or launched', async () => {
    const launched = await runOne();
    const out = await client().send(new DescribeInstancesCommand({}));
    const all = out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    expect(all.map((i) => i.InstanceId)).toContain(launched);
    // A terminated instance's root volume went with it.
    for (const gone of all.filter((i) => i.State?.Name === 'terminated'))
      expect(gone.BlockDeviceMappings ?? []).toEqual([]);
    const instances = all.filter((i) => i.State?.Name !== 'terminated');
    const volumeIds = new Set<string>();
    for (const instance of instances) {
      expect(instance.RootDeviceName).toBe('/dev/xvda');
      const [mapping] = instance.BlockDeviceMappings ?? [];
      expect(mapping).toMatchObject({
        DeviceName: '/dev/xvda',
        Ebs: {
          Status: 'attached',
          DeleteOnTermination: true,
          VolumeId: expect.stringMatching(/^vol-[0-9a-f]{17}$/) as unknown,
        },
      });
      expect(mapping?.Ebs?.AttachTime).toBeInstanceOf(Date);
      volumeIds.add(mapping?.Ebs?.VolumeId ?? '');
    }
    expect(volumeIds.size).toBe(instances.length);
  });
});

describe('lifecycle control', () => {
  it('changes durations through POST /_sim/lifecycle and applies them to launches in flight', async () => {
    const id = await runOne();
    expect(await control.lifecycle({ pendingMs: 0, statusCheckMs: 0 })).toEqual({
      pendingMs: 0,
      statusCheckMs: 0,
      terminateMs: 500,
    });
    expect(await statusOf(id)).toMatchObject({
      InstanceState: { Name: 'running' },
      InstanceStatus: { Status: 'ok' },
    });
    expect((await control.instance(id)).state).toBe('running');
    await control.lifecycle({ pendingMs: 1000, statusCheckMs: 2000 });
  });

  it('rejects a negative duration, naming the field', async () => {
    const response = await fetch(`${sim.url}/_sim/lifecycle`, {
      method: 'POST',
      body: JSON.stringify({ pendingMs: -1 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'pendingMs' });
  });
});
