// Three shard daemons that share only their peer list: manifests and acceptances written through one reach all, a shard that is down is named in a 207, and a revocation shows in every shard's next scan.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatorControl, startSimulator, type Simulator } from '@driftwarden/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Acceptance } from '../../src/app/ports.js';
import type { ScanJson } from '../../src/app/scan-json.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { manifestForImage } from '../../src/demo/demo-manifests.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { packagePath } from '../../src/package-root.js';
import { freePort } from '../support/free-port.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { startShardProcesses, stopServeProcesses, type ServeProcess } from '../support/serve-process.js';

const COUNT = 3;
let dir: string;
/** The peer list every replica is configured with: all three, so each must leave itself out. */
let urls: string[];
const daemons: (Daemon | null)[] = [];

interface ShardOutcome {
  shard: number | null;
  url: string | null;
  status: number | null;
  error: string | null;
}

/** The peers in a 207 come after the receiving shard, in URL order (ports are random here). */
function inUrlOrder<T extends { url: string }>(peers: T[]): T[] {
  return [...peers].sort((a, b) => (a.url < b.url ? -1 : 1));
}

function manifest(imageId: string): Record<string, unknown> {
  return {
    schemaVersion: 1,
    image: { id: imageId, region: 'us-east-1', name: `web-${imageId}`, channel: 'web' },
    launch: { instanceType: ['t3.small'] },
  };
}

async function start(index: number): Promise<Daemon> {
  const daemon = await startReplica(urls[index]!, `shard-${index}`, COUNT, index);
  daemons[index] = daemon;
  return daemon;
}

/** A replica listening on `url`, with every peer in `urls`. */
async function startReplica(url: string, name: string, count: number, index: number): Promise<Daemon> {
  const port = Number(new URL(url).port);
  const config = loadConfig({
    file: null,
    cwd: dir,
    env: {
      DRIFTWARDEN_DATABASE_PATH: join(dir, `${name}.db`),
      DRIFTWARDEN_HTTP_HOST: '127.0.0.1',
      DRIFTWARDEN_HTTP_PORT: String(port),
      DRIFTWARDEN_AWS_ENDPOINT: 'http://127.0.0.1:9',
      DRIFTWARDEN_TARGETS: JSON.stringify([{ regions: ['us-east-1', 'eu-west-1', 'ap-south-1'] }]),
      DRIFTWARDEN_RULES_DIR: packagePath('rules'),
      DRIFTWARDEN_SHARDS_COUNT: String(count),
      DRIFTWARDEN_SHARDS_INDEX: String(index),
      DRIFTWARDEN_SHARDS_PEERS: JSON.stringify(urls),
      DRIFTWARDEN_SHARDS_PEER_TIMEOUT: '5s',
      DRIFTWARDEN_AUTH_TOKENS: JSON.stringify([{ name: 'admin', token: ADMIN_TOKEN, scopes: ['admin'] }]),
    },
  });
  return startDaemon({
    config,
    logger: createLogger({ level: 'silent', destination: 2, pretty: false }),
    schedule: false,
  });
}

async function request<T>(
  index: number,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  return requestAt<T>(urls[index]!, method, path, body);
}

/** An admin request to the replica at `base`. */
async function requestAt<T>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function manifestStatus(index: number, imageId: string): Promise<string | null> {
  const { status, body } = await request<{ status: string }>(index, 'GET', `/api/v1/manifests/${imageId}`);
  return status === 404 ? null : body.status;
}

async function acceptances(index: number): Promise<Acceptance[]> {
  return (await request<{ items: Acceptance[] }>(index, 'GET', '/api/v1/acceptances?all=true')).body.items;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-shared-inputs-'));
  // Each replica must know the others' ports before any starts: take free ones (found through port 0).
  urls = [];
  for (let i = 0; i < COUNT; i++) urls.push(`http://127.0.0.1:${await freePort()}`);
  for (let i = 0; i < COUNT; i++) await start(i);
});

