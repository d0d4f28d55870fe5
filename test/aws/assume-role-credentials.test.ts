// AssumeRole credentials against the simulator's STS: cached, shared, refreshed before expiry, failures named.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError, TerminalError } from '../../src/domain/errors.js';
import { assumeRoleCredentials, refreshMarginMs } from '../../src/aws/assume-role-credentials.js';
import { AwsClients, roleForAccount } from '../../src/aws/aws-clients.js';
import { SimulatorControl, startSimulator, type Simulator } from '@driftwarden/simulator';
import { ManualClock, rejection } from '../simulator/sdk-client.js';

const MEMBER = '210987654321';
const ROLE = `arn:aws:iam::${MEMBER}:role/driftwarden-scan`;
const GUARDED = `arn:aws:iam::${MEMBER}:role/guarded`;
const MINUTE = 60_000;

let sim: Simulator;
let control: SimulatorControl;
const clock = new ManualClock();
const nowMs = () => clock.now().getTime();

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  sim = await startSimulator({ instances: 8, now: clock.now });
  control = new SimulatorControl(sim.url);
  await control.role({ roleArn: ROLE });
  await control.role({ roleArn: GUARDED, externalId: 'ticket-4711' });
  await control.launchBulk({ region: 'us-east-1', count: 2, channel: 'web' }, MEMBER);
  await control.launchBulk({ region: 'eu-west-1', count: 1, channel: 'batch' }, MEMBER);
});

afterAll(async () => {
  await sim.close();
});

let since = 0;
beforeEach(() => {
  since = sim.requestLog().at(-1)?.seq ?? 0;
});

const assumeRoleCalls = () => sim.requestLog(since).filter((e) => e.action === 'AssumeRole');

function sts(maxAttempts = 1): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: sim.url, maxAttempts });
}

describe('refreshMarginMs', () => {
  it('refreshes 5 minutes early, or a quarter of the lifetime for short sessions', () => {
    expect(refreshMarginMs(60 * MINUTE)).toBe(5 * MINUTE);
    expect(refreshMarginMs(15 * MINUTE)).toBe(225_000);
    expect(refreshMarginMs(4_000)).toBe(1_000);
    expect(refreshMarginMs(-1)).toBe(0);
  });
});

describe('assumeRoleCredentials', () => {
  it('assumes the role once, serves the cached credentials, and shares one call among concurrent callers', async () => {
    const provider = assumeRoleCredentials({ sts: sts(), roleArn: ROLE, externalId: null, now: nowMs });
    const all = await Promise.all([provider(), provider(), provider(), provider()]);
    expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
    expect(all[0]?.expiration?.getTime()).toBe(nowMs() + 60 * MINUTE);
    expect((await provider()).accessKeyId).toBe(all[0]?.accessKeyId);
    expect(assumeRoleCalls()).toHaveLength(1);
    expect(assumeRoleCalls()[0]?.params).toMatchObject({ RoleArn: ROLE, RoleSessionName: 'driftwarden' });
    expect(assumeRoleCalls()[0]?.params).not.toHaveProperty('ExternalId');
  });

  it('refreshes before Expiration: 5 minutes early for a 1-hour session', async () => {
    const provider = assumeRoleCredentials({ sts: sts(), roleArn: ROLE, externalId: null, now: nowMs });
    const first = await provider();
    clock.advance(54 * MINUTE);
    expect((await provider()).accessKeyId).toBe(first.accessKeyId);
    clock.advance(MINUTE + 1);
    const second = await provider();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(second.expiration?.getTime()).toBe(nowMs() + 60 * MINUTE);
    expect(assumeRoleCalls()).toHaveLength(2);
  });

  it('refreshes a short session a quarter of its lifetime early', async () => {
    const provider = assumeRoleCredentials({
      sts: sts(),
      roleArn: ROLE,
      externalId: null,
      durationSeconds: 900,
      now: nowMs,
    });
    const first = await provider();
    clock.advance(11 * MINUTE);
    expect((await provider()).accessKeyId).toBe(first.accessKeyId);
    clock.advance(16_000); // 11m16s: past 15m − 3m45s
    expect((await provider()).accessKeyId).not.toBe(first.accessKeyId);
    expect(assumeRoleCalls().map((e) => e.params.DurationSeconds)).toEqual(['900', '900']);
  });

  it('sends the ExternalId; a wrong one is a TerminalError naming the role and AccessDenied', async () => {
    const right = assumeRoleCredentials({
      sts: sts(),
      roleArn: GUARDED,
      externalId: 'ticket-4711',
      now: nowMs,
    });
    await expect(right()).resolves.toHaveProperty('accessKeyId');
    expect(assumeRoleCalls()[0]?.params.ExternalId).toBe('ticket-4711');

    const wrong = assumeRoleCredentials({ sts: sts(), roleArn: GUARDED, externalId: 'guess', now: nowMs });
    const error = await rejection(wrong());
    expect(error).toBeInstanceOf(TerminalError);
    expect(error.message).toMatch(
      new RegExp(
        `^AssumeRole ${GUARDED} failed: AccessDenied: User: .* is not authorized to perform: sts:AssumeRole`,
      ),
    );
  });

  it('does not cache a failure: once the role trusts us again, the next call succeeds', async () => {
    await control.role({ roleArn: ROLE, deny: true });
    const provider = assumeRoleCredentials({ sts: sts(), roleArn: ROLE, externalId: null, now: nowMs });
    expect((await rejection(provider())).message).toContain('AccessDenied');
    await control.role({ roleArn: ROLE });
    await expect(provider()).resolves.toHaveProperty('accessKeyId');
  });

  it('reports throttling as retryable', async () => {
    await control.fault({ operation: 'AssumeRole', kind: 'throttle', count: 1 });
    const provider = assumeRoleCredentials({ sts: sts(1), roleArn: ROLE, externalId: null, now: nowMs });
    const error = await rejection(provider());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toContain(`AssumeRole ${ROLE} failed: Throttling`);
  });
});

