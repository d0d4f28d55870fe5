// Three shard processes and one unsharded process over one simulated fleet of 3 accounts × 3 regions: together the shards find what one daemon finds, the fleet view on any shard shows its totals, and a killed shard's targets turn stale, never gone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, SimulatorControl, type Simulator } from '@driftwarden/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { runCli } from '../cli/run-cli.js';
import { freePort } from '../support/free-port.js';
import { serveEnv, spawnServe, type ServeProcess } from '../support/serve-process.js';

const COUNT = 3;
const ACCOUNT_A = '111122223333';
const ACCOUNT_B = '444455556666';
const ROLE_A = `arn:aws:iam::${ACCOUNT_A}:role/driftwarden-scan`;
const ROLE_B = `arn:aws:iam::${ACCOUNT_B}:role/driftwarden-scan`;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const TARGETS = [
  { regions: REGIONS },
  { roleArn: ROLE_A, regions: REGIONS },
  { roleArn: ROLE_B, regions: REGIONS },
];
/** Every target as `account|region`, the default credentials' account as the simulator names it. */
const ALL_TARGETS = [null, ACCOUNT_A, ACCOUNT_B].flatMap((a) => REGIONS.map((r) => `${a ?? ''}|${r}`)).sort();
/** Long enough for a loaded machine, short enough to keep the test bounded. */
const WAIT_MS = 45_000;

let sim: Simulator;
let dir: string;
/** Shards 0..2, then the unsharded daemon (index 3). */
const urls: string[] = [];
const procs: (ServeProcess | null)[] = [];

interface Finding {
  instanceId: string;
  account: string | null;
  region: string;
  path: string;
  change: string;
  rule: string;
  severity: string;
  expected: unknown;
  actual: unknown;
  firstSeen: string;
  shard?: number;
}
interface Page<T> {
  items: T[];
  next: string | null;
}
interface Scan {
  scanId: string;
  startedAt: string;
  targets: { account: string | null; region: string; status: string }[];
}
interface ShardStatus {
  shard: number;
  answered: boolean;
  targets: number;
  staleTargets: number;
}
interface Summary {
  shardCount: number;
  shards: ShardStatus[];
  peers: { url: string; shard: number | null; error: string | null }[];
  instances: Record<string, number>;
  findings: { total: number; bySeverity: Record<string, number>; byRule: unknown[] };
  targets: { total: number; fresh: number; stale: number };
}
interface Targets {
  items: {
    account: string | null;
    region: string;
    shard: number;
    state: string;
    staleReason: string | null;
  }[];
}

function env(index: number): NodeJS.ProcessEnv {
  const sharded = index < COUNT;
  return {
    ...serveEnv({
      databasePath: join(dir, sharded ? `shard-${index}.db` : 'unsharded.db'),
      url: urls[index]!,
      awsEndpoint: sim.url,
      targets: TARGETS,
    }),
    DRIFTWARDEN_SCHEDULE: '*/2 * * * * *',
    ...(sharded
      ? {
          DRIFTWARDEN_SHARDS_COUNT: String(COUNT),
          DRIFTWARDEN_SHARDS_INDEX: String(index),
          // The same list on every shard, itself included: each leaves itself out.
          DRIFTWARDEN_SHARDS_PEERS: JSON.stringify(urls.slice(0, COUNT)),
          DRIFTWARDEN_SHARDS_PEER_TIMEOUT: '3s',
        }
      : {}),
  };
}

async function start(index: number): Promise<ServeProcess> {
  const proc = spawnServe(env(index));
  procs[index] = proc;
  await proc.logged('driftwarden serving');
  return proc;
}

/** Stops by PID and checks that the daemon shut down cleanly. */
async function stop(index: number): Promise<void> {
  const proc = procs[index];
  if (!proc) return;
  procs[index] = null;
  process.kill(proc.pid, 'SIGTERM');
  expect(await proc.exited).toEqual({ code: 0, signal: null });
}

