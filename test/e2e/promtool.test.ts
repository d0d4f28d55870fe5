// Our /metrics exposition passes `promtool check metrics` (Debian package `prometheus`) with no warnings.
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INGEST_TOKEN, startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ instances: 30 });
});
afterAll(async () => {
  await h.close();
});

function promtool(): string {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    throw new Error('promtool not found: install the Debian package `prometheus` (see README, "Tests")');
  return found;
}

it('exposes metrics that promtool accepts without warnings, with drift, a partial scan and AWS errors in them', async () => {
  const [first, second] = h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null);
  await h.control.drift(first!.instanceId, { httpTokens: 'optional', tags: { role: null } });
  await h.control.launch({ region: 'us-east-1', imageId: 'ami-0000000000000dead' });
  const baked = h.sim.fleet.image(second!.imageId)!.spec.host;
  await h.scan();
  await h.post(
    '/api/v1/fingerprints',
    {
      instanceId: second!.instanceId,
      observedAt: new Date().toISOString(),
      host: { ...baked, packages: { ...baked.packages, curl: '0.0.1' } },
    },
    INGEST_TOKEN,
  );
  await h.control.fault({ region: 'eu-west-1', operation: 'DescribeInstances', kind: 'throttle' });
  const scan = await h.scan();
  expect(scan.outcome).toBe('partial');
  expect(scan.findings.length).toBeGreaterThanOrEqual(3);

  const exposition = await h.metrics();
  for (const name of [
    'driftwarden_instances',
    'driftwarden_findings',
    'driftwarden_instance_drift',
    'driftwarden_drift_oldest_seconds',
    'driftwarden_scans_total',
    'driftwarden_scan_duration_seconds',
    'driftwarden_last_successful_scan_timestamp_seconds',
    'driftwarden_target_last_scanned_timestamp_seconds',
    'driftwarden_aws_requests_total',
    'driftwarden_manifests',
  ]) {
    expect(exposition).toContain(`# TYPE ${name} `);
  }
  const result = spawnSync(promtool(), ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  expect(result.stderr + result.stdout).toBe('');
  expect(result.status).toBe(0);
  expect(execFileSync(promtool(), ['--version'], { encoding: 'utf8' })).toContain('promtool');
});
