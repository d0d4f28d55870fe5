// Peer consensus on the simulator: a boot-time difference shared by an image's fleet is fleet-wide, a hand-made one an outlier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BAKED_RESOLV,
  BOOT_RESOLV,
  RESOLV_PATH,
  RESOLV_REEDITED,
  SSHD_EDITED,
  SSHD_PATH,
  afterBootFleet,
  bootTimeFleet,
  enforceRules,
  type AfterBootEdit,
  exposed,
  imageOf,
} from '../support/consensus-fleet.js';
import { metricValue, samples, startHarness, type Harness } from '../support/harness.js';
import { expectReasonShown, jobs, remediationEnv } from '../support/remediation.js';

interface ApiFinding {
  instanceId: string;
  path: string;
  scope: string;
  onset?: string | null;
  severity: string;
}

interface ApiMismatch {
  region: string;
  imageId: string;
  path: string;
  change: string;
  rule: string;
  severity: string;
  expected: unknown;
  actual: unknown;
  instances: number;
  firstSeen: string;
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
  const rules = enforceRules();

  const findings = (query: string): Promise<ApiFinding[]> => findingsOf(h, [...imageA, ...imageB], query);

  beforeAll(async () => {
    h = await startHarness({
      instances: 5,
      regions: ['us-east-1'],
      env: remediationEnv({ DRIFTWARDEN_RULES_DIR: rules.dir }),
    });
    ({ imageA, imageB, handMade } = await bootTimeFleet(h));
  });

  afterAll(async () => {
    await h.close();
    rules.remove();
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

  it("lists image A's shared difference once as a manifest mismatch, and image B's not at all", async () => {
    const [imageIdA, imageIdB] = [await imageOf(h, imageA[0]!), await imageOf(h, imageB[0]!)];
    const { status, body } = await h.get<{ items: ApiMismatch[] }>('/api/v1/manifest-mismatches');
    expect(status).toBe(200);
    expect(body.items.filter((m) => m.imageId === imageIdA)).toEqual([
      {
        region: 'us-east-1',
        imageId: imageIdA,
        path: RESOLV_PATH,
        change: 'changed',
        rule: 'files',
        severity: 'warning',
        expected: BAKED_RESOLV,
        actual: BOOT_RESOLV,
        instances: 20,
        firstSeen: expect.any(String) as unknown,
      },
    ]);
    expect(body.items.filter((m) => m.imageId === imageIdB)).toEqual([]);
    const page = await h.get<string>('/ui/manifest-mismatches');
    expect(page.body).toContain(`data-image="${imageIdA}"`);
    expect(page.body).not.toContain(`data-image="${imageIdB}"`);
  });

  it('plans replacements for the outliers in enforce mode, and none for the manifest mismatch', async () => {
    const planned = (await jobs(h)).filter((j) => imageA.includes(j.instanceId));
    expect(planned.map((j) => j.instanceId).sort()).toEqual([...handMade].sort());
    for (const j of planned) {
      expect(j.state).toBe('awaiting-approval');
      // The job is for the hand-made change alone: the shared resolv.conf would come back.
      expect(j.reason.map((r) => r.rule)).toEqual(['file-sshd']);
    }
    const shared = imageA.find((id) => !handMade.includes(id))!;
    const reason = await expectReasonShown(h, shared, 'manifest-mismatch');
    expect(reason.text).toContain(RESOLV_PATH);
  });

  it('exports the mismatch once per image and path, and per-instance drift only for the outliers', async () => {
    const imageIdA = await imageOf(h, imageA[0]!);
    const metrics = await h.metrics();
    expect(
      metricValue(metrics, 'driftwarden_manifest_mismatch', {
        image_id: imageIdA,
        path: exposed(RESOLV_PATH),
      }),
    ).toBe(20);
    const perInstance = samples(metrics).filter(
      (x) => x.name === 'driftwarden_instance_drift' && imageA.includes(x.labels.instance_id ?? ''),
    );
    expect(perInstance.map((x) => [x.labels.instance_id, x.labels.severity]).sort()).toEqual(
      [...handMade].sort().map((id) => [id, 'critical']),
    );
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

/**
 * A harness whose daemon clock moves two hours on (past signal.freshWindow, 30m, after the launches)
 * between the boot pushes and the hand edit; the simulator's launch times stay on the real clock.
 */
function afterBootHarness(edit: AfterBootEdit): () => { h: Harness; fleet: string[] } {
  let started: { h: Harness; fleet: string[] } | undefined;
  let offsetMs = 0;
  const daemonNow = (): Date => new Date(Date.now() + offsetMs);

  beforeAll(async () => {
    const h = await startHarness({ instances: 5, regions: ['us-east-1'], clock: daemonNow });
    started = {
      h,
      fleet: await afterBootFleet(h, edit, daemonNow, (ms) => {
        offsetMs += ms;
      }),
    };
  });

  afterAll(async () => {
    await started?.h.close();
  });

  return () => {
    if (started === undefined) throw new Error('the after-boot harness did not start');
    return started;
  };
}

describe('peer consensus: a change made by hand on every instance after boot', () => {
  const started = afterBootHarness(SSHD_EDITED);

  it('is fleet-wide, appeared after boot, and keeps its critical severity', async () => {
    const { h, fleet } = started();
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

  it('is one critical cause of the image, not twenty drifted instances', async () => {
    const { h, fleet } = started();
    const imageId = await imageOf(h, fleet[0]!);
    const metrics = await h.metrics();
    expect(
      metricValue(metrics, 'driftwarden_fleet_wide_drift', {
        image_id: imageId,
        path: exposed(SSHD_PATH),
        severity: 'critical',
      }),
    ).toBe(20);
    expect(
      samples(metrics).filter(
        (x) => x.name === 'driftwarden_instance_drift' && fleet.includes(x.labels.instance_id ?? ''),
      ),
    ).toEqual([]);
    // Appeared after boot: not a manifest mismatch.
    const { body } = await h.get<{ items: ApiMismatch[] }>('/api/v1/manifest-mismatches');
    expect(body.items.filter((m) => m.imageId === imageId)).toEqual([]);
  });

  it('trips the drift-storm breaker with a pause that names the shared cause', async () => {
    const { h, fleet } = started();
    const imageId = await imageOf(h, fleet[0]!);
    const { body } = await h.get<{ paused: boolean; reason: string | null; detail: string | null }>(
      '/api/v1/remediation',
    );
    expect(body).toMatchObject({ paused: true, reason: 'drift-storm' });
    expect(body.detail).toContain(
      `shared cause: ${SSHD_PATH} changed after boot on image ${imageId}'s fleet (20 instances)`,
    );
  });
});

describe('peer consensus: a boot-time difference edited by hand on every instance after boot', () => {
  const started = afterBootHarness(RESOLV_REEDITED);

  it('rates the new value after boot: it was first seen now, not when the old one was', async () => {
    const { h, fleet } = started();
    const open = await findingsOf(h, fleet, '');
    expect(open).toHaveLength(20);
    for (const f of open)
      expect(f).toMatchObject({ path: RESOLV_PATH, scope: 'fleet-wide', onset: 'after-boot' });
    const imageId = await imageOf(h, fleet[0]!);
    const { body } = await h.get<{ items: ApiMismatch[] }>('/api/v1/manifest-mismatches');
    expect(body.items.filter((m) => m.imageId === imageId)).toEqual([]);
  });
});
