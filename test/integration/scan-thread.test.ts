// The daemon scans on its own thread: scans, logs, AWS metrics and rule reloads cross it; stop ends it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, SCAN_TOKEN, startHarness, type Harness } from '../support/harness.js';
import { copyShippedRules } from '../support/rules-copy.js';

const rules = copyShippedRules('dw-thread-rules-');
const rulesDir = rules.dir;
afterAll(() => rules.remove());

function logsOf(h: Harness, msg: string): Record<string, unknown>[] {
  return h.logs.filter((line) => line.msg === msg);
}

describe('scan.thread: true (the default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 24,
      seed: 5,
      captureLogs: true,
      env: { DRIFTWARDEN_RULES_DIR: rulesDir },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('runs the scan on the scan thread: its log lines say so and its AWS calls reach /metrics', async () => {
    const scan = await h.scan();
    expect(scan.outcome).toBe('success');
    expect(scan.instances.total).toBeGreaterThan(0);
    const finished = logsOf(h, 'scan finished');
    expect(finished.at(-1)).toMatchObject({ thread: 'scan', scanId: scan.scanId, outcome: 'success' });
    const listed = metricValue(await h.metrics(), 'driftwarden_aws_requests_total', {
      service: 'ec2',
      operation: 'DescribeInstances',
      outcome: 'success',
    });
    expect(listed).toBeGreaterThanOrEqual(2); // one region each, at least one page
    // What the thread wrote is what the main thread reads: the API sees the scan's instances.
    const instances = await h.get<{ items: unknown[] }>('/api/v1/instances?limit=1000');
    expect(instances.body.items).toHaveLength(scan.instances.total);
  });

  it('applies reloaded rules (SIGHUP) in the scan thread from the next scan on', async () => {
    const old = h.sim.fleet.allInstances().find((i) => i.state === 'running' && i.channel !== null);
    if (!old?.channel) throw new Error('no running instance with a channel');
    const newer = await h.addImage({
      region: old.region,
      channel: old.channel,
      builtAt: '2026-11-25T10:00:00Z',
    });
    expect((await h.post('/api/v1/manifests', newer)).status).toBe(201);
    const before = (await h.scan()).findings.find((f) => f.instanceId === old.instanceId);
    expect(before).toMatchObject({ rule: 'superseded-image', severity: 'info' });

    const file = join(rulesDir, '10-image.yaml');
    const text = readFileSync(file, 'utf8');
    const edited = text.replace(
      /(- id: superseded-image[\s\S]*?severity: )info/,
      (_, head: string) => `${head}warning`,
    );
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);
    expect(h.daemon.reloadRules()).toBeNull();

    const after = (await h.scan()).findings.find((f) => f.instanceId === old.instanceId);
    expect(after).toMatchObject({ rule: 'superseded-image', severity: 'warning' });
  });

  it('stops during a running scan: the thread ends and the aborted scan is not recorded', async () => {
    const before = await h.get<{ items: { scanId: string }[] }>('/api/v1/scans');
    await h.control.fault({ operation: 'DescribeInstances', kind: 'latency', latencyMs: 2000 });
    const pending = h.daemon.scans.trigger();
    pending.catch(() => undefined);
    await expect.poll(() => h.daemon.scans.running).toBe(true);
    await h.daemon.stop();
    await expect(pending).rejects.toThrow(/shutting down|abort/i);
    await h.control.clearFaults();

    await h.restart();
    const after = await h.get<{ items: { scanId: string }[] }>('/api/v1/scans');
    expect(after.body.items.map((s) => s.scanId)).toEqual(before.body.items.map((s) => s.scanId));
    expect(logsOf(h, 'stopped; database closed').length).toBeGreaterThanOrEqual(1);
  });
});

describe('scan.thread: false', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 12,
      seed: 6,
      captureLogs: true,
      env: { DRIFTWARDEN_SCAN_THREAD: 'false' },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('scans on the main thread: same result, log lines without a thread', async () => {
    const scan = await h.scan();
    expect(scan.outcome).toBe('success');
    const finished = logsOf(h, 'scan finished').at(-1);
    expect(finished).toMatchObject({ scanId: scan.scanId });
    expect(finished).not.toHaveProperty('thread');
  });
});

describe('scan.maxHeapMb: a scan that needs more memory than the limit', () => {
  let h: Harness;
  beforeAll(async () => {
    // At the smallest limit, 60,000 instances are more than the thread may hold.
    h = await startHarness({
      instances: 60_000,
      seed: 7,
      regions: ['us-east-1'],
      captureLogs: true,
      env: { DRIFTWARDEN_SCAN_MAX_HEAP_MB: '64' },
    });
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it('fails the scan naming the setting, keeps serving, and starts a new thread for the next scan', async () => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const answer = await h.post<{ title: string; detail: string }>(
        '/api/v1/scans?wait=true',
        undefined,
        SCAN_TOKEN,
      );
      expect(answer.status).toBe(500);
      // The caller who waited learns why, as the log says it.
      expect(answer.body.title).toBe('Scan failed');
      expect(answer.body.detail).toContain('more than scan.maxHeapMb (64 MiB); raise it');
      expect((await h.get('/healthz')).status).toBe(200);
    }
    // Each attempt ran on a thread of its own, and the log says why it ended and what to change.
    const exits = logsOf(h, 'scan thread exited unexpectedly; the next scan starts a new one');
    expect(exits).toHaveLength(2);
    for (const exit of exits)
      expect(String(exit.err)).toContain('more than scan.maxHeapMb (64 MiB); raise it');
    // Neither scan left a row, yet both count as failures for DriftwardenScansFailing.
    expect(metricValue(await h.metrics(), 'driftwarden_scans_total', { outcome: 'failure' })).toBe(2);
  }, 120_000);
});
