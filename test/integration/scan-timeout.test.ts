// A scan cut short by scan.timeout is still recorded: the slow region is stale, the others scanned.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    instances: 20,
    seed: 2,
    // Listing threads take about a second to load the SDK on a busy machine: here the scan lists on
    // its own thread (list-threads.test.ts covers them). The timeout leaves a loaded machine (the
    // suite runs two files at once) room for a whole scan; the fault below is well beyond it.
    env: { DRIFTWARDEN_SCAN_TIMEOUT: '5s', DRIFTWARDEN_AWS_LIST_THREADS: '0' },
  });
});
afterAll(async () => {
  await h.close();
});

it('records a region slower than scan.timeout as stale and keeps the scan', async () => {
  expect((await h.scan()).outcome).toBe('success');
  await h.control.fault({
    region: 'eu-west-1',
    operation: 'DescribeInstances',
    kind: 'latency',
    latencyMs: 15_000,
  });
  const scan = await h.scan();
  expect(scan.outcome).toBe('partial');
  const eu = scan.targets.find((t) => t.region === 'eu-west-1');
  expect(eu?.status).toBe('stale');
  expect(eu?.error).toMatch(/abort|timeout/i);
  expect(scan.targets.find((t) => t.region === 'us-east-1')?.status).toBe('ok');
  const scans = await h.get<{ items: { scanId: string; outcome: string }[] }>('/api/v1/scans');
  expect(scans.body.items[0]).toMatchObject({ scanId: scan.scanId, outcome: 'partial' });
  await h.control.clearFaults();
});
