// `driftwarden demo` as a newcomer runs it, scraped by a real Prometheus: within 3 minutes every dashboard
// query has data, a revoked build's instances have revoked-image findings, and replacements really
// finished in the demo's simulator.
//
// The demo runs with its timings shortened by its own flags (scans every 2 s, throttling after 4 s,
// the revocation after 8 s); nothing else is arranged: the revocation, the throttling burst and the
// replacements are the demo's own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatorControl } from '@driftwarden/simulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type DemoProcess } from '../support/demo-process.js';
import { evaluateDashboards, startPrometheus, type Prometheus } from '../support/prometheus.js';
import type { JobView } from '../support/remediation.js';

/** The promise this test checks: everything shows within this long of starting the demo. */
const WITHIN_MS = 180_000;
const NOTICE = 'demo: enforce against the simulated fleet';

const dir = mkdtempSync(join(tmpdir(), 'dw-demo-e2e-'));
let startedAt = 0;
let demo: DemoProcess;
let prometheus: Prometheus | undefined;

beforeAll(async () => {
  startedAt = Date.now();
  demo = await startDemo([
    '--instances',
    '24',
    '--interval',
    '2',
    '--drift-every',
    '5',
    '--throttle-after',
    '4',
    '--revoke-after',
    '8',
    '--data',
    join(dir, 'demo'),
  ]);
  prometheus = await startPrometheus({ targets: [new URL(demo.url).host] });
}, 60_000);

afterAll(async () => {
  await prometheus?.close();
  demo?.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function get<T>(base: string, path: string): Promise<T> {
  const response = await fetch(`${base}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** What the demo must have shown by now; an empty list when everything has. */
async function stillMissing(control: SimulatorControl): Promise<string[]> {
  const missing: string[] = [];
  const { empty } = await evaluateDashboards(prometheus!, Date.now());
  missing.push(...empty.map((e) => `no data: ${e}`));

  // A build revoked, and each instance that ran it (replaced since, or not yet) has a revoked-image finding.
  const manifests = await get<{ items: { manifest: { image: { id: string } }; status: string }[] }>(
    demo.url,
    '/api/v1/manifests?limit=1000',
  );
  const revoked = manifests.items.filter((m) => m.status === 'revoked').map((m) => m.manifest.image.id);
  const fleet = await control.fleet();
  const revokedInstances = fleet.instances
    .filter((i) => revoked.includes(i.imageId))
    .map((i) => i.instanceId);
  const findings = await get<{ items: { instanceId: string; imageId: string }[] }>(
    demo.url,
    '/api/v1/findings?rule=revoked-image&includeResolved=true&limit=1000',
  );
  const withFinding = new Set(findings.items.map((f) => f.instanceId));
  if (revoked.length === 0) missing.push('no revoked manifest');
  else if (revokedInstances.length === 0)
    missing.push(`no instance in the simulator ran ${revoked.join(', ')}`);
  for (const id of revokedInstances)
    if (!withFinding.has(id))
      missing.push(`${id} runs revoked ${revoked.join(', ')} but has no revoked-image finding`);

  // A replacement finished in the simulator: the new instance runs a build that is not revoked, the old one is gone.
  const jobs = await get<{ items: JobView[] }>(demo.url, '/api/v1/replacements?limit=1000');
  let replaced = 0;
  for (const job of jobs.items.filter((j) => j.state === 'succeeded' && j.newInstanceId !== null)) {
    const [old, replacement] = await Promise.all([
      control.instance(job.instanceId),
      control.instance(job.newInstanceId!),
    ]);
    if (
      ['shutting-down', 'terminated'].includes(old.state) &&
      replacement.state === 'running' &&
      !revoked.includes(replacement.imageId)
    )
      replaced++;
  }
  if (replaced === 0)
    missing.push(
      `no replacement finished in the simulator (jobs: ${JSON.stringify(jobs.items.map((j) => [j.instanceId, j.state]))})`,
    );

  // The numbers behind the panels come from these events, not from the pre-set zeros.
  const checks: [string, number][] = [
    ['sum(driftwarden_aws_requests_total{outcome="throttled"})', 1],
    ['sum(driftwarden_replacements_total{outcome="succeeded"})', 1],
    ['sum(driftwarden_manifests{status="revoked"})', 1],
    ['max_over_time(sum(driftwarden_findings{rule="revoked-image"})[10m:1s])', 1],
  ];
  for (const [expr, atLeast] of checks) {
    const value = await prometheus!.value(expr);
    if (!(value >= atLeast)) missing.push(`${expr} is ${value}, expected at least ${atLeast}`);
  }
  return missing;
}

it('shows data in every dashboard query, revoked-image findings and real replacements within 3 minutes, and stops cleanly', async () => {
  // The banner and every page say what the demo acts on.
  expect(demo.banner).toContain(`Remediation: ${NOTICE}`);
  const overview = await fetch(`${demo.url}/ui`);
  expect(await overview.text()).toContain(`<p class="site-notice" role="note">${NOTICE}</p>`);
  expect(await (await fetch(`${demo.url}/ui/replacements`)).text()).toContain(NOTICE);

  const control = new SimulatorControl(demo.simulatorUrl);
  let missing = await stillMissing(control);
  while (missing.length > 0 && Date.now() - startedAt < WITHIN_MS) {
    const exitCode = demo.child.exitCode;
    if (exitCode !== null) throw new Error(`demo exited with ${exitCode}:\n${demo.output()}`);
    await new Promise((r) => setTimeout(r, 2000));
    missing = await stillMissing(control);
  }
  expect(missing, `within ${WITHIN_MS / 1000} s of starting the demo`).toEqual([]);

  expect(await demo.stop(), demo.output()).toBe(0);
}, 240_000);
