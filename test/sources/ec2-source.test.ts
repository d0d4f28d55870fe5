// The EC2 source over the real SDK and the simulator: observations, user data on demand, its cache and cap.
import { createHash } from 'node:crypto';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/domain/types.js';
import { RequestBudget } from '../../src/aws/request-budget.js';
import { instrumentClient, type AwsRequestOutcome } from '../../src/aws/aws-middleware.js';
import { partitionFilter } from '../../src/sources/ec2/describe-instance-pages.js';
import { createEc2Source } from '../../src/sources/ec2/ec2-source.js';
import { startSimulator, type Simulator } from '@driftwarden/simulator';

let sim: Simulator;
let client: EC2Client;
const recorded: [string, string, AwsRequestOutcome][] = [];
const target: Target = { account: null, region: 'us-east-1', roleArn: null, filters: {} };

beforeAll(async () => {
  sim = await startSimulator({ instances: 30, seed: 5, regions: ['us-east-1'] });
  client = new EC2Client({
    region: 'us-east-1',
    endpoint: sim.url,
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  instrumentClient(client, {
    service: 'ec2',
    budget: new RequestBudget({ maxRequestsPerSecond: 1000 }),
    record: (service, operation, outcome) => recorded.push([service, operation, outcome]),
  });
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

function context(now: Date, needsUserData = true) {
  return { now: () => now, needsUserData: () => needsUserData };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('the EC2 source', () => {
  it('maps every instance to a slim observation with the fields the diff reads', async () => {
    const source = createEc2Source({ clientFor: () => client, pageSize: 5 });
    const { instances } = await source.collect(target, context(new Date(), false));
    const expected = sim.fleet.instancesIn('us-east-1').filter((i) => i.state !== 'terminated');
    expect(instances.map((i) => i.instanceId).sort()).toEqual(expected.map((i) => i.instanceId).sort());
    const sample = expected[0]!;
    const seen = instances.find((i) => i.instanceId === sample.instanceId)!;
    expect(seen).toMatchObject({
      account: null,
      ownerId: '123456789012',
      region: 'us-east-1',
      imageId: sample.imageId,
      instanceType: sample.instanceType,
      iamInstanceProfile: sample.iamInstanceProfile?.arn ?? null,
      securityGroups: [...sample.securityGroupIds].sort(),
      metadataOptions: { httpTokens: sample.metadataOptions.httpTokens },
      asgName: sample.tags.get('aws:autoscaling:groupName') ?? null,
      source: 'ec2',
    });
    expect(seen.userDataSha256).toBeUndefined();
    expect(recorded).toContainEqual(['ec2', 'DescribeInstances', 'success']);
  });

  it('fetches user data at most N per scan, caches it, and refetches for stopped instances', async () => {
    const source = createEc2Source({ clientFor: () => client, pageSize: 1000, userDataFetchesPerScan: 10 });
    const now = new Date();
    const first = await source.collect(target, context(now));
    expect(first.instances.filter((i) => i.userDataSha256 !== undefined)).toHaveLength(10);
    const second = await source.collect(target, context(now));
    expect(second.instances.filter((i) => i.userDataSha256 !== undefined)).toHaveLength(20);

    const fetched = second.instances.find((i) => i.userDataSha256 !== undefined)!;
    const simInstance = sim.fleet.instance(fetched.instanceId)!;
    expect(fetched.userDataSha256).toBe(simInstance.userData === null ? null : sha256(simInstance.userData));

    // Running instances keep the cached hash; a stopped one is asked again (user data changes only while stopped).
    sim.fleet.drift(fetched.instanceId, { userData: '#!/bin/sh\necho changed', state: 'stopped' });
    const third = await source.collect(target, context(now));
    expect(third.instances.find((i) => i.instanceId === fetched.instanceId)?.userDataSha256).toBe(
      sha256('#!/bin/sh\necho changed'),
    );
  });

  it('lets SDK errors through to the scan cycle, which marks the target stale', async () => {
    const source = createEc2Source({ clientFor: () => client, pageSize: 1000 });
    sim.faults.add({ region: 'us-east-1', operation: 'DescribeInstances', kind: 'unauthorized', count: 1 });
    await expect(source.collect(target, context(new Date(), false))).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    expect(recorded).toContainEqual(['ec2', 'DescribeInstances', 'error']);
  });
});

describe('a partitioned listing', () => {
  const ids = (instances: readonly { instanceId: string }[]) => instances.map((i) => i.instanceId).sort();
  const listRequests = (since: number) =>
    sim.requestLog(since).filter((r) => r.action === 'DescribeInstances');

  it('splits the ids by their last hex digit into disjoint parts that cover all sixteen', () => {
    const parts = [0, 1, 2].map((index) => partitionFilter({ index, count: 3 }));
    expect(parts.map((p) => p.Name)).toEqual(['instance-id', 'instance-id', 'instance-id']);
    const digits = parts.flatMap((p) => p.Values.map((v) => v.replace('*', '')));
    expect(digits.sort()).toEqual([...'0123456789abcdef']);
    expect(() => partitionFilter({ index: 0, count: 17 })).toThrow(/1–16/);
    expect(() => partitionFilter({ index: 3, count: 3 })).toThrow(/0–2/);
  });

  it('lists every instance exactly once, in as many parts as asked, each part paged', async () => {
    const whole = await createEc2Source({ clientFor: () => client, pageSize: 5 }).collect(
      target,
      context(new Date(), false),
    );
    const since = sim.requestLog().length;
    const parted = await createEc2Source({ clientFor: () => client, pageSize: 5, listPartitions: 3 }).collect(
      target,
      context(new Date(), false),
    );
    expect(ids(parted.instances)).toEqual(ids(whole.instances));
    expect(new Set(ids(parted.instances)).size).toBe(parted.instances.length);
    // Three parts of about ten instances each, five per page: more than one page per part.
    expect(listRequests(since).length).toBeGreaterThan(3);
  });

  it('lists whole a target that filters on instance-id itself', async () => {
    const some = sim.fleet
      .instancesIn('us-east-1')
      .filter((i) => i.state === 'running')
      .slice(0, 2);
    const since = sim.requestLog().length;
    const { instances } = await createEc2Source({
      clientFor: () => client,
      pageSize: 5,
      listPartitions: 4,
    }).collect(
      { ...target, filters: { 'instance-id': some.map((i) => i.instanceId) } },
      context(new Date(), false),
    );
    expect(ids(instances)).toEqual(ids(some));
    expect(listRequests(since)).toHaveLength(1);
  });

  it('confirms an empty partitioned answer with one whole listing', async () => {
    const since = sim.requestLog().length;
    const { instances } = await createEc2Source({
      clientFor: () => client,
      pageSize: 5,
      listPartitions: 4,
    }).collect({ ...target, filters: { 'tag:Name': ['no-such-instance'] } }, context(new Date(), false));
    expect(instances).toEqual([]);
    expect(listRequests(since)).toHaveLength(5);
  });
});

describe('the request budget', () => {
  it('spaces requests to the configured rate after the initial burst', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const budget = new RequestBudget({
      maxRequestsPerSecond: 4,
      now: () => clock,
      sleep: (ms) => {
        sleeps.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    });
    for (let i = 0; i < 8; i++) await budget.take();
    // 4 immediately (one second's burst), then one every 250 ms.
    expect(sleeps).toEqual([250, 250, 250, 250]);
    expect(clock).toBe(1000);
  });

  it('is one budget for every thread that attaches to its state: their requests share the rate', async () => {
    let clock = 0;
    const sleeps: [string, number][] = [];
    const sleeper = (who: string) => (ms: number) => {
      sleeps.push([who, ms]);
      clock += ms;
      return Promise.resolve();
    };
    const scanThread = new RequestBudget({
      maxRequestsPerSecond: 4,
      now: () => clock,
      sleep: sleeper('scan'),
    });
    // What a listing thread builds from the SharedArrayBuffer it is handed.
    const listingThread = new RequestBudget({
      maxRequestsPerSecond: 4,
      state: scanThread.state,
      now: () => clock,
      sleep: sleeper('list'),
    });
    for (let i = 0; i < 3; i++) await scanThread.take();
    for (let i = 0; i < 3; i++) await listingThread.take();
    await scanThread.take();
    // Together: 4 at once, then one every 250 ms, whichever thread asks.
    expect(sleeps).toEqual([
      ['list', 250],
      ['list', 250],
      ['scan', 250],
    ]);
    expect(clock).toBe(750);
  });
});
