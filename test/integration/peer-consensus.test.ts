// Peer consensus on the simulator: a boot-time difference shared by an image's fleet is fleet-wide, a hand-made one an outlier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/domain/types.js';
import { INGEST_TOKEN, metricValue, startHarness, type Harness } from '../support/harness.js';

const RESOLV = '/etc/resolv.conf';
const SSHD = '/etc/ssh/sshd_config';
const BAKED_RESOLV = 'a'.repeat(64);
const BOOT_RESOLV = 'b'.repeat(64);
const BAKED_SSHD = 'c'.repeat(64);
const HAND_SSHD = 'd'.repeat(64);
const RESOLV_PATH = `host.files["${RESOLV}"].sha256`;
const SSHD_PATH = `host.files["${SSHD}"].sha256`;

interface ApiFinding {
  instanceId: string;
  path: string;
  scope: string;
  onset?: string | null;
  severity: string;
}

/** Bakes an image whose manifest declares both files, and launches `count` standalone instances of it. */
async function fleetOf(h: Harness, channel: string, count: number): Promise<string[]> {
  const manifest: Manifest = await h.addImage({ region: 'us-east-1', channel });
  const declared: Manifest = {
    ...manifest,
    host: { files: { [RESOLV]: { sha256: BAKED_RESOLV }, [SSHD]: { sha256: BAKED_SSHD } } },
  };
  expect((await h.post('/api/v1/manifests', declared)).status).toBe(201);
  const launched = await h.control.launchBulk({
    region: 'us-east-1',
    count,
    channel,
    imageId: manifest.image.id,
    group: null,
  });
  return launched.instanceIds;
}

/** The agent's push of both files, stamped `at` (the daemon's now). */
async function push(h: Harness, instanceId: string, files: Record<string, string>, at: Date): Promise<void> {
  const host = {
    files: Object.fromEntries(Object.entries(files).map(([path, sha256]) => [path, { sha256 }])),
  };
  const { status } = await h.post(
    '/api/v1/fingerprints',
    { instanceId, observedAt: at.toISOString(), host },
    INGEST_TOKEN,
  );
  expect(status).toBe(202);
}

async function findingsOf(h: Harness, instanceIds: readonly string[], query: string): Promise<ApiFinding[]> {
  const { body } = await h.get<{ items: ApiFinding[] }>(`/api/v1/findings?limit=1000&${query}`);
  return body.items.filter((f) => instanceIds.includes(f.instanceId));
}

describe('peer consensus per image', () => {
  let h: Harness;
  let imageA: string[];
  let imageB: string[];
  let handMade: string[];

  const findings = (query: string): Promise<ApiFinding[]> => findingsOf(h, [...imageA, ...imageB], query);

  beforeAll(async () => {
    h = await startHarness({ instances: 5, regions: ['us-east-1'] });
    imageA = await fleetOf(h, 'consensus-a', 20);
    imageB = await fleetOf(h, 'consensus-b', 3);
    handMade = imageA.slice(0, 2);
    // The agents push once a scan has seen their instances (before that the push is refused).
    await h.scan();
    // Every instance of both images came up with cloud-init's resolv.conf; two of A had sshd edited.
    for (const id of [...imageA, ...imageB])
      await push(
        h,
        id,
        { [RESOLV]: BOOT_RESOLV, [SSHD]: handMade.includes(id) ? HAND_SSHD : BAKED_SSHD },
        new Date(),
      );
    await h.scan();
  });

  afterAll(async () => {
    await h.close();
  });

  it("rates image A's shared boot-time difference fleet-wide, present since boot", async () => {
    const fleetWide = await findings('scope=fleet-wide');
    expect(fleetWide.map((f) => f.instanceId).sort()).toEqual([...imageA].sort());
    for (const f of fleetWide) expect(f).toMatchObject({ path: RESOLV_PATH, onset: 'since-boot' });
  });

  it('rates the two hand-made sshd changes as outliers', async () => {
    const outliers = await findings('scope=outlier');
    expect(outliers.map((f) => [f.instanceId, f.path]).sort()).toEqual(
      [...handMade].sort().map((id) => [id, SSHD_PATH]),
    );
  });

  it("leaves image B's findings unrated: three instances are too few peers", async () => {
    const unrated = await findings('scope=unrated');
    expect(unrated.map((f) => f.instanceId).sort()).toEqual([...imageB].sort());
    expect(unrated.every((f) => f.path === RESOLV_PATH)).toBe(true);
  });

  it('carries the scope in the scan JSON and in the findings metric', async () => {
    const scan = await h.scan();
    const mine = scan.findings.filter((f) => f.instanceId === handMade[0]);
    expect(mine.map((f) => [f.path, f.scope, f.onset ?? null])).toEqual([
      [RESOLV_PATH, 'fleet-wide', 'since-boot'],
      [SSHD_PATH, 'outlier', null],
    ]);
    const metrics = await h.metrics();
    expect(
      metricValue(metrics, 'driftwarden_findings', { rule: mine[0]?.rule ?? '', scope: 'fleet-wide' }),
    ).toBe(20);
    expect(
      metricValue(metrics, 'driftwarden_findings', { rule: mine[1]?.rule ?? '', scope: 'outlier' }),
    ).toBe(2);
  });

  it('keeps an unchanged fleet unchanged: a second scan rates the same', async () => {
    await h.scan();
    expect((await findings('scope=fleet-wide')).length).toBe(20);
    expect((await findings('scope=outlier')).length).toBe(2);
  });

  it('rejects an unknown scope naming the parameter', async () => {
    const { status, body } = await h.get<{ detail?: string; errors?: unknown }>(
      '/api/v1/findings?scope=most',
    );
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('scope');
  });
});

describe('peer consensus: a change made by hand on every instance after boot', () => {
  let h: Harness;
  let fleet: string[];
  // The daemon's clock: moved two hours on, past signal.freshWindow (30m) after the launches.
  let offsetMs = 0;
  const daemonNow = (): Date => new Date(Date.now() + offsetMs);

  beforeAll(async () => {
    h = await startHarness({ instances: 5, regions: ['us-east-1'], clock: daemonNow });
    fleet = await fleetOf(h, 'consensus-c', 20);
    await h.scan();
    // Baked state at boot: compliant.
    for (const id of fleet) await push(h, id, { [RESOLV]: BAKED_RESOLV, [SSHD]: BAKED_SSHD }, daemonNow());
    await h.scan();
    offsetMs = 2 * 60 * 60_000;
    for (const id of fleet) await push(h, id, { [RESOLV]: BAKED_RESOLV, [SSHD]: HAND_SSHD }, daemonNow());
    await h.scan();
  });

  afterAll(async () => {
    await h.close();
  });

  it('is fleet-wide, appeared after boot, and keeps its critical severity', async () => {
    const open = await findingsOf(h, fleet, '');
    expect(open).toHaveLength(20);
    for (const f of open)
      expect(f).toMatchObject({
        path: SSHD_PATH,
        scope: 'fleet-wide',
        onset: 'after-boot',
        severity: 'critical',
      });
  });
});
