// Two host sources for one instance (agent push and SSM inventory from AWS Config): they agree or the finding says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimInstance } from '@driftwarden/simulator';
import { INGEST_TOKEN, startHarness, type Harness } from '../support/harness.js';

interface Finding {
  path: string;
  change: string;
  expected: unknown;
  actual: unknown;
  sources?: { source: string; observedAt: string; actual: unknown }[];
}

describe('host sources agree or say so', () => {
  let h: Harness;
  let instance: SimInstance;
  let pkg: string;
  let baked: string;
  /** A copy: the simulator's instance object changes when drift is injected. */
  let bakedPackages: Record<string, string>;
  const push = async (packages: Record<string, string>): Promise<void> => {
    const { status } = await h.post(
      '/api/v1/fingerprints',
      { instanceId: instance.instanceId, observedAt: new Date().toISOString(), host: { packages } },
      INGEST_TOKEN,
    );
    expect(status).toBe(202);
  };
  const findings = async (): Promise<Finding[]> =>
    (await h.get<{ findings: Finding[] }>(`/api/v1/instances/${instance.instanceId}`)).body.findings;

  beforeAll(async () => {
    h = await startHarness({
      instances: 12,
      regions: ['us-east-1'],
      // maxAge 2s: every sync at least 1s after the last full listing lists every item again.
      env: { DRIFTWARDEN_SOURCES_AWS_CONFIG_ENABLED: 'true', DRIFTWARDEN_SOURCES_AWS_CONFIG_MAX_AGE: '2s' },
    });
    instance = h.sim.fleet
      .allInstances()
      .filter((i) => i.state === 'running' && i.channel !== null && Object.keys(i.host.packages).length > 0)
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))[0] as SimInstance;
    bakedPackages = { ...instance.host.packages };
    [pkg, baked] = Object.entries(bakedPackages)[0] as [string, string];
    await h.scan();
  });

  afterAll(async () => {
    await h.close();
  });

  it('agent and inventory both clean: no finding', async () => {
    await push(bakedPackages);
    const scan = await h.scan();
    expect(scan.findings.filter((f) => f.instanceId === instance.instanceId)).toEqual([]);
  });

  it('inventory sees an upgrade the agent does not: one finding listing what each source saw', async () => {
    await h.control.drift(instance.instanceId, { host: { packages: { [pkg]: `${baked}+hotfix1` } } });
    await push(bakedPackages);
    const scan = await h.scan();
    const mine = scan.findings.filter((f) => f.instanceId === instance.instanceId);
    expect(mine.map((f) => f.path)).toEqual([`host.packages.${pkg}`]);
    const [finding] = await findings();
    expect(finding).toMatchObject({ path: `host.packages.${pkg}`, change: 'changed', expected: baked });
    expect(finding?.sources?.map((s) => [s.source, s.actual]).sort()).toEqual([
      ['agent', baked],
      ['aws-config', `${baked}+hotfix1`],
    ]);
  });

  it('once the agent sees it too, the sources agree and both are listed', async () => {
    await push({ ...bakedPackages, [pkg]: `${baked}+hotfix1` });
    await h.scan();
    const [finding] = await findings();
    expect(finding).toMatchObject({ change: 'changed', actual: `${baked}+hotfix1` });
    expect(finding?.sources?.map((s) => s.actual)).toEqual([`${baked}+hotfix1`, `${baked}+hotfix1`]);
  });

  it('inventory Config no longer has is forgotten at the next full listing, not confirmed forever', async () => {
    await h.control.deleteInventory(instance.instanceId);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await h.scan();
    const [finding] = await findings();
    // Only the agent covers the path now: the finding stays (the agent sees it), without sources.
    expect(finding).toMatchObject({ path: `host.packages.${pkg}`, actual: `${baked}+hotfix1` });
    expect(finding?.sources).toBeUndefined();
    const view = await h.get<{ host: { source: string } }>(`/api/v1/instances/${instance.instanceId}`);
    expect(view.body.host.source).toBe('agent');
  });
});
