// A scan of an unchanged fleet writes rows in proportion to what changed, not to the fleet's size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  // On the main thread, so the daemon's own connection counts the scan writer's rows (the writer is
  // the same code on the scan thread; `total_changes()` is per connection).
  h = await startHarness({ instances: 1000, seed: 5, env: { DRIFTWARDEN_SCAN_THREAD: 'false' } });
});
afterAll(async () => {
  await h.close();
});

/** Rows inserted, updated or deleted by the daemon's database connection while `fn` runs. */
async function rowsWritten(fn: () => Promise<unknown>): Promise<number> {
  const totalChanges = h.daemon.runtime.store.db.prepare<[], { n: number }>('SELECT total_changes() AS n');
  const before = totalChanges.get()?.n ?? 0;
  await fn();
  return (totalChanges.get()?.n ?? 0) - before;
}

function running(nth: number): string {
  const found = h.sim.fleet.allInstances().filter((i) => i.state === 'running' && i.channel !== null)[nth];
  if (!found) throw new Error(`no running instance #${nth}`);
  return found.instanceId;
}

describe('steady-state scans', () => {
  it('writes at most 1 % of the first scan’s rows when nothing changed, and still reports everything', async () => {
    const drifted = [running(0), running(1), running(2)];
    for (const id of drifted) await h.control.drift(id, { httpTokens: 'optional' });

    let first: Awaited<ReturnType<Harness['scan']>> | undefined;
    const firstRows = await rowsWritten(async () => (first = await h.scan()));
    // The EC2 source fetches at most 200 instances' user data per scan (about 400 here declare it),
    // so the fleet's observations only stop changing once the next scans have fetched the rest.
    await h.scan();
    await h.scan();
    let second: Awaited<ReturnType<Harness['scan']>> | undefined;
    const secondRows = await rowsWritten(async () => (second = await h.scan()));

    expect(firstRows).toBeGreaterThanOrEqual(1000);
    expect(secondRows).toBeLessThanOrEqual(firstRows / 100);
    // The unchanged scan reports the same fleet and findings as the first one.
    expect(second?.instances).toEqual(first?.instances);
    expect(second?.findings.map((f) => [f.instanceId, f.path, f.firstSeen])).toEqual(
      first?.findings.map((f) => [f.instanceId, f.path, f.firstSeen]),
    );
    // Nothing was rewritten, yet every instance and open finding reads as seen by the second scan.
    const unchanged = h.daemon.runtime.store.fleet.getInstance(running(10));
    expect(unchanged).toMatchObject({
      lastSeen: second?.finishedAt,
      lastScanId: second?.scanId,
      present: true,
    });
    const finding = h.daemon.runtime.store.fleet.listFindings({ instanceId: drifted[0] })[0];
    expect(finding?.lastSeen).toBe(second?.finishedAt);
  });

  it('writes only the rows of what changed: a new drift and a terminated instance', async () => {
    const newDrift = running(20);
    const leaving = running(30);
    await h.control.drift(newDrift, { instanceType: 'c5.9xlarge' });
    const before = await h.scan();
    await h.control.terminate(leaving);

    let after: Awaited<ReturnType<Harness['scan']>> | undefined;
    const rows = await rowsWritten(async () => (after = await h.scan()));

    expect(rows).toBeLessThanOrEqual(10);
    expect(after?.findings.some((f) => f.instanceId === newDrift && f.path === 'launch.instanceType')).toBe(
      true,
    );
    const gone = h.daemon.runtime.store.fleet.getInstance(leaving);
    // Gone: it keeps the time its region last saw it, the scan before this one.
    expect(gone).toMatchObject({ present: false, lastSeen: before.finishedAt, lastScanId: before.scanId });
  });
});