afterAll(async () => {
  for (const daemon of daemons) await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('shared inputs across shards', () => {
  it('imports a manifest through one replica into every shard, answering as unsharded', async () => {
    const imported = await request<{ items: { outcome: string }[] }>(
      0,
      'POST',
      '/api/v1/manifests',
      manifest('ami-0aaaa00000000001a'),
    );
    expect(imported.status).toBe(201);
    expect(imported.body.items.map((i) => i.outcome)).toEqual(['created']);
    for (let i = 0; i < COUNT; i++) expect(await manifestStatus(i, 'ami-0aaaa00000000001a')).toBe('active');
  });

  it('revokes a manifest through another replica on every shard', async () => {
    const revoked = await request<{ status: string }>(
      1,
      'POST',
      '/api/v1/manifests/ami-0aaaa00000000001a/revoke',
      { reason: 'CVE in the base image' },
    );
    expect(revoked.status).toBe(200);
    for (let i = 0; i < COUNT; i++) expect(await manifestStatus(i, 'ami-0aaaa00000000001a')).toBe('revoked');
  });

  it('adds an acceptance once on every shard: a fanned-out write is not fanned out again', async () => {
    const added = await request<Acceptance>(0, 'POST', '/api/v1/acceptances', {
      rule: 'tag-drift',
      until: '2d',
      reason: 'tags are rewritten by the cost tool',
    });
    expect(added.status).toBe(201);
    for (let i = 0; i < COUNT; i++) {
      const listed = await acceptances(i);
      expect(listed.map((a) => [a.rule, a.reason, a.revokedAt])).toEqual([
        ['tag-drift', 'tags are rewritten by the cost tool', null],
      ]);
    }
  });

  it('revokes an acceptance through another replica on every shard', async () => {
    const [acceptance] = await acceptances(2);
    const revoked = await request<Acceptance>(2, 'POST', `/api/v1/acceptances/${acceptance!.id}/revoke`);
    expect(revoked.status).toBe(200);
    for (let i = 0; i < COUNT; i++) expect((await acceptances(i))[0]!.revokedBy).toBe('admin');
  });

  it('answers 207 naming a shard that is down, and the live shards apply the write', async () => {
    await daemons[2]!.stop();
    daemons[2] = null;
    const imported = await request<{ result: { items: { outcome: string }[] }; shards: ShardOutcome[] }>(
      0,
      'POST',
      '/api/v1/manifests',
      manifest('ami-0cccc00000000001c'),
    );
    expect(imported.status).toBe(207);
    expect(imported.body.result.items.map((i) => i.outcome)).toEqual(['created']);
    expect(imported.body.shards.map(({ error: _error, ...rest }) => rest)).toEqual([
      { shard: 0, url: null, status: 201 },
      ...inUrlOrder([
        { shard: 1, url: urls[1]!, status: 201 },
        { shard: null, url: urls[2]!, status: null },
      ]),
    ]);
    expect(imported.body.shards.find((s) => s.url === urls[2])!.error).toMatch(/ECONNREFUSED/);
    expect(await manifestStatus(0, 'ami-0cccc00000000001c')).toBe('active');
    expect(await manifestStatus(1, 'ami-0cccc00000000001c')).toBe('active');
  });

  it('revokes through a live shard while one is down', async () => {
    const revoked = await request<{ shards: ShardOutcome[] }>(
      1,
      'POST',
      '/api/v1/manifests/ami-0cccc00000000001c/revoke',
      { reason: 'superseded by a fix' },
    );
    expect(revoked.status).toBe(207);
    expect(revoked.body.shards.filter((s) => s.error !== null).map((s) => s.url)).toEqual([urls[2]]);
  });

  it('brings a restarted shard up to date from its peers: the manifest and revocation it missed', async () => {
    await start(2);
    // At start it catches up on its own, without waiting; this is the same pass SIGHUP runs.
    const result = await daemons[2]!.catchUpManifests();
    expect(result.failed).toEqual([]);
    expect(await manifestStatus(2, 'ami-0cccc00000000001c')).toBe('revoked');
    const { body } = await request<{ revokedReason: string }>(
      2,
      'GET',
      '/api/v1/manifests/ami-0cccc00000000001c',
    );
    expect(body.revokedReason).toBe('superseded by a fix');
  });

  it('refuses to revoke another acceptance on a shard whose ids differ', async () => {
    // Shard 2 was down for no acceptance, so make its ids differ: an acceptance only it has.
    const only = await fetch(`${urls[2]}/api/v1/acceptances`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
        'X-Driftwarden-Fanned-Out': '1',
      },
      body: JSON.stringify({ rule: 'package-drift', until: '1d', reason: 'only on shard 2' }),
    });
    expect(only.status).toBe(201);
    const added = await request<Acceptance>(0, 'POST', '/api/v1/acceptances', {
      rule: 'file-drift',
      until: '1d',
      reason: 'shared',
    });
    // Every shard took it, under id 2 on shards 0 and 1 and id 3 on shard 2.
    expect(added.status).toBe(201);
    expect(added.body.id).toBe(2);
    const revoked = await request<{ shards: ShardOutcome[] }>(0, 'POST', `/api/v1/acceptances/2/revoke`);
    expect(revoked.status).toBe(207);
    expect(revoked.body.shards.map(({ error: _error, ...rest }) => rest)).toEqual([
      { shard: 0, url: null, status: 200 },
      ...inUrlOrder([
        { shard: 1, url: urls[1]!, status: 200 },
        { shard: 2, url: urls[2]!, status: 409 },
      ]),
    ]);
    expect(revoked.body.shards.find((s) => s.url === urls[2])!.error).toMatch(
      /^acceptance 2 on this shard is another one/,
    );
    const open = async (index: number) =>
      (await acceptances(index))
        .filter((a) => a.revokedAt === null)
        .map((a) => a.reason)
        .sort();
    expect(await open(0)).toEqual([]);
    expect(await open(2)).toEqual(['only on shard 2', 'shared']);
  });

  it('keeps every write on an unsharded replica, whatever its peers say', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const single = await startReplica(url, 'unsharded', 1, 0);
    try {
      const response = await fetch(`${url}/api/v1/manifests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(manifest('ami-0dddd00000000001d')),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({
        items: [{ imageId: 'ami-0dddd00000000001d', region: 'us-east-1', outcome: 'created' }],
      });
      for (let i = 0; i < COUNT; i++) expect(await manifestStatus(i, 'ami-0dddd00000000001d')).toBeNull();
    } finally {
      await single.stop();
    }
  });
});

describe('shared inputs in the scans of 3 shard processes', () => {
  // One region, three accounts: a target per account, so one per shard. One image runs in all three
  // (an AMI shared across accounts), so every shard has instances of it.
  const REGION = 'us-east-1';
  const DEFAULT_ACCOUNT = '123456789012';
  const OTHER_ACCOUNTS = ['111122223333', '444455556666'];
  const roleOf = (account: string): string => `arn:aws:iam::${account}:role/driftwarden-scan`;
  let sim: Simulator;
  let processDir: string;
  const processUrls: string[] = [];
  let processes: ServeProcess[] = [];

  async function scanAt(index: number): Promise<ScanJson> {
    const { status, body } = await requestAt<ScanJson>(
      processUrls[index]!,
      'POST',
      '/api/v1/scans?wait=true',
    );
    expect(status).toBe(200);
    expect(body.outcome).toBe('success');
    return body;
  }

  beforeAll(async () => {
    processDir = mkdtempSync(join(tmpdir(), 'dw-shared-scans-'));
    sim = await startSimulator({ instances: 6, seed: 21, regions: [REGION] });
    const control = new SimulatorControl(sim.url);
    for (const account of OTHER_ACCOUNTS) await control.role({ roleArn: roleOf(account) });
    for (let i = 0; i < COUNT; i++) processUrls.push(`http://127.0.0.1:${await freePort()}`);
    processes = await startShardProcesses({
      dir: processDir,
      urls: processUrls,
      awsEndpoint: sim.url,
      targets: [
        { account: DEFAULT_ACCOUNT, regions: [REGION] },
        ...OTHER_ACCOUNTS.map((account) => ({ roleArn: roleOf(account), regions: [REGION] })),
      ],
    });
  });

  afterAll(async () => {
    await stopServeProcesses(processes);
    await sim?.close();
    if (processDir) rmSync(processDir, { recursive: true, force: true });
  });

  it('a manifest imported and then revoked through one replica gives revoked-image findings on every shard by its next scan', async () => {
    const control = new SimulatorControl(sim.url);
    const running = sim.fleet.allInstances().find((i) => i.state === 'running' && i.channel !== null)!;
    const image = (await control.images()).find((i) => i.imageId === running.imageId)!;
    /** Instances of the image, by account. */
    const ofImage = new Map<string, string[]>([
      [
        DEFAULT_ACCOUNT,
        sim.fleet
          .allInstances()
          .filter((i) => i.imageId === image.imageId && (i.state === 'running' || i.state === 'stopped'))
          .map((i) => i.instanceId),
      ],
    ]);
    for (const account of OTHER_ACCOUNTS) {
      const launched = await control.launch({ region: REGION, imageId: image.imageId }, account);
      ofImage.set(account, [launched.instanceId]);
    }
    const revokedOn = (scan: ScanJson): string[] =>
      scan.findings
        .filter((f) => f.rule === 'revoked-image')
        .map((f) => f.instanceId)
        .sort();
    const expectedOn = (scan: ScanJson): string[] =>
      scan.targets.flatMap((t) => ofImage.get(t.account ?? DEFAULT_ACCOUNT) ?? []).sort();

    const imported = await requestAt(processUrls[0]!, 'POST', '/api/v1/manifests', manifestForImage(image));
    expect(imported.status).toBe(201);
    const before: ScanJson[] = [];
    for (let i = 0; i < COUNT; i++) before.push(await scanAt(i));
    // Each shard scans one account, and has instances of the image there.
    expect(
      before
        .map((scan) => scan.targets.map((t) => t.account ?? DEFAULT_ACCOUNT))
        .flat()
        .sort(),
    ).toEqual([DEFAULT_ACCOUNT, ...OTHER_ACCOUNTS].sort());
    for (const scan of before) {
      expect(expectedOn(scan).length).toBeGreaterThan(0);
      expect(revokedOn(scan)).toEqual([]);
      // Known on every shard: none of its instances of the image is an unknown image.
      const ids = new Set(expectedOn(scan));
      expect(scan.findings.filter((f) => f.rule === 'unknown-image' && ids.has(f.instanceId))).toEqual([]);
    }

    const revoked = await requestAt(processUrls[1]!, 'POST', `/api/v1/manifests/${image.imageId}/revoke`, {
      reason: 'CVE in the base image',
    });
    expect(revoked.status).toBe(200);
    for (let i = 0; i < COUNT; i++) {
      const scan = await scanAt(i);
      expect(revokedOn(scan), `shard ${i}`).toEqual(expectedOn(scan));
    }
  });
});
