// Changing shards.count (2 → 3 over the same databases) and removing a target: rows of a target a replica no longer owns are released, so no total counts a target twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, SimulatorControl, type Simulator } from '@driftwarden/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { SCAN_TOKEN, samples } from '../support/harness.js';
import {
  serveEnv,
  spawnServe,
  startShardProcesses,
  stopServeProcesses,
  type ServeProcess,
} from '../support/serve-process.js';

const DEFAULT_ACCOUNT = '123456789012';
const ACCOUNT_A = '111122223333';
const ROLE_A = `arn:aws:iam::${ACCOUNT_A}:role/driftwarden-scan`;
const REGIONS = ['us-east-1', 'eu-west-1'];
const TARGETS = [
  { account: DEFAULT_ACCOUNT, regions: REGIONS },
  { roleArn: ROLE_A, regions: REGIONS },
];
const RELEASED = 'released rows of targets this replica no longer owns';

let sim: Simulator;
let dir: string;
const running: ServeProcess[] = [];

interface Summary {
  instances: Record<string, number>;
  findings: { total: number; bySeverity: Record<string, number>; byRule: unknown[] };
  targets: { total: number; fresh: number; stale: number };
}
interface FleetTargets {
  items: { account: string | null; region: string; shard: number }[];
}
interface ScanAnswer {
  targets: { account: string | null; region: string; status: string }[];
}
interface Instance {
  instanceId: string;
  account: string | null;
  region: string;
  present: boolean;
  releasedAt: string | null;
}
interface Released {
  targets: { account: string | null; region: string; instances: number; findings: number }[];
}

const key = (t: { account: string | null; region: string }): string => `${t.account ?? ''}|${t.region}`;

async function get<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`);
  if (!response.ok) throw new Error(`GET ${path} on ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** One scan, waited for. */
