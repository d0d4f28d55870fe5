// A daemon whose disk is nearly full: the scan's big write fails and rolls back, its failure (one
// small row) is still recorded and counted, writes answer 507, and the next scan after space returns succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SCAN_TOKEN, metricValue, startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  // An injected clock keeps scans on the main thread, on the one connection the test limits.
  h = await startHarness({ instances: 40, seed: 22, captureLogs: true, clock: () => new Date() });
});
afterAll(async () => {
  await h.close();
});

/**
 * Caps the daemon's database at its current size plus `spare` pages, as a nearly full disk would.
 * max_page_count is per connection: here the daemon's only one.
 */
function fillDisk(spare: number | null): void {
  const db = h.daemon.runtime.store.db;
  // Without free pages inside the file (migrations leave some), a write needing space finds none.
  if (spare !== null) db.exec('VACUUM');
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${spare === null ? 1_073_741_823 : pages + spare}`);
}

describe('disk nearly full', () => {
  it('records the failed scan, answers 507 to writes and scans again once space returns', async () => {
    fillDisk(1);
    const failed = await h.post<{ status: number; code: string; detail: string }>(
      '/api/v1/scans?wait=true',
      undefined,
      SCAN_TOKEN,
    );
    expect(failed.status).toBe(507);
    expect(failed.body).toMatchObject({ status: 507, code: 'SQLITE_FULL' });
    expect(failed.body.detail).toMatch(/disk is full/);

    const { body } = await h.get<{
      items: { outcome: string; targets: { status: string; error: string }[] }[];
    }>('/api/v1/scans');
    expect(body.items).toHaveLength(1);
    expect(body.items[0]?.outcome).toBe('failure');
    for (const target of body.items[0]?.targets ?? []) {
      expect(target.status).toBe('stale');
      expect(target.error).toMatch(/^results not saved: SqliteError: database or disk is full/);
    }
    const instances = await h.get<{ items: unknown[] }>('/api/v1/instances');
    expect(instances.status).toBe(200);
    expect(instances.body.items).toEqual([]);
    expect(metricValue(await h.metrics(), 'driftwarden_scans_total', { outcome: 'failure' })).toBe(1);
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'scan failed: its results could not be saved; recorded as failure',
        code: 'SQLITE_FULL',
        database: h.config.database.path,
        recorded: true,
      }),
    );

    // A manifest with a big package list needs new (overflow) pages, which the full disk refuses.
    const image = await h.addImage({ region: 'us-east-1', channel: 'web', builtAt: '2026-11-25T10:00:00Z' });
    const packages = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`pkg-${i}`, `1.0.${i}`]));
    const manifest = { ...image, host: { ...image.host, packages } };
    fillDisk(0);
    const refused = await h.post<{ code: string }>('/api/v1/manifests', manifest, ADMIN_TOKEN);
    expect(refused.status).toBe(507);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('SQLITE_FULL');

    fillDisk(null);
    const scan = await h.scan();
    expect(scan.outcome).toBe('success');
    expect(scan.instances.total).toBeGreaterThan(0);
    expect((await h.post('/api/v1/manifests', manifest, ADMIN_TOKEN)).status).toBe(201);
    expect(h.daemon.runtime.store.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
