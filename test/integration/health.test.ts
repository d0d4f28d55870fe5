// /healthz says the process is alive; /readyz says whether it can be trusted (DB, migrations, a fresh scan).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

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
      { name: 'scan', ok: true, detail: expect.stringContaining('last successful scan at') as unknown },
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
      { name: 'scan', ok: false, detail: expect.stringMatching(/^no successful scan yet/) as unknown },
    ]);
  });

  it('turns not ready again once its last successful scan is older than scan.staleAfter', async () => {
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
          detail: expect.stringContaining('last successful scan at') as unknown,
        });
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});
