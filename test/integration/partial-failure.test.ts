// A failing region never turns its instances into "gone" or "drifted": they go stale and keep their findings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ instances: 50, seed: 11 });
});
afterAll(async () => {
  await h.close();
});

function firstRunning(region: string, nth = 0): string {
  const found = h.sim.fleet
    .allInstances()
    .filter((i) => i.region === region && i.state === 'running' && i.channel !== null)[nth];
  if (!found) throw new Error(`no instance in ${region}`);
  return found.instanceId;
}

interface Listed {
  items: { instanceId: string; status: string }[];
}

describe.each([
  ['throttling', 'throttle', 'RequestLimitExceeded'],
  ['5xx errors', '5xx', 'InternalError'],
] as const)('when eu-west-1 answers with %s', (_name, kind, errorName) => {
  it('records a partial scan, marks that region stale and leaves its findings untouched', async () => {
    const euDrifted = firstRunning('eu-west-1', 0);
    const euHealed = euDrifted;
    const euNewDrift = firstRunning('eu-west-1', 1);
    const usDrift = firstRunning('us-east-1', 0);

    // An open finding in eu-west-1 before the outage.
    await h.control.drift(euDrifted, { instanceType: 'c5.9xlarge' });
    const before = await h.scan();
    expect(before.findings.map((f) => f.instanceId)).toEqual([euDrifted]);

    await h.control.fault({ region: 'eu-west-1', operation: 'DescribeInstances', kind });
    await h.control.reset(euHealed); // would resolve the finding — but eu-west-1 cannot be seen
    await h.control.drift(euNewDrift, { httpTokens: 'optional' }); // would create one — same
    await h.control.drift(usDrift, { httpTokens: 'optional' });

    const scan = await h.scan();
    expect(scan.outcome).toBe('partial');
    const eu = scan.targets.find((t) => t.region === 'eu-west-1');
    expect(eu).toMatchObject({ status: 'stale' });
    expect(eu?.error).toContain(errorName);
    expect(scan.targets.find((t) => t.region === 'us-east-1')).toMatchObject({ status: 'ok', error: null });

    // eu-west-1: nothing created, nothing resolved, every instance stale.
    expect(scan.findings.filter((f) => f.instanceId === euDrifted)).toEqual([
      expect.objectContaining({ path: 'launch.instanceType', firstSeen: before.findings[0]?.firstSeen }),
    ]);
    expect(scan.findings.filter((f) => f.instanceId === euNewDrift)).toEqual([]);
    // us-east-1 was scanned normally.
    expect(scan.findings.filter((f) => f.instanceId === usDrift)).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens', change: 'changed' }),
    ]);
    const euInstances = h.sim.fleet
      .allInstances()
      .filter((i) => i.region === 'eu-west-1' && i.state !== 'terminated');
    const stale = await h.get<Listed>('/api/v1/instances?region=eu-west-1&limit=1000');
    expect(stale.body.items).toHaveLength(euInstances.length);
    expect(new Set(stale.body.items.map((i) => i.status))).toEqual(new Set(['stale']));
    expect(scan.instances.stale).toBe(euInstances.length);

    const metrics = await h.metrics();
    expect(metricValue(metrics, 'driftwarden_instances', { state: 'stale' })).toBe(euInstances.length);
    // The scanner's outage does not silence drift it already saw.
    expect(metricValue(metrics, 'driftwarden_instance_drift', { instance_id: euDrifted })).toBe(1);
    expect(metricValue(metrics, 'driftwarden_scans_total', { outcome: 'partial' })).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(metrics, 'driftwarden_aws_requests_total', {
        service: 'ec2',
        operation: 'DescribeInstances',
        outcome: kind === 'throttle' ? 'throttled' : 'error',
      }),
    ).toBeGreaterThanOrEqual(1);
    const ready = await h.get<{ checks: { name: string; ok: boolean }[] }>('/readyz');
    expect(ready.body.checks.find((c) => c.name === 'scan')).toBeDefined();

    // Recovery: the region is seen again, and its state catches up.
    await h.control.clearFaults();
    const recovered = await h.scan();
    expect(recovered.outcome).toBe('success');
    expect(recovered.findings.map((f) => f.instanceId).sort()).toEqual([euNewDrift, usDrift].sort());
    expect(recovered.instances.stale).toBe(0);

    await h.control.reset(euNewDrift);
    await h.control.reset(usDrift);
    expect((await h.scan()).findings).toEqual([]);
  });
});

describe('when every region fails', () => {
  it('records a failed scan and keeps every instance as it was, marked stale', async () => {
    const total = (await h.scan()).instances.total;
    await h.control.fault({ operation: 'DescribeInstances', kind: 'unauthorized' });
    const scan = await h.scan();
    expect(scan.outcome).toBe('failure');
    expect(
      scan.targets.every((t) => t.status === 'stale' && (t.error ?? '').includes('UnauthorizedOperation')),
    ).toBe(true);
    expect(scan.instances).toMatchObject({ total, stale: total });
    expect(metricValue(await h.metrics(), 'driftwarden_scans_total', { outcome: 'failure' })).toBe(1);
    await h.control.clearFaults();
    expect((await h.scan()).instances).toMatchObject({ total, compliant: total, stale: 0 });
  });
});
