// STS AssumeRole over the wire, and accounts: keys issued for a role see and change only that account's fleet.
import { DescribeAutoScalingGroupsCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SimulatorControl,
  SimulatorControlError,
  startSimulator,
  type Simulator,
} from '@driftwarden/simulator';
import { ManualClock, ec2Client, rejection } from './sdk-client.js';

const MEMBER = '210987654321';
const ROLE = `arn:aws:iam::${MEMBER}:role/driftwarden-scan`;
const GUARDED = `arn:aws:iam::${MEMBER}:role/guarded`;

let sim: Simulator;
let control: SimulatorControl;
const clock = new ManualClock();

beforeAll(async () => {
  sim = await startSimulator({ instances: 12, now: clock.now });
  control = new SimulatorControl(sim.url);
  await control.role({ roleArn: ROLE });
  await control.role({ roleArn: GUARDED, externalId: 'ticket-4711' });
  await control.launchBulk({ region: 'us-east-1', count: 3, channel: 'web' }, MEMBER);
  await control.launch({ region: 'us-east-1', channel: 'batch', group: null }, MEMBER);
});

afterAll(async () => {
  await sim.close();
});

function sts(region = 'us-east-1', maxAttempts = 1): STSClient {
  return new STSClient({
    region,
    endpoint: sim.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  });
}

async function assumed(roleArn = ROLE, externalId?: string) {
  const out = await sts().send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'driftwarden', ExternalId: externalId }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('no credentials');
  return {
    out,
    credentials: {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    },
  };
}

async function instanceIds(client: EC2Client): Promise<string[]> {
  const out = await client.send(new DescribeInstancesCommand({}));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId ?? '')).sort();
}

