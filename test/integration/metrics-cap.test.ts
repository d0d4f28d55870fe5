// driftwarden_instance_drift is capped (metrics.instanceDriftLimit), worst severity first.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { metricSum, metricValue, startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ instances: 20, seed: 4, env: { DRIFTWARDEN_METRICS_INSTANCE_DRIFT_LIMIT: '2' } });
});
afterAll(async () => {
  await h.close();
});

it('exports at most the configured number of per-instance drift series, critical ones first', async () => {
  const [a, b, c] = h.sim.fleet.allInstances().filter((i) => i.state === 'running' && i.channel !== null);
  await h.control.drift(a!.instanceId, { tags: { role: null } }); // info
  await h.control.drift(b!.instanceId, { httpTokens: 'optional' }); // critical
  await h.control.drift(c!.instanceId, { instanceType: 'x2iedn.32xlarge' }); // warning
  const scan = await h.scan();
  expect(scan.instances.drifted).toBe(3);

  const metrics = await h.metrics();
  const series = metrics.split('\n').filter((l) => l.startsWith('driftwarden_instance_drift{'));
  expect(series).toHaveLength(2);
  expect(
    metricValue(metrics, 'driftwarden_instance_drift', { instance_id: b!.instanceId, severity: 'critical' }),
  ).toBe(1);
  expect(
    metricValue(metrics, 'driftwarden_instance_drift', { instance_id: c!.instanceId, severity: 'warning' }),
  ).toBe(1);
  expect(metricValue(metrics, 'driftwarden_instance_drift', { instance_id: a!.instanceId })).toBeUndefined();
  expect(metricValue(metrics, 'driftwarden_instances', { state: 'drifted' })).toBe(3);
  expect(metricSum(metrics, 'driftwarden_findings', { rule: 'imds-downgrade', severity: 'critical' })).toBe(
    1,
  );
});
