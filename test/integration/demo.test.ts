// `driftwarden demo`: a newcomer sees drifted instances in /metrics and the web UI within two scans.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { metricValue } from '../support/harness.js';

let child: ChildProcess | null = null;
const dir = mkdtempSync(join(tmpdir(), 'dw-demo-'));

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function waitForUrl(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /metrics:\s+(http:\/\/\S+)\/metrics/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    proc.once('exit', (code) =>
      reject(new Error(`demo exited with ${code} before printing its URLs:\n${out}`)),
    );
  });
}

it('serves drifted instances in /metrics by the second scan, and stops cleanly', async () => {
  child = spawn(
    process.execPath,
    [
      'dist/src/cli/bin.js',
      'demo',
      '--port',
      '0',
      '--interval',
      '2',
      '--drift-every',
      '3',
      '--data',
      join(dir, 'demo'),
    ],
    { env: { ...process.env, DRIFTWARDEN_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await waitForUrl(child);

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
  expect(await overview.text()).toContain('Fleet overview');
  const acceptances = (await (await fetch(`${url}/api/v1/acceptances`)).json()) as {
    items: { instanceId: string; reason: string }[];
  };
  expect(acceptances.items).toHaveLength(1);
  const tolerated = await (await fetch(`${url}/ui/instances/${acceptances.items[0]!.instanceId}`)).text();
  expect(tolerated).toContain('id="findings-accepted"');

  const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  child = null;
});
