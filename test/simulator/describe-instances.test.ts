import { DescribeInstancesCommand, paginateDescribeInstances, type Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { ec2Client, rejection } from './sdk-client.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ instances: 40, seed: 3 });
});

afterAll(async () => {
  await sim.close();
});

async function allInstances(
  region: string,
  filters: { Name: string; Values: string[] }[] = [],
): Promise<Instance[]> {
  const out = await ec2Client(sim, region).send(new DescribeInstancesCommand({ Filters: filters }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

describe('DescribeInstances over the real SDK', () => {
  it('round-trips every field the daemon reads', async () => {
    const client = ec2Client(sim);
    const out = await client.send(new DescribeInstancesCommand({}));
    const reservation = out.Reservations?.[0];
    expect(reservation?.OwnerId).toBe('123456789012');
    expect(reservation?.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    const instance = reservation?.Instances?.[0];
    const truth = sim.fleet.instance(instance?.InstanceId ?? '')!;
    expect(truth).toBeDefined();
    expect(instance).toMatchObject({
      InstanceId: truth.instanceId,
      ImageId: truth.imageId,
      State: { Name: 'running', Code: 16 },
      InstanceType: truth.instanceType,
      IamInstanceProfile: { Arn: truth.iamInstanceProfile?.arn, Id: truth.iamInstanceProfile?.id },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      SubnetId: truth.subnetId,
      VpcId: truth.vpcId,
      PrivateIpAddress: truth.privateIpAddress,
      Placement: { AvailabilityZone: truth.availabilityZone },
    });
    expect(instance?.SecurityGroups?.map((g) => g.GroupId)).toEqual(truth.securityGroupIds);
    expect(
      instance?.SecurityGroups?.every((g) => typeof g.GroupName === 'string' && g.GroupName.length > 0),
    ).toBe(true);
    expect(instance?.Tags).toEqual([...truth.tags].map(([Key, Value]) => ({ Key, Value })));
    expect(instance?.LaunchTime).toBeInstanceOf(Date);
    expect(instance?.LaunchTime?.toISOString()).toBe(truth.launchTime.replace('Z', '.000Z'));
  });

  it('shows a client only the instances of its own region', async () => {
    const us = await allInstances('us-east-1');
    const eu = await allInstances('eu-west-1');
    expect(us).toHaveLength(20);
    expect(eu).toHaveLength(20);
    const euIds = new Set(eu.map((i) => i.InstanceId));
    expect(us.some((i) => euIds.has(i.InstanceId))).toBe(false);
    for (const instance of us) expect(sim.fleet.instance(instance.InstanceId!)?.region).toBe('us-east-1');
    expect(await allInstances('ap-south-1')).toEqual([]);
  });

  it('filters by tag value, tag key, state, image id and instance id', async () => {
    const web = await allInstances('us-east-1', [{ Name: 'tag:role', Values: ['web'] }]);
    expect(web.length).toBeGreaterThan(0);
    expect(web.every((i) => i.Tags?.some((t) => t.Key === 'role' && t.Value === 'web'))).toBe(true);

    const asg = await allInstances('us-east-1', [{ Name: 'tag-key', Values: ['aws:autoscaling:groupName'] }]);
    expect(asg.every((i) => !i.Tags?.some((t) => t.Key === 'role' && t.Value === 'batch'))).toBe(true);
    expect(asg.length).toBeGreaterThan(0);

    const imageId = web[0]!.ImageId!;
    const byImage = await allInstances('us-east-1', [{ Name: 'image-id', Values: [imageId] }]);
    expect(byImage.map((i) => i.InstanceId).sort()).toEqual(web.map((i) => i.InstanceId).sort());

    const both = await allInstances('us-east-1', [
      { Name: 'tag:role', Values: ['web', 'api'] },
      { Name: 'instance-state-name', Values: ['running'] },
    ]);
    expect(both.length).toBeGreaterThan(web.length);
    expect(await allInstances('us-east-1', [{ Name: 'instance-state-name', Values: ['stopped'] }])).toEqual(
      [],
    );

    const one = await allInstances('us-east-1', [{ Name: 'instance-id', Values: [web[0]!.InstanceId!] }]);
    expect(one.map((i) => i.InstanceId)).toEqual([web[0]!.InstanceId]);

    const wildcard = await allInstances('us-east-1', [{ Name: 'tag:Name', Values: ['web-us-east-1-*'] }]);
    expect(wildcard).toHaveLength(web.length);
  });

  it('answers an unknown filter with InvalidParameterValue', async () => {
    const error = await rejection(allInstances('us-east-1', [{ Name: 'no-such-filter', Values: ['x'] }]));
    expect(error.name).toBe('InvalidParameterValue');
  });

  it('selects by InstanceId.N and reports an unknown id as InvalidInstanceID.NotFound', async () => {
    const [a, b] = sim.fleet.instancesIn('us-east-1');
    const out = await ec2Client(sim).send(
      new DescribeInstancesCommand({ InstanceIds: [a!.instanceId, b!.instanceId] }),
    );
    const ids = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    expect(ids.sort()).toEqual([a!.instanceId, b!.instanceId].sort());

    const error = await rejection(
      ec2Client(sim).send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })),
    );
    expect(error.name).toBe('InvalidInstanceID.NotFound');
    expect(error.message).toContain('i-0000000000000dead');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('treats an instance id from another region as not found', async () => {
    const eu = sim.fleet.instancesIn('eu-west-1')[0]!;
    const error = await rejection(
      ec2Client(sim, 'us-east-1').send(new DescribeInstancesCommand({ InstanceIds: [eu.instanceId] })),
    );
    expect(error.name).toBe('InvalidInstanceID.NotFound');
  });

  it('rejects MaxResults outside 5..1000', async () => {
    const error = await rejection(ec2Client(sim).send(new DescribeInstancesCommand({ MaxResults: 2 })));
    expect(error.name).toBe('InvalidParameterValue');
  });

  it('returns terminated instances with state terminated', async () => {
    const victim = sim.fleet.instancesIn('eu-west-1')[1]!;
    sim.fleet.terminate(victim.instanceId);
    const out = await ec2Client(sim, 'eu-west-1').send(
      new DescribeInstancesCommand({ InstanceIds: [victim.instanceId] }),
    );
    expect(out.Reservations?.[0]?.Instances?.[0]?.State).toEqual({ Code: 48, Name: 'terminated' });
  });
});

describe('DescribeInstances pagination', () => {
  let big: Simulator;

  beforeAll(async () => {
    big = await startSimulator({ instances: 0, seed: 11, regions: ['us-east-1'] });
    big.fleet.launchBulk({ region: 'us-east-1', count: 1250, channel: 'web' });
    big.fleet.launchBulk({ region: 'us-east-1', count: 1250, channel: 'batch' });
  });

  afterAll(async () => {
    await big.close();
  });

  it('pages 2,500 instances with MaxResults 1000 into exactly 2,500 unique ids', async () => {
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeInstances({ client: ec2Client(big), pageSize: 1000 }, {})) {
      pages += 1;
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? []) ids.push(instance.InstanceId!);
    }
    expect(pages).toBe(3);
    expect(ids).toHaveLength(2500);
    expect(new Set(ids).size).toBe(2500);
    const maxResults = big.requestLog().map((entry) => entry.params.MaxResults);
    expect(maxResults).toEqual(['1000', '1000', '1000']);
  });

  it('has no gaps or duplicates when instances launch and terminate between pages', async () => {
    const client = ec2Client(big);
    const first = await client.send(new DescribeInstancesCommand({ MaxResults: 1000 }));
    const seen = (first.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
    const before = new Set(big.fleet.instancesIn('us-east-1').map((i) => i.instanceId));
    big.fleet.launchBulk({ region: 'us-east-1', count: 10, channel: 'web' });
    big.fleet.terminate(big.fleet.instancesIn('us-east-1').at(-1)!.instanceId);
    let token = first.NextToken;
    while (token) {
      const page = await client.send(new DescribeInstancesCommand({ MaxResults: 1000, NextToken: token }));
      seen.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!));
      token = page.NextToken;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
  });

  it('keeps filters across pages', async () => {
    const ids: string[] = [];
    const paginator = paginateDescribeInstances(
      { client: ec2Client(big), pageSize: 500 },
      { Filters: [{ Name: 'tag:role', Values: ['batch'] }] },
    );
    for await (const page of paginator)
      ids.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!));
    expect(ids).toHaveLength(1250);
    expect(new Set(ids).size).toBe(1250);
  });
});
