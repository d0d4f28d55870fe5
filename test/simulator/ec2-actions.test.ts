import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVpcsCommand,
  ModifyInstanceAttributeCommand,
  ModifyInstanceMetadataOptionsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { ec2Client, rejection } from './sdk-client.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ instances: 16, seed: 5 });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.fleet.allInstances().forEach((i) => {
    if (i.region === 'us-east-1' && i.state === 'running') sim.fleet.reset(i.instanceId);
  });
});

function firstInstance(region = 'us-east-1') {
  const instance = sim.fleet.instancesIn(region).find((i) => i.state === 'running');
  if (!instance) throw new Error('no running instance');
  return instance;
}

async function describeOne(instanceId: string, region = 'us-east-1') {
  const out = await ec2Client(sim, region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`instance ${instanceId} not returned`);
  return instance;
}

describe('DescribeImages', () => {
  it('returns the region images with id, name, state, creation date, owner and tags', async () => {
    const out = await ec2Client(sim).send(new DescribeImagesCommand({ Owners: ['self'] }));
    const truth = sim.fleet.images.filter((i) => i.region === 'us-east-1');
    expect(out.Images?.map((i) => i.ImageId).sort()).toEqual(truth.map((i) => i.imageId).sort());
    const image = out.Images?.find((i) => i.ImageId === truth[0]!.imageId);
    expect(image).toMatchObject({
      Name: truth[0]!.name,
      State: 'available',
      OwnerId: '123456789012',
      CreationDate: truth[0]!.builtAt.replace('Z', '.000Z'),
    });
    expect(image?.Tags).toContainEqual({ Key: 'channel', Value: truth[0]!.channel });
  });

  it('selects by ImageId.N and reports an unknown ami as InvalidAMIID.NotFound', async () => {
    const wanted = sim.fleet.images.find((i) => i.region === 'eu-west-1')!;
    const out = await ec2Client(sim, 'eu-west-1').send(
      new DescribeImagesCommand({ ImageIds: [wanted.imageId] }),
    );
    expect(out.Images?.map((i) => i.ImageId)).toEqual([wanted.imageId]);
    const error = await rejection(
      ec2Client(sim, 'us-east-1').send(new DescribeImagesCommand({ ImageIds: [wanted.imageId] })),
    );
    expect(error.name).toBe('InvalidAMIID.NotFound');
  });

  it('returns nothing for another owner', async () => {
    const out = await ec2Client(sim).send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(out.Images ?? []).toEqual([]);
  });
});

describe('DescribeInstanceAttribute userData', () => {
  it('returns the user data base64-encoded', async () => {
    const instance = firstInstance();
    const out = await ec2Client(sim).send(
      new DescribeInstanceAttributeCommand({ InstanceId: instance.instanceId, Attribute: 'userData' }),
    );
    expect(out.InstanceId).toBe(instance.instanceId);
    expect(Buffer.from(out.UserData?.Value ?? '', 'base64').toString('utf8')).toBe(instance.userData);
  });

  it('omits the element when the instance has no user data', async () => {
    const instance = firstInstance();
    sim.fleet.drift(instance.instanceId, { userData: null });
    const out = await ec2Client(sim).send(
      new DescribeInstanceAttributeCommand({ InstanceId: instance.instanceId, Attribute: 'userData' }),
    );
    expect(out.UserData).toBeUndefined();
  });

  it('round-trips user data with markup and non-ASCII text', async () => {
    const instance = firstInstance();
    const userData = '#!/bin/sh\necho "<b>&amp;</b>" ünïcødé 🚀\r\n';
    await ec2Client(sim).send(
      new ModifyInstanceAttributeCommand({
        InstanceId: instance.instanceId,
        UserData: { Value: Buffer.from(userData, 'utf8') },
      }),
    );
    const out = await ec2Client(sim).send(
      new DescribeInstanceAttributeCommand({ InstanceId: instance.instanceId, Attribute: 'userData' }),
    );
    expect(Buffer.from(out.UserData?.Value ?? '', 'base64').toString('utf8')).toBe(userData);
  });

  it('reports an unknown instance as InvalidInstanceID.NotFound', async () => {
    const error = await rejection(
      ec2Client(sim).send(
        new DescribeInstanceAttributeCommand({ InstanceId: 'i-00000000000000000', Attribute: 'userData' }),
      ),
    );
    expect(error.name).toBe('InvalidInstanceID.NotFound');
  });
});

