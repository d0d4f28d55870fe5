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
}

describe('peer consensus per image', () => {
  let h: Harness;
  let imageA: string[];
  let imageB: string[];
  let handMade: string[];

  /** Bakes an image whose manifest declares both files, and launches `count` standalone instances of it. */
  async function fleetOf(channel: string, count: number): Promise<string[]> {
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

  async function push(instanceId: string, files: Record<string, string>): Promise<void> {
    const host = {
      files: Object.fromEntries(Object.entries(files).map(([path, sha256]) => [path, { sha256 }])),
    };
    const { status } = await h.post(
      '/api/v1/fingerprints',
      { instanceId, observedAt: new Date().toISOString(), host },
      INGEST_TOKEN,
    );
    expect(status).toBe(202);
  }

  async function findings(query: string): Promise<ApiFinding[]> {
    const { body } = await h.get<{ items: ApiFinding[] }>(`/api/v1/findings?limit=1000&${query}`);
    return body.items.filter((f) => [...imageA, ...imageB].includes(f.instanceId));
  }

  beforeAll(async () => {
    h = await startHarness({ instances: 5, regions: ['us-east-1'] });
    imageA = await fleetOf('consensus-a', 20);
    imageB = await fleetOf('consensus-b', 3);
    handMade = imageA.slice(0, 2);
    // The agents push once a scan has seen their instances (before that the push is refused).
    await h.scan();
    // Every instance of both images came up with cloud-init's resolv.conf; two of A had sshd edited.
    for (const id of [...imageA, ...imageB])
      await push(id, { [RESOLV]: BOOT_RESOLV, [SSHD]: handMade.includes(id) ? HAND_SSHD : BAKED_SSHD });
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
