// `driftwarden demo`: a newcomer sees drifted instances in /metrics and the web UI within two scans, labelled as the simulated fleet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startDemo, type DemoProcess } from '../support/demo-process.js';
import { metricValue } from '../support/harness.js';

let demo: DemoProcess | null = null;
const dir = mkdtempSync(join(tmpdir(), 'dw-demo-'));

afterAll(() => {
  demo?.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('serves drifted instances in /metrics by the second scan, and stops cleanly', async () => {
  demo = await startDemo(['--interval', '2', '--drift-every', '3', '--data', join(dir, 'demo')]);
  const { url } = demo;

  // Wait (bounded) for two completed scans, then the drift injected before the first must show.
  let scans: { items: unknown[] } = { items: [] };
  for (let i = 0; i < 100 && scans.items.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 200));
    scans = (await (await fetch(`${url}/api/v1/scans`)).json()) as { items: unknown[] };
  }
  expect(scans.items.length).toBeGreaterThanOrEqual(2);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metricValue(metrics, 'driftwarden_instances', { state: 'drifted' })).toBeGreaterThan(0);
  expect(metricValue(metrics, 'driftwarden_instances', { state: 'compliant' })).toBeGreaterThan(0);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // The web UI it prints: the overview, and the accepted drift the demo starts with.
  const overview = await fetch(`${url}/ui`);
  expect(overview.status).toBe(200);
  const overviewHtml = await overview.text();
  expect(overviewHtml).toContain('Fleet overview');
  // Remediation is enforce by default, only ever against the demo's simulator; every page says so.
  expect(overviewHtml).toContain(
    '<p class="site-notice" role="note">demo: enforce against the simulated fleet</p>',
  );
  const acceptances = (await (await fetch(`${url}/api/v1/acceptances`)).json()) as {
    items: { instanceId: string; reason: string }[];
  };
  expect(acceptances.items).toHaveLength(1);
  const tolerated = await (await fetch(`${url}/ui/instances/${acceptances.items[0]!.instanceId}`)).text();
  expect(tolerated).toContain('id="findings-accepted"');

  expect(await demo.stop()).toBe(0);
  demo = null;
});
