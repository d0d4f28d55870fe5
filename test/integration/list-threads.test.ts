// Listing threads (aws.listThreads): the parts of each target are fetched and parsed on worker
// threads; the scan sees every instance once, their AWS calls are counted, their failures named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startHarness, type Harness } from '../support/harness.js';

interface ApiInstance {
  instanceId: string;
  region: string;
  observation: { imageId: string; state: string; tags: Record<string, string>; securityGroups: string[] };
}

describe('aws.listThreads: 2, four parts per target, pages of 5', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 60,
      seed: 11,
      regions: ['us-east-1', 'eu-west-1'],
      env: {
        DRIFTWARDEN_AWS_LIST_THREADS: '2',
        DRIFTWARDEN_AWS_LIST_PARTITIONS: '4',
        DRIFTWARDEN_AWS_PAGE_SIZE: '5',
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('sees every instance of every target exactly once, as EC2 reports it', async () => {
    const scan = await h.scan();
    expect(scan.outcome).toBe('success');
    const listed = await h.get<{ items: ApiInstance[] }>('/api/v1/instances?limit=1000');
    const expected = h.sim.fleet.allInstances().filter((i) => i.state !== 'terminated');
    expect(listed.body.items.map((i) => i.instanceId).sort()).toEqual(
      expected.map((i) => i.instanceId).sort(),
    );
    for (const instance of expected) {
      const seen = listed.body.items.find((i) => i.instanceId === instance.instanceId);
      expect(seen?.region).toBe(instance.region);
      expect(seen?.observation).toMatchObject({
        imageId: instance.imageId,
        state: instance.state,
        tags: Object.fromEntries(instance.tags),
        securityGroups: [...new Set(instance.securityGroupIds)].sort(),
      });
    }
    // Each region's four parts were listed page by page on the threads, and counted.
    const pages = metricValue(await h.metrics(), 'driftwarden_aws_requests_total', {
      service: 'ec2',
      operation: 'DescribeInstances',
      outcome: 'success',
    });
    expect(pages).toBeGreaterThanOrEqual(expected.length / 5);
  });

  it('records a region whose listing is refused as stale, naming the AWS error, and scans the other', async () => {
    await h.control.fault({ region: 'eu-west-1', operation: 'DescribeInstances', kind: 'unauthorized' });
    try {
      const scan = await h.scan();
      expect(scan.outcome).toBe('partial');
      expect(scan.targets.find((t) => t.region === 'eu-west-1')).toMatchObject({
        status: 'stale',
        error: expect.stringMatching(/^UnauthorizedOperation: /) as unknown,
      });
      expect(scan.targets.find((t) => t.region === 'us-east-1')).toMatchObject({ status: 'ok', error: null });
    } finally {
      await h.control.clearFaults();
    }
    expect((await h.scan()).outcome).toBe('success');
  });
});
