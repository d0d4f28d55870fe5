// /metrics serves a snapshot taken per scan: scrapes between scans read nothing from the fleet's tables.
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, metricValue, startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ instances: 30, seed: 11, regions: ['us-east-1'] });
});
afterAll(async () => {
  await h.close();
});

const EXECUTE = ['all', 'get', 'iterate', 'run'] as const;
type Execute = (typeof EXECUTE)[number];

/**
 * Records the SQL of every statement the daemon's own connection executes while `fn` runs, by
 * wrapping better-sqlite3's real Statement methods (the statements still run against the file).
 */
async function statementsDuring(fn: () => Promise<void>): Promise<string[]> {
  const db = h.daemon.runtime.store.db;
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<
    Execute,
    (this: BetterSqlite3.Statement, ...args: unknown[]) => unknown
  >;
  const originals = Object.fromEntries(EXECUTE.map((name) => [name, proto[name]])) as typeof proto;
  const seen: string[] = [];
  for (const name of EXECUTE) {
    proto[name] = function (this: BetterSqlite3.Statement, ...args: unknown[]) {
      if (this.database === db) seen.push(this.source);
      return originals[name].apply(this, args);
    };
  }
  try {
    await fn();
  } finally {
    Object.assign(proto, originals);
  }
  return seen;
}

/**
 * A read of the fleet's tables. The retention pass the first scan starts (DELETEs, on the same
 * connection, yielding between batches) may still be running during the scrapes: it is not theirs.
 */
const touchesFleetTables = (sql: string): boolean =>
  /\b(findings|instances)\b/i.test(sql) && !/^\s*DELETE\b/i.test(sql);

function running(count: number): string[] {
  return h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null)
    .slice(0, count)
    .map((i) => i.instanceId);
}

describe('/metrics between scans', () => {
  it('answers many scrapes without one statement on findings or instances', async () => {
    const [first] = running(1);
    await h.control.drift(first!, { httpTokens: 'optional' });
    expect((await h.scan()).instances.drifted).toBe(1);

    const scrapes: string[] = [];
    const during = await statementsDuring(async () => {
      for (let n = 0; n < 25; n++) scrapes.push(await h.metrics());
    });
    expect(during.filter(touchesFleetTables)).toEqual([]);
    for (const text of scrapes) {
      expect(metricValue(text, 'driftwarden_instances', { state: 'drifted' })).toBe(1);
      expect(
        metricValue(text, 'driftwarden_instance_drift', { instance_id: first!, severity: 'critical' }),
      ).toBe(1);
    }

    // The same counter does see a read that walks the findings, so the zero above is measured.
    const listing = await statementsDuring(async () => {
      expect((await h.get('/api/v1/findings')).status).toBe(200);
    });
    expect(listing.filter(touchesFleetTables).length).toBeGreaterThan(0);
  });

  it("shows the next scan's state at the first scrape after it", async () => {
    const before = await h.metrics();
    const scansBefore = metricValue(before, 'driftwarden_scans_total', { outcome: 'success' }) ?? 0;
    const [, second] = running(2);
    await h.control.drift(second!, { instanceType: 'x2iedn.32xlarge' });
    // Drift alone changes nothing on /metrics: the daemon has not seen it yet.
    expect(metricValue(await h.metrics(), 'driftwarden_instances', { state: 'drifted' })).toBe(1);

    await h.scan();
    const after = await h.metrics();
    expect(metricValue(after, 'driftwarden_instances', { state: 'drifted' })).toBe(2);
    expect(
      metricValue(after, 'driftwarden_instance_drift', { instance_id: second!, severity: 'warning' }),
    ).toBe(1);
    expect(metricValue(after, 'driftwarden_scans_total', { outcome: 'success' })).toBe(scansBefore + 1);
  });

  it('renders the drift ages afresh at every scrape, though the rest of the text is reused', async () => {
    const age = async (): Promise<number> =>
      metricValue(await h.metrics(), 'driftwarden_drift_oldest_seconds', { severity: 'critical' }) ?? 0;
    const first = await age();
    expect(first).toBeGreaterThan(0);
    await expect.poll(age).toBeGreaterThan(first);
  });

  it('shows a pause and a resume through the API at the next scrape, without a scan', async () => {
    expect((await h.post('/api/v1/remediation/pause', { reason: 'INC-9' }, ADMIN_TOKEN)).status).toBe(200);
    expect(metricValue(await h.metrics(), 'driftwarden_remediation_paused', { reason: 'manual' })).toBe(1);
    expect((await h.post('/api/v1/remediation/resume', undefined, ADMIN_TOKEN)).status).toBe(200);
    expect(metricValue(await h.metrics(), 'driftwarden_remediation_paused', { reason: 'none' })).toBe(0);
  });
});