describe('mutating calls', () => {
  it('CreateTags stores values with markup and ampersands exactly', async () => {
    const instance = firstInstance();
    const nasty = `<script>alert("x")</script> & 'quotes' ]]> \t tab`;
    await ec2Client(sim).send(
      new CreateTagsCommand({ Resources: [instance.instanceId], Tags: [{ Key: 'note&<k>', Value: nasty }] }),
    );
    const tags = (await describeOne(instance.instanceId)).Tags ?? [];
    expect(tags).toContainEqual({ Key: 'note&<k>', Value: nasty });
    expect(sim.fleet.instance(instance.instanceId)?.tags.get('note&<k>')).toBe(nasty);
  });

  it('CreateTags rejects reserved aws: keys and unknown resources', async () => {
    const instance = firstInstance();
    const reserved = await rejection(
      ec2Client(sim).send(
        new CreateTagsCommand({ Resources: [instance.instanceId], Tags: [{ Key: 'aws:x', Value: 'y' }] }),
      ),
    );
    expect(reserved.name).toBe('InvalidParameterValue');
    const unknown = await rejection(
      ec2Client(sim).send(
        new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
      ),
    );
    expect(unknown.name).toBe('InvalidInstanceID.NotFound');
  });

  it('ModifyInstanceAttribute changes the instance type and security groups', async () => {
    const instance = firstInstance();
    const client = ec2Client(sim);
    await client.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: instance.instanceId,
        InstanceType: { Value: 'm5.4xlarge' },
      }),
    );
    await client.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: instance.instanceId,
        Groups: ['sg-0123456789abcdef0'],
      }),
    );
    const seen = await describeOne(instance.instanceId);
    expect(seen.InstanceType).toBe('m5.4xlarge');
    expect(seen.SecurityGroups?.map((g) => g.GroupId)).toEqual(['sg-0123456789abcdef0']);
  });

  it('ModifyInstanceMetadataOptions downgrades IMDS to optional', async () => {
    const instance = firstInstance();
    const out = await ec2Client(sim).send(
      new ModifyInstanceMetadataOptionsCommand({ InstanceId: instance.instanceId, HttpTokens: 'optional' }),
    );
    expect(out.InstanceId).toBe(instance.instanceId);
    expect(out.InstanceMetadataOptions?.HttpTokens).toBe('optional');
    expect((await describeOne(instance.instanceId)).MetadataOptions?.HttpTokens).toBe('optional');
  });

  it('honours DryRun without changing anything', async () => {
    const instance = firstInstance();
    const error = await rejection(
      ec2Client(sim).send(
        new ModifyInstanceMetadataOptionsCommand({
          InstanceId: instance.instanceId,
          HttpTokens: 'optional',
          DryRun: true,
        }),
      ),
    );
    expect(error.name).toBe('DryRunOperation');
    expect(sim.fleet.instance(instance.instanceId)?.metadataOptions.httpTokens).toBe('required');
  });

  it('RunInstances launches from a baked image idempotently, TerminateInstances shuts it down', async () => {
    const image = sim.fleet.newestImage('us-east-1', 'web')!;
    const client = ec2Client(sim);
    const input = {
      ImageId: image.imageId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.small' as const,
      ClientToken: 'job-42',
      TagSpecifications: [{ ResourceType: 'instance' as const, Tags: [{ Key: 'replaces', Value: 'i-old' }] }],
    };
    const first = await client.send(new RunInstancesCommand(input));
    const again = await client.send(new RunInstancesCommand(input));
    const id = first.Instances?.[0]?.InstanceId;
    expect(id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(again.Instances?.[0]?.InstanceId).toBe(id);
    expect(first.Instances?.[0]?.Tags).toContainEqual({ Key: 'replaces', Value: 'i-old' });
    expect(first.Instances?.[0]?.ImageId).toBe(image.imageId);

    // Launched instances start pending; TerminateInstances starts shutting them down.
    const terminated = await client.send(new TerminateInstancesCommand({ InstanceIds: [id!] }));
    expect(terminated.TerminatingInstances?.[0]).toMatchObject({
      InstanceId: id,
      CurrentState: { Name: 'shutting-down' },
      PreviousState: { Name: 'pending' },
    });
    expect((await describeOne(id!)).State?.Name).toBe('shutting-down');
  });

  it('records every call in the request log, flagging the mutating ones', async () => {
    const since = sim.requestLog().at(-1)?.seq ?? 0;
    const instance = firstInstance();
    const client = ec2Client(sim);
    await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:role', Values: ['web'] }] }));
    await client.send(
      new CreateTagsCommand({ Resources: [instance.instanceId], Tags: [{ Key: 'k', Value: 'v' }] }),
    );
    const entries = sim.requestLog(since);
    expect(entries.map((e) => [e.action, e.mutating, e.status])).toEqual([
      ['DescribeInstances', false, 200],
      ['CreateTags', true, 200],
    ]);
    expect(entries[0]).toMatchObject({
      service: 'ec2',
      region: 'us-east-1',
      params: { 'Filter.1.Name': 'tag:role', 'Filter.1.Value.1': 'web' },
    });
    expect(entries[1]?.params).toMatchObject({
      'ResourceId.1': instance.instanceId,
      'Tag.1.Key': 'k',
      'Tag.1.Value': 'v',
    });
    expect(entries[1]!.seq).toBeGreaterThan(entries[0]!.seq);
    expect(Number.isNaN(Date.parse(entries[0]!.at))).toBe(false);
  });
});

describe('protocol errors', () => {
  it('answers an action it does not simulate with InvalidAction', async () => {
    const error = await rejection(ec2Client(sim).send(new DescribeVpcsCommand({})));
    expect(error.name).toBe('InvalidAction');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(sim.requestLog().at(-1)).toMatchObject({
      action: 'DescribeVpcs',
      status: 400,
      errorCode: 'InvalidAction',
    });
  });

  it('rejects an unsigned request with an AWS-shaped XML error', async () => {
    const response = await fetch(sim.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('text/xml');
    expect(await response.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