describe('AwsClients with a roleArn', () => {
  it("acts on the role's account, assumes it once for all regions, and counts the STS call", async () => {
    const recorded: string[] = [];
    const clients = new AwsClients({
      endpoint: sim.url,
      maxAttempts: 1,
      maxRequestsPerSecond: 100,
      record: (service, operation, outcome) => recorded.push(`${service}/${operation}/${outcome}`),
      now: nowMs,
    });
    try {
      const ids = async (region: string) => {
        const key = { account: MEMBER, region, roleArn: ROLE };
        const out = await clients.ec2(key).send(new DescribeInstancesCommand({}));
        return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId)).sort();
      };
      const member = sim.accounts.fleet(MEMBER);
      expect(await ids('us-east-1')).toEqual(member.instancesIn('us-east-1').map((i) => i.instanceId));
      expect(await ids('eu-west-1')).toEqual(member.instancesIn('eu-west-1').map((i) => i.instanceId));
      expect(await ids('us-east-1')).toHaveLength(2);

      expect(assumeRoleCalls()).toHaveLength(1);
      expect(assumeRoleCalls()[0]).toMatchObject({ region: 'us-east-1', service: 'sts' });
      const describes = sim.requestLog(since).filter((e) => e.action === 'DescribeInstances');
      expect(new Set(describes.map((e) => e.account))).toEqual(new Set([MEMBER]));
      expect(recorded.filter((r) => r.startsWith('sts/'))).toEqual(['sts/AssumeRole/success']);

      // Without a roleArn: the default chain and the default account, as before.
      const plain = await clients
        .ec2({ account: null, region: 'us-east-1' })
        .send(new DescribeInstancesCommand({}));
      expect(plain.Reservations?.[0]?.OwnerId).toBe('123456789012');
    } finally {
      clients.destroy();
    }
  });
});

describe('AwsClients request timeouts', () => {
  it('an AssumeRole that does not answer fails the request after the timeout instead of hanging', async () => {
    await control.fault({ operation: 'AssumeRole', kind: 'latency', latencyMs: 5_000, count: 1 });
    const clients = new AwsClients({
      endpoint: sim.url,
      maxAttempts: 1,
      maxRequestsPerSecond: 100,
      record: () => undefined,
      now: nowMs,
      requestTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      const error = await rejection(
        clients
          .ec2({ account: MEMBER, region: 'us-east-1', roleArn: ROLE })
          .send(new DescribeInstancesCommand({})),
      );
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(error.message).toMatch(/AssumeRole .* failed/);
    } finally {
      clients.destroy();
      await control.clearFaults();
    }
  });
});

describe('roleForAccount', () => {
  it('finds the role of the target an instance was scanned from, by account and region, else by account', () => {
    const roleOf = roleForAccount([
      { account: null, region: 'us-east-1', roleArn: null },
      { account: MEMBER, region: 'us-east-1', roleArn: ROLE, externalId: null },
      { account: MEMBER, region: 'eu-west-1', roleArn: GUARDED, externalId: 'ticket-4711' },
    ]);
    expect(roleOf({ account: MEMBER, region: 'eu-west-1' })).toEqual({
      roleArn: GUARDED,
      externalId: 'ticket-4711',
    });
    expect(roleOf({ account: MEMBER, region: 'ap-south-1' })).toEqual({ roleArn: ROLE, externalId: null });
    expect(roleOf({ account: null, region: 'us-east-1' })).toEqual({ roleArn: null, externalId: null });
    expect(roleOf({ account: '999999999999', region: 'us-east-1' })).toEqual({
      roleArn: null,
      externalId: null,
    });
  });
});