describe('STS AssumeRole', () => {
  it('returns credentials, their expiry and the assumed-role user as the SDK reads them', async () => {
    const { out } = await assumed();
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(out.Credentials?.SessionToken).toBeTruthy();
    expect(out.Credentials?.Expiration?.toISOString()).toBe(
      new Date(clock.now().getTime() + 3_600_000).toISOString(),
    );
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/driftwarden-scan/driftwarden`);
    const last = sim.requestLog().at(-1);
    expect(last).toMatchObject({
      service: 'sts',
      action: 'AssumeRole',
      status: 200,
      account: '123456789012',
    });
    expect(last?.params).toMatchObject({ RoleArn: ROLE, RoleSessionName: 'driftwarden' });
  });

  it('honours DurationSeconds and rejects values outside 900..43200 with ValidationError', async () => {
    const out = await sts().send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1', DurationSeconds: 900 }),
    );
    expect(out.Credentials?.Expiration?.getTime()).toBe(clock.now().getTime() + 900_000);
    const error = await rejection(
      sts().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1', DurationSeconds: 60 })),
    );
    expect(error.name).toBe('ValidationError');
  });

  it('answers AccessDenied (403) for an unknown role, a denied role and a wrong or missing ExternalId', async () => {
    const unknown = await rejection(assumed(`arn:aws:iam::${MEMBER}:role/nope`));
    expect(unknown.name).toBe('AccessDenied');
    expect(unknown.$metadata?.httpStatusCode).toBe(403);
    expect(unknown.message).toContain(`sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/nope`);

    expect((await rejection(assumed(GUARDED))).name).toBe('AccessDenied');
    expect((await rejection(assumed(GUARDED, 'wrong-id'))).name).toBe('AccessDenied');
    await expect(assumed(GUARDED, 'ticket-4711')).resolves.toBeDefined();

    await control.role({ roleArn: ROLE, deny: true });
    expect((await rejection(assumed())).name).toBe('AccessDenied');
    await control.role({ roleArn: ROLE });
    await expect(assumed()).resolves.toBeDefined();
  });

  it('takes injected faults like the other services, in awsQuery codes', async () => {
    await control.fault({ operation: 'AssumeRole', kind: 'throttle', count: 1 });
    expect((await rejection(assumed())).name).toBe('Throttling');
    await expect(assumed()).resolves.toBeDefined();
  });

  it('GetCallerIdentity names the account of the signing key', async () => {
    const defaultIdentity = await sts().send(new GetCallerIdentityCommand({}));
    expect(defaultIdentity.Account).toBe('123456789012');
    const { credentials } = await assumed();
    const client = new STSClient({ region: 'us-east-1', endpoint: sim.url, credentials });
    expect((await client.send(new GetCallerIdentityCommand({}))).Account).toBe(MEMBER);
  });
});

describe('accounts', () => {
  it('shows each account only its own instances, and the default account is unchanged', async () => {
    const { credentials } = await assumed();
    const member = new EC2Client({ region: 'us-east-1', endpoint: sim.url, credentials, maxAttempts: 1 });
    const memberIds = await instanceIds(member);
    const memberFleet = sim.accounts.fleet(MEMBER);
    expect(memberIds).toEqual(
      memberFleet
        .instancesIn('us-east-1')
        .map((i) => i.instanceId)
        .sort(),
    );
    expect(memberIds).toHaveLength(4);
    const out = await member.send(new DescribeInstancesCommand({}));
    expect(new Set(out.Reservations?.map((r) => r.OwnerId))).toEqual(new Set([MEMBER]));

    const defaultIds = await instanceIds(ec2Client(sim));
    expect(defaultIds).toEqual(
      sim.fleet
        .instancesIn('us-east-1')
        .map((i) => i.instanceId)
        .sort(),
    );
    expect(defaultIds.some((id) => memberIds.includes(id))).toBe(false);
  });

  it("cannot touch another account's instance, and Auto Scaling groups are per account", async () => {
    const { credentials } = await assumed();
    const member = new EC2Client({ region: 'us-east-1', endpoint: sim.url, credentials, maxAttempts: 1 });
    const defaultInstance = sim.fleet.instancesIn('us-east-1')[0]?.instanceId ?? '';
    const error = await rejection(
      member.send(new TerminateInstancesCommand({ InstanceIds: [defaultInstance] })),
    );
    expect(error.name).toBe('InvalidInstanceID.NotFound');
    expect(sim.fleet.instance(defaultInstance)?.state).not.toBe('shutting-down');

    const asg = new AutoScalingClient({
      region: 'us-east-1',
      endpoint: sim.url,
      credentials,
      maxAttempts: 1,
    });
    const groups = await asg.send(new DescribeAutoScalingGroupsCommand({}));
    expect(groups.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['web-us-east-1-asg']);
    expect(groups.AutoScalingGroups?.[0]?.Instances).toHaveLength(3);
  });

  it('the control API finds an instance in any account by id and lists accounts and roles', async () => {
    const memberId = sim.accounts.fleet(MEMBER).instancesIn('us-east-1')[0]?.instanceId ?? '';
    await control.drift(memberId, { httpTokens: 'optional' });
    expect((await control.instance(memberId)).metadataOptions.httpTokens).toBe('optional');
    const { accounts, defaultAccount } = await control.accounts();
    expect(defaultAccount).toBe('123456789012');
    expect(accounts.find((a) => a.account === MEMBER)).toMatchObject({
      instances: 4,
      roles: [ROLE, GUARDED],
    });
    expect((await control.roles()).map((r) => r.roleArn)).toEqual([ROLE, GUARDED]);
    await expect(control.role({ roleArn: 'arn:aws:iam::1:role/x' })).rejects.toBeInstanceOf(
      SimulatorControlError,
    );
  });

  it('refuses expired keys with ExpiredToken', async () => {
    const out = await sts().send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'short', DurationSeconds: 900 }),
    );
    const c = out.Credentials;
    const member = new EC2Client({
      region: 'us-east-1',
      endpoint: sim.url,
      credentials: { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '' },
      maxAttempts: 1,
    });
    await expect(instanceIds(member)).resolves.toHaveLength(4);
    clock.advance(901_000);
    expect((await rejection(instanceIds(member))).name).toBe('ExpiredToken');
  });
});
