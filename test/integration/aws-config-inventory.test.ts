// The AWS Config / SSM inventory source end to end: simulated Config over the real SDK, SQLite, the scan API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type ScanJsonBody } from '../support/harness.js';
import type { RequestLogEntry, SimInstance } from '@driftwarden/simulator';

const CONFIG_ON = { DRIFTWARDEN_SOURCES_AWS_CONFIG_ENABLED: 'true' };

function liveInstances(h: Harness, region?: string): SimInstance[] {
  return h.sim.fleet
    .allInstances()
    .filter(
      (i) => i.state === 'running' && i.channel !== null && (region === undefined || i.region === region),
    )
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
}

function pkgPath(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? `host.packages.${name}` : `host.packages[${JSON.stringify(name)}]`;
}

/** Resource ids asked for by each BatchGetResourceConfig call since `since`. */
function batchGets(h: Harness, since: number): string[][] {
  return h.sim
    .requestLog(since)
    .filter((e: RequestLogEntry) => e.action === 'BatchGetResourceConfig' && e.status === 200)
    .map((e) =>
      (JSON.parse(e.params.resourceKeys ?? '[]') as { resourceId: string }[]).map((k) => k.resourceId),
    );
}

const lastSeq = (h: Harness): number => h.sim.requestLog().at(-1)?.seq ?? 0;

function hostFindings(scan: ScanJsonBody) {
  return scan.findings
    .filter((f) => f.path.startsWith('host.'))
    .map((f) => ({
      instanceId: f.instanceId,
      path: f.path,
      change: f.change,
      expected: f.expected,
      actual: f.actual,
    }));
}

describe('SSM inventory from AWS Config, incremental', () => {
  let h: Harness;
  beforeAll(async () => {
    // Over 100 instances per region: SelectResourceConfig pages and BatchGetResourceConfig chunks.
    h = await startHarness({ instances: 240, env: CONFIG_ON });
  });
  afterAll(async () => {
    await h.close();
  });

  it('reports exactly the two instances whose inventory differs, and fetches only changed items', async () => {
    const first = await h.scan();
    expect(first.outcome).toBe('success');
    expect(first.findings).toEqual([]);
    expect(first.instances.stale).toBe(0);
    expect(first.targets.map((t) => [t.region, t.status, t.inventory?.status])).toEqual([
      ['us-east-1', 'ok', 'ok'],
      ['eu-west-1', 'ok', 'ok'],
    ]);
    // The first sync fetches every listed instance's item, at most 100 keys per call.
    const fetchedFirst = batchGets(h, 0);
    expect(fetchedFirst.map((keys) => keys.length).sort((x, y) => y - x)[0]).toBe(100);
    expect(fetchedFirst.every((keys) => keys.length <= 100)).toBe(true);
    const selects = h.sim.requestLog().filter((e) => e.action === 'SelectResourceConfig');
    expect(selects.filter((e) => e.params.NextToken !== undefined).length).toBeGreaterThanOrEqual(2);
    expect(fetchedFirst.flat().sort()).toEqual(
      h.sim.fleet
        .allInstances()
        .filter((i) => i.state !== 'terminated')
        .map((i) => i.instanceId)
        .sort(),
    );

    const [a, b] = [liveInstances(h, 'us-east-1')[0], liveInstances(h, 'eu-west-1')[1]] as [
      SimInstance,
      SimInstance,
    ];
    const [pkg, baked] = Object.entries(a.host.packages)[0] as [string, string];
    await h.control.drift(a.instanceId, { host: { packages: { [pkg]: `${baked}+hotfix1` } } });
    await h.control.drift(b.instanceId, { host: { packages: { netcat: '1.10-47' } } });

    let since = lastSeq(h);
    const second = await h.scan();
    expect(second.outcome).toBe('success');
    expect(hostFindings(second)).toEqual(
      [
        {
          instanceId: a.instanceId,
          path: pkgPath(pkg),
          change: 'changed',
          expected: baked,
          actual: `${baked}+hotfix1`,
        },
        {
          instanceId: b.instanceId,
          path: 'host.packages.netcat',
          change: 'added',
          expected: null,
          actual: '1.10-47',
        },
      ].sort((x, y) => (x.instanceId < y.instanceId ? -1 : 1)),
    );
    expect(new Set(second.findings.map((f) => f.instanceId))).toEqual(new Set([a.instanceId, b.instanceId]));
    expect(batchGets(h, since).flat().sort()).toEqual([a.instanceId, b.instanceId].sort());

    // No Config changes: nothing is fetched, and the drift is still reported (the data is current).
    since = lastSeq(h);
    const third = await h.scan();
    expect(batchGets(h, since)).toEqual([]);
    const selected = h.sim.requestLog(since).filter((e) => e.action === 'SelectResourceConfig');
    expect(new Set(selected.map((e) => e.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    expect(hostFindings(third)).toEqual(hostFindings(second));
    expect(third.instances.stale).toBe(0);

    // The cursor and item capture times live in SQLite: a restarted daemon stays incremental.
    await h.restart();
    since = lastSeq(h);
    expect(hostFindings(await h.scan())).toEqual(hostFindings(second));
    expect(batchGets(h, since)).toEqual([]);

    // Healing one instance changes only its item: one call, for that id.
    await h.control.reset(a.instanceId);
    since = lastSeq(h);
    const fourth = await h.scan();
    expect(batchGets(h, since)).toEqual([[a.instanceId]]);
    expect(hostFindings(fourth).map((f) => f.instanceId)).toEqual([b.instanceId]);
  });
});

describe('unprocessed keys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ instances: 20, env: CONFIG_ON });
  });
  afterAll(async () => {
    await h.close();
  });

  it('asks again for keys Config left unprocessed, and fails only the inventory when they stay so', async () => {
    await h.control.config({ unprocessedKeys: 3 });
    let since = lastSeq(h);
    const first = await h.scan();
    expect(first.outcome).toBe('success');
    expect(first.instances.stale).toBe(0);
    const calls = batchGets(h, since);
    expect(new Set(calls.flat()).size).toBe(h.sim.fleet.allInstances().length);
    expect(calls.length).toBeGreaterThan(2);

    const [victim] = liveInstances(h, 'us-east-1') as [SimInstance];
    await h.control.drift(victim.instanceId, { host: { packages: { netcat: '1.10-47' } } });
    await h.control.config({ unprocessedKeys: 1_000 });
    since = lastSeq(h);
    const second = await h.scan();
    expect(second.outcome).toBe('partial');
    expect(second.targets.find((t) => t.region === 'us-east-1')?.inventory).toEqual({
      source: 'aws-config',
      status: 'stale',
      error: expect.stringMatching(/^UnprocessedInventoryError: .*1 inventory item/) as unknown,
    });
    expect(batchGets(h, since)).toEqual([[victim.instanceId], [victim.instanceId], [victim.instanceId]]);

    // The cursor did not move, so the change is picked up once Config answers.
    await h.control.config({ unprocessedKeys: 0 });
    const third = await h.scan();
    expect(third.outcome).toBe('success');
    expect(hostFindings(third)).toEqual([
      {
        instanceId: victim.instanceId,
        path: 'host.packages.netcat',
        change: 'added',
        expected: null,
        actual: '1.10-47',
      },
    ]);
  });
});

