// The daemon prunes past retention after a scan, off the scan's answer: log line and metric.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startHarness, type Harness } from '../support/harness.js';

const DAY = 86_400_000;
let now = Date.parse('2026-11-20T10:00:00.000Z');
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    instances: 12,
    seed: 5,
    captureLogs: true,
    clock: () => new Date(now),
    env: { DRIFTWARDEN_DATABASE_RETENTION_SCANS: '1d' },
  });
});
afterAll(async () => {
  await h.close();
});

/** Waits for the pass that follows a scan (it runs after the scan's answer), polling the metric. */
async function prunedScans(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const value = metricValue(await h.metrics(), 'driftwarden_pruned_rows_total', { table: 'scans' });
    if (value !== undefined && value > 0) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  return 0;
}

describe('retention in the daemon', () => {
  it('prunes scans past database.retention.scans after a later scan, logging and counting them', async () => {
    const metrics = await h.metrics();
    for (const table of ['instances', 'findings', 'scans', 'host_observations', 'audit_log'])
      expect(metricValue(metrics, 'driftwarden_pruned_rows_total', { table })).toBe(0);
    await h.scan();
    await h.scan();
    now += 2 * DAY;
    const last = await h.scan();

    expect(await prunedScans()).toBe(2);
    const { body } = await h.get<{ items: { scanId: string }[] }>('/api/v1/scans');
    expect(body.items.map((s) => s.scanId)).toEqual([last.scanId]);
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        msg: 'retention pruned old rows',
        pruned: { instances: 0, findings: 0, scans: 2, host_observations: 0, audit_log: 0 },
      }),
    );
  });
});
