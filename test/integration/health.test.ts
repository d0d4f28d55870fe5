// /healthz says the process is alive; /readyz says whether it can be trusted (DB, migrations, a fresh scan).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metricValue, startHarness, type Harness } from '../support/harness.js';

interface Readiness {
  status: string;
  checks: { name: string; ok: boolean; detail: string }[];
}

describe('a daemon whose scans succeed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ instances: 12, seed: 3 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('is alive: GET /healthz → 200', async () => {
    const response = await h.get<{ status: string }>('/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('is ready after a successful scan, with database, migrations and scan checks all ok', async () => {
    const scan = await h.scan();
    expect(scan.outcome).toBe('success');
    const response = await h.get<Readiness>('/readyz');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ready');
    expect(response.body.checks).toEqual([
      { name: 'database', ok: true, detail: 'open' },
      { name: 'migrations', ok: true, detail: 'applied' },
      {
        name: 'scan',
        ok: true,
        detail: expect.stringContaining('last scan that listed a target at') as unknown,
      },
    ]);
  });
});

describe('a daemon whose every region fails', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ instances: 12, seed: 3, env: { DRIFTWARDEN_SCAN_STALE_AFTER: '1s' } });
    await h.control.fault({ operation: 'DescribeInstances', kind: 'unauthorized' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('is alive but not ready: /readyz → 503 with a failing scan check', async () => {
    const scan = await h.scan();
    expect(scan.outcome).toBe('failure');
    expect((await h.get('/healthz')).status).toBe(200);

    const response = await h.get<Readiness>('/readyz');
    expect(response.status).toBe(503);
    expect(response.body.status).toBe('not ready');
    expect(response.body.checks).toEqual([
      { name: 'database', ok: true, detail: 'open' },
      { name: 'migrations', ok: true, detail: 'applied' },
      // (main.ts words this "(first scan running)" for the first staleAfter even when that scan failed.)
      { name: 'scan', ok: false, detail: expect.stringMatching(/^no target listed yet/) as unknown },
    ]);
  });

  it('turns not ready again once the last scan that listed a target is older than scan.staleAfter', async () => {
    await h.control.clearFaults();
    expect((await h.scan()).outcome).toBe('success');
    await h.control.fault({ operation: 'DescribeInstances', kind: 'unauthorized' });
    expect((await h.scan()).outcome).toBe('failure');

    await vi.waitFor(
      async () => {
        const response = await h.get<Readiness>('/readyz');
        expect(response.status).toBe(503);
        expect(response.body.checks.find((c) => c.name === 'scan')).toEqual({
          name: 'scan',
          ok: false,
          detail: expect.stringContaining('last scan that listed a target at') as unknown,
        });
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});

describe('a daemon with one account whose role is denied', () => {
  const DENIED = '111122223333';
  const ROLE = `arn:aws:iam::${DENIED}:role/driftwarden-scan`;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 12,
      seed: 3,
      env: {
        DRIFTWARDEN_TARGETS: JSON.stringify([
          { regions: ['us-east-1', 'eu-west-1'] },
          { roleArn: ROLE, regions: ['us-east-1'] },
        ]),
      },
    });
    await h.control.role({ roleArn: ROLE, deny: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('stays ready while every scan is partial, and names the stale target in the per-target metric', async () => {
    const scan = await h.scan();
    expect(scan.outcome).toBe('partial');
    expect(scan.targets.filter((t) => t.status !== 'ok').map((t) => [t.account, t.region])).toEqual([
      [DENIED, 'us-east-1'],
    ]);

    const response = await h.get<Readiness>('/readyz');
    expect(response.status).toBe(200);
    expect(response.body.checks.find((c) => c.name === 'scan')).toEqual({
      name: 'scan',
      ok: true,
      detail: `last scan that listed a target at ${scan.finishedAt}`,
    });

    const metrics = await h.metrics();
    const finished = Date.parse(scan.finishedAt) / 1000;
    const scanned = (account: string, region: string) =>
      metricValue(metrics, 'driftwarden_target_last_scanned_timestamp_seconds', { account, region });
    expect(scanned('', 'us-east-1')).toBe(finished);
    expect(scanned('', 'eu-west-1')).toBe(finished);
    expect(scanned(DENIED, 'us-east-1')).toBe(0);
    // The whole-scan timestamp still counts fully successful scans only.
    expect(metricValue(metrics, 'driftwarden_last_successful_scan_timestamp_seconds')).toBe(0);
  });
});