describe('a Config failure in one region', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 30,
      env: { ...CONFIG_ON, DRIFTWARDEN_SOURCES_AWS_CONFIG_MAX_AGE: '2s' },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('leaves that target inventory unrefreshed (it ages into stale), scans partial, keeps its EC2 data', async () => {
    expect((await h.scan()).outcome).toBe('success');
    const euInstance = liveInstances(h, 'eu-west-1')[0] as SimInstance;
    const usInstance = liveInstances(h, 'us-east-1')[0] as SimInstance;
    const hosts = () => h.daemon.runtime.store.hosts;
    const euBefore = hosts().latest(euInstance.instanceId)?.observedAt;
    const usBefore = hosts().latest(usInstance.instanceId)?.observedAt;

    await h.control.fault({ kind: 'throttle', region: 'eu-west-1', operation: 'SelectResourceConfig' });
    await h.control.drift(euInstance.instanceId, {
      httpTokens: 'optional',
      host: { packages: { netcat: '1.10-47' } },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const scan = await h.scan();

    expect(scan.outcome).toBe('partial');
    const eu = scan.targets.find((t) => t.region === 'eu-west-1');
    expect(eu).toMatchObject({
      status: 'ok',
      error: null,
      inventory: { source: 'aws-config', status: 'stale' },
    });
    expect(eu?.inventory?.error).toMatch(/^ThrottlingException/);
    expect(scan.targets.find((t) => t.region === 'us-east-1')?.inventory?.status).toBe('ok');

    // EC2 data of the failed target is intact: its instances are counted and their launch drift found.
    expect(scan.findings.filter((f) => f.instanceId === euInstance.instanceId)).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens', actual: 'optional' }),
    ]);
    expect(scan.instances.total).toBe(
      h.sim.fleet.allInstances().filter((i) => i.state !== 'terminated').length,
    );
    // Its inventory was not refreshed, so its hosts aged into stale; the other region's were confirmed.
    expect(hosts().latest(euInstance.instanceId)?.observedAt).toBe(euBefore);
    expect(hosts().latest(usInstance.instanceId)?.observedAt).not.toBe(usBefore);
    const euCount = h.sim.fleet
      .allInstances()
      .filter((i) => i.region === 'eu-west-1' && i.state !== 'terminated' && i.channel !== null).length;
    expect(scan.instances.stale).toBe(euCount - 1);
    const detail = await h.get<{ instance: { status: string } }>(
      `/api/v1/instances/${usInstance.instanceId}`,
    );
    expect(detail.body.instance.status).toBe('compliant');

    await h.control.clearFaults();
    const healed = await h.scan();
    expect(healed.outcome).toBe('success');
    expect(healed.instances.stale).toBe(0);
    expect(
      healed.findings
        .filter((f) => f.instanceId === euInstance.instanceId)
        .map((f) => f.path)
        .sort(),
    ).toEqual(['host.packages.netcat', 'launch.metadataOptions.httpTokens']);
  });
});