async function get<T>(index: number, path: string): Promise<T> {
  const response = await fetch(`${urls[index]}${path}`);
  if (!response.ok) throw new Error(`GET ${path} on ${urls[index]} answered ${response.status}`);
  return (await response.json()) as T;
}

async function scans(index: number): Promise<Scan[]> {
  return (await get<Page<Scan>>(index, '/api/v1/scans?limit=1000')).items;
}

/** Waits (bounded) until `index` has finished a scan that started after `since`. */
async function scanAfter(index: number, since: string): Promise<Scan> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const newer = (await scans(index)).find((s) => s.startedAt > since);
    if (newer) return newer;
    if (Date.now() > deadline) throw new Error(`no scan on process ${index} started after ${since}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every page of a paged list. */
async function all<T>(index: number, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await get<Page<T>>(
      index,
      `${path}${sep}limit=7${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  return items;
}

/** What a finding says, without the per-database id and times. */
const content = (f: Finding): string =>
  JSON.stringify([
    f.instanceId,
    f.account,
    f.region,
    f.path,
    f.change,
    f.rule,
    f.severity,
    f.expected,
    f.actual,
  ]);

const totals = (s: Summary) => ({ instances: s.instances, findings: s.findings });

beforeAll(async () => {
  sim = await startSimulator({ instances: 9, seed: 31, regions: REGIONS });
  dir = mkdtempSync(join(tmpdir(), 'dw-fleet-view-'));
  const control = new SimulatorControl(sim.url);
  await control.role({ roleArn: ROLE_A });
  await control.role({ roleArn: ROLE_B });
  // Every target holds instances, and some of them drift.
  for (const [account, channel] of [
    [undefined, 'web'],
    [ACCOUNT_A, 'web'],
    [ACCOUNT_B, 'api'],
  ] as const) {
    for (const region of REGIONS) {
      const { instanceIds } = await control.launchBulk({ region, count: 2, channel }, account);
      await control.drift(instanceIds[0]!, { instanceType: 'c5.9xlarge' });
    }
  }
  // Manifests go into each database before its daemon starts, so the first scans judge with them.
  const files = manifestsForImages(await control.images()).map((manifest, i) => {
    const file = join(dir, `manifest-${i}.json`);
    writeFileSync(file, JSON.stringify(manifest));
    return file;
  });
  for (let i = 0; i < COUNT; i++) urls.push(`http://127.0.0.1:${await freePort()}`);
  urls.push(`http://127.0.0.1:${await freePort()}`);
  for (let i = 0; i <= COUNT; i++) {
    const imported = await runCli(['manifest', 'import', ...files], { env: env(i) });
    expect(imported.code, imported.stderr).toBe(0);
  }
  await Promise.all(urls.map((_, i) => start(i)));
  await Promise.all(urls.map((_, i) => scanAfter(i, '')));
}, 120_000);

afterAll(async () => {
  for (let i = 0; i < procs.length; i++) await stop(i);
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('three shards and one unsharded daemon over the same fleet', () => {
  it('scans every target on exactly one shard, and the shards together find exactly what one daemon finds', async () => {
    const scanned = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const keys = (await scans(i)).flatMap((s) =>
          s.targets.filter((t) => t.status === 'ok').map((t) => `${t.account ?? ''}|${t.region}`),
        );
        return [...new Set(keys)];
      }),
    );
    for (const keys of scanned) expect(keys.length).toBeGreaterThan(0);
    // No target on two shards, none on zero.
    expect(scanned.flat().sort()).toEqual(ALL_TARGETS);

    const union = (await Promise.all([0, 1, 2].map((i) => all<Finding>(i, '/api/v1/findings')))).flat();
    const unsharded = await all<Finding>(COUNT, '/api/v1/findings');
    expect(unsharded.length).toBeGreaterThan(0);
    expect(union.map(content).sort()).toEqual(unsharded.map(content).sort());
  });

  it('shows on every shard the totals of the unsharded daemon, with every shard answering', async () => {
    const one = await get<Summary>(COUNT, '/api/v1/fleet/summary');
    expect(one.shardCount).toBe(1);
    expect(one.peers).toEqual([]);
    expect(one.targets).toEqual({ total: 9, fresh: 9, stale: 0 });
    for (let i = 0; i < COUNT; i++) {
      const summary = await get<Summary>(i, '/api/v1/fleet/summary');
      expect(summary.shards.map((s) => s.answered)).toEqual([true, true, true]);
      expect(summary.shards.reduce((n, s) => n + s.targets, 0)).toBe(9);
      expect(summary.peers.map((p) => p.error)).toEqual([null, null]);
      expect(totals(summary)).toEqual(totals(one));
      expect(summary.targets).toEqual({ total: 9, fresh: 9, stale: 0 });
    }
  });

  it('pages the merged findings in list order, each naming its shard, as the unsharded daemon lists them', async () => {
    const merged = await all<Finding>(1, '/api/v1/fleet/findings');
    const unsharded = await all<Finding>(COUNT, '/api/v1/findings');
    expect(merged.map(content)).toEqual(unsharded.map(content));
    const shardOf = new Map(
      (await get<Targets>(0, '/api/v1/fleet/targets')).items.map((t) => [
        `${t.account ?? ''}|${t.region}`,
        t.shard,
      ]),
    );
    for (const f of merged) expect(f.shard).toBe(shardOf.get(`${f.account ?? ''}|${f.region}`));
  });

  it('marks exactly a killed shard’s targets stale, keeps the others working, and recovers it with its history', async () => {
    const victim = 2;
    const before = await scans(victim);
    const findingsBefore = await all<Finding>(victim, '/api/v1/findings');
    const proc = procs[victim]!;
    procs[victim] = null;
    process.kill(proc.pid, 'SIGKILL');
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = new Date().toISOString();

    for (const i of [0, 1]) {
      // The live shards keep scanning.
      await scanAfter(i, killedAt);
      const targets = await get<Targets>(i, '/api/v1/fleet/targets');
      expect(targets.items).toHaveLength(9);
      for (const t of targets.items) {
        expect(t.state).toBe(t.shard === victim ? 'stale' : 'fresh');
        expect(t.staleReason).toBe(t.shard === victim ? 'shard-not-answering' : null);
      }
      const summary = await get<Summary>(i, '/api/v1/fleet/summary');
      expect(summary.shards.map((s) => s.answered)).toEqual([true, true, false]);
      expect(summary.targets.stale).toBe(summary.shards[victim]!.targets);
      expect(summary.peers.find((p) => p.url === urls[victim])!.error).toMatch(/ECONNREFUSED/);
      const page = await (await fetch(`${urls[i]}/ui/fleet`)).text();
      expect(page).toContain('Shard(s) 2 did not answer');
      // Every target of the silent shard is a highlighted row; no other is.
      expect([...page.matchAll(/<tr data-state="stale" class="target-stale"/g)]).toHaveLength(
        summary.shards[victim]!.targets,
      );
    }

    const restarted = await start(victim);
    expect(restarted.pid).not.toBe(proc.pid);
    await scanAfter(victim, new Date().toISOString());
    // Its history is the same database file: the scans before the kill, the findings' first sightings.
    const after = await scans(victim);
    expect(after.map((s) => s.scanId)).toEqual(expect.arrayContaining(before.map((s) => s.scanId)));
    const firstSeen = new Map(findingsBefore.map((f) => [content(f), f.firstSeen]));
    const findingsAfter = await all<Finding>(victim, '/api/v1/findings');
    expect(findingsAfter.map(content).sort()).toEqual([...firstSeen.keys()].sort());
    for (const f of findingsAfter) expect(f.firstSeen).toBe(firstSeen.get(content(f)));

    const summary = await get<Summary>(0, '/api/v1/fleet/summary');
    expect(summary.shards.map((s) => s.answered)).toEqual([true, true, true]);
    expect(summary.targets).toEqual({ total: 9, fresh: 9, stale: 0 });
    expect(totals(summary)).toEqual(totals(await get<Summary>(COUNT, '/api/v1/fleet/summary')));
  });
});