async function scan(url: string): Promise<ScanAnswer> {
  const response = await fetch(`${url}/api/v1/scans?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SCAN_TOKEN}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as ScanAnswer;
}

/** The sum of a fleet gauge's series on one replica. */
async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return samples(text)
    .filter((s) => s.name === name)
    .reduce((sum, s) => sum + s.value, 0);
}

/** Every present instance a replica lists. */
async function instances(url: string): Promise<Instance[]> {
  return (await get<{ items: Instance[] }>(url, '/api/v1/instances?limit=1000')).items;
}

/** The release a replica logged at start, or null: it logs before `driftwarden serving`, so a started replica's line is there or never comes. */
async function releasedAtStart(proc: ServeProcess): Promise<Released | null> {
  const line = await Promise.race([proc.logged(RELEASED), Promise.resolve(null)]);
  return line as Released | null;
}

async function serveUnsharded(url: string, targets: unknown[]): Promise<ServeProcess> {
  const proc = spawnServe(
    serveEnv({ databasePath: join(dir, 'unsharded.db'), url, awsEndpoint: sim.url, targets }),
  );
  running.push(proc);
  await proc.logged('driftwarden serving');
  return proc;
}

async function stop(procs: readonly ServeProcess[]): Promise<void> {
  await stopServeProcesses(procs);
  for (const p of procs) running.splice(running.indexOf(p), 1);
}

beforeAll(async () => {
  sim = await startSimulator({ instances: 8, seed: 12, regions: REGIONS });
  dir = mkdtempSync(join(tmpdir(), 'dw-moved-'));
  const control = new SimulatorControl(sim.url);
  await control.role({ roleArn: ROLE_A });
  await control.launchBulk({ region: 'us-east-1', count: 3, channel: 'web' }, ACCOUNT_A);
  await control.launchBulk({ region: 'eu-west-1', count: 5, channel: 'api' }, ACCOUNT_A);
});

afterAll(async () => {
  await stopServeProcesses(running);
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a target that moved or was removed is counted once', () => {
  it('after 2 → 3 shards over the same databases, the shards’ instances sum to the fleet and the fleet view equals an unsharded daemon’s', async () => {
    const referenceUrl = `http://127.0.0.1:${await freePort()}`;
    const reference = await serveUnsharded(referenceUrl, TARGETS);
    await scan(referenceUrl);
    const fleet = await get<Summary>(referenceUrl, '/api/v1/fleet/summary');
    const total = Object.values(fleet.instances).reduce((a, b) => a + b, 0);
    expect(total).toBe(await gauge(referenceUrl, 'driftwarden_instances'));
    expect(fleet.findings.total).toBeGreaterThan(0);

    // Two shards scan the fleet: every target on one of them.
    const urls = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    const two = await startShardProcesses({ dir, urls, awsEndpoint: sim.url, targets: TARGETS });
    running.push(...two);
    const before = await Promise.all(urls.map(scan));
    const ownedBefore = before.map((s) => new Set(s.targets.filter((t) => t.status === 'ok').map(key)));
    expect(ownedBefore.flatMap((s) => [...s]).sort()).toHaveLength(4);
    const heldBefore = await Promise.all(urls.map(instances));
    await stop(two);

    // Restarted with count 3: the same two databases and a new one.
    urls.push(`http://127.0.0.1:${await freePort()}`);
    const three = await startShardProcesses({ dir, urls, awsEndpoint: sim.url, targets: TARGETS });
    running.push(...three);
    const assigned = (await get<FleetTargets>(urls[0]!, '/api/v1/fleet/targets')).items;
    const shardOf = new Map(assigned.map((t) => [key(t), t.shard]));
    let moved = 0;
    for (const index of [0, 1]) {
      // Exactly the targets it had and lost are released, with their instances.
      const lost = [...ownedBefore[index]!].filter((k) => shardOf.get(k) !== index).sort();
      moved += lost.length;
      const released = await releasedAtStart(three[index]!);
      expect(released?.targets.map(key) ?? []).toEqual(lost);
      for (const t of released?.targets ?? [])
        expect(t.instances).toBe(heldBefore[index]!.filter((i) => key(i) === key(t)).length);
    }
    expect(moved).toBeGreaterThan(0);
    expect(await releasedAtStart(three[2]!)).toBeNull();

    await Promise.all(urls.map(scan));
    const perShard = await Promise.all(urls.map((u) => gauge(u, 'driftwarden_instances')));
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(total);
    const findings = await Promise.all(urls.map((u) => gauge(u, 'driftwarden_findings')));
    expect(findings.reduce((a, b) => a + b, 0)).toBe(await gauge(referenceUrl, 'driftwarden_findings'));
    for (const url of urls) {
      const summary = await get<Summary>(url, '/api/v1/fleet/summary');
      expect({ instances: summary.instances, findings: summary.findings }).toEqual({
        instances: fleet.instances,
        findings: fleet.findings,
      });
    }
    // Each instance is listed by exactly one shard: the one owning its target.
    const listed = await Promise.all(urls.map(instances));
    expect(listed.flat()).toHaveLength(total);
    for (const [index, items] of listed.entries())
      for (const i of items) expect(shardOf.get(key(i))).toBe(index);
    // A moved instance stays readable on its old shard, released and not present.
    const movedInstance = heldBefore
      .flatMap((items, index) => items.map((i) => ({ i, index })))
      .find(({ i, index }) => shardOf.get(key(i)) !== index)!;
    const old = await get<{ instance: Instance; findings: unknown[] }>(
      urls[movedInstance.index]!,
      `/api/v1/instances/${movedInstance.i.instanceId}`,
    );
    expect(old.instance.present).toBe(false);
    expect(old.instance.releasedAt).not.toBeNull();
    expect(old.findings).toEqual([]);
    const page = await (
      await fetch(`${urls[movedInstance.index]!}/ui/instances/${movedInstance.i.instanceId}`)
    ).text();
    expect(page).toContain('released');

    await stop(three);
    await stop([reference]);
  }, 180_000);

  it('stops counting a target removed from an unsharded daemon’s configuration', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const all = await serveUnsharded(url, TARGETS);
    await scan(url);
    const held = await instances(url);
    const removed = held.filter((i) => i.account === ACCOUNT_A && i.region === 'eu-west-1');
    expect(removed).toHaveLength(5);
    await stop([all]);

    const fewer = await serveUnsharded(url, [TARGETS[0], { roleArn: ROLE_A, regions: ['us-east-1'] }]);
    expect(await releasedAtStart(fewer)).toMatchObject({
      targets: [{ account: ACCOUNT_A, region: 'eu-west-1', instances: 5 }],
    });
    await scan(url);
    expect(await gauge(url, 'driftwarden_instances')).toBe(held.length - removed.length);
    expect((await instances(url)).map((i) => i.instanceId).sort()).toEqual(
      held
        .filter((i) => !removed.includes(i))
        .map((i) => i.instanceId)
        .sort(),
    );
    const summary = await get<Summary>(url, '/api/v1/fleet/summary');
    expect(summary.targets.total).toBe(3);
    expect(Object.values(summary.instances).reduce((a, b) => a + b, 0)).toBe(held.length - removed.length);
    // Counted released at start, in the metric too.
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(
      samples(text).find(
        (s) => s.name === 'driftwarden_released_rows_total' && s.labels.table === 'instances',
      )?.value,
    ).toBe(5);
    await stop([fewer]);
  }, 120_000);
});
