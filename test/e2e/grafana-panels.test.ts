// Every Grafana panel query in deploy/grafana/dashboards returns data from a real Prometheus scraping a live daemon.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { allPanels, dashboards, dashboardSelectors, GRAFANA } from '../support/grafana-dashboards.js';
import { metricValue, startHarness, type Harness } from '../support/harness.js';
import { evaluateDashboards, startPrometheus, substitute, type Prometheus } from '../support/prometheus.js';
import { FAST_LIFECYCLE, jobs, remediationEnv, scanUntilSettled, waitUntil } from '../support/remediation.js';

const REGION = 'us-east-1';

let h: Harness;
let prometheus: Prometheus | undefined;

beforeAll(async () => {
  h = await startHarness({
    instances: 16,
    seed: 53,
    regions: [REGION, 'eu-west-1'],
    lifecycle: FAST_LIFECYCLE,
    env: remediationEnv(),
  });
  prometheus = await startPrometheus({ targets: [new URL(h.url).host] });
}, 60_000);

afterAll(async () => {
  await prometheus?.close();
  await h?.close();
});

const query = (expr: string) => prometheus!.query(expr);

describe('Grafana dashboards', () => {
  it('parse, and every panel has a title and the provisioned Prometheus datasource', () => {
    const provisioned = parseYaml(
      readFileSync(join(GRAFANA, 'provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string; url: string }[] };
    expect(provisioned.datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const provider = parseYaml(
      readFileSync(join(GRAFANA, 'provisioning/dashboards/driftwarden.yml'), 'utf8'),
    ) as { providers: { type: string; options: { path: string } }[] };
    expect(provider.providers.map((p) => [p.type, p.options.path])).toEqual([
      ['file', '/var/lib/grafana/dashboards'],
    ]);

    const all = dashboards();
    expect(all.length).toBeGreaterThanOrEqual(1);
    for (const { file, dashboard } of all) {
      expect(dashboard.uid, file).toMatch(/^[\w-]{1,40}$/);
      expect(dashboard.title, file).toBeTruthy();
      const panels = allPanels(dashboard.panels);
      expect(dashboard.schemaVersion, `${file}: Grafana 10+ JSON model`).toBeGreaterThanOrEqual(38);
      expect(new Set(panels.map((p) => p.id)).size, `${file}: panel ids are unique`).toBe(panels.length);
      // The layout fits the 24-column grid and no two panels cover the same cell.
      const cells = new Map<string, string>();
      for (const { title, gridPos: g } of panels) {
        expect(g.x >= 0 && g.w > 0 && g.h > 0 && g.x + g.w <= 24, `${file}: "${title}" gridPos`).toBe(true);
        for (let x = g.x; x < g.x + g.w; x++)
          for (let y = g.y; y < g.y + g.h; y++) {
            const other = cells.get(`${x},${y}`);
            expect(other, `${file}: "${title}" overlaps "${other}"`).toBeUndefined();
            cells.set(`${x},${y}`, title ?? '');
          }
      }
      for (const panel of panels) {
        expect(panel.title, `${file}: panel ${panel.id} has a title`).toBeTruthy();
        if (panel.type === 'row') continue;
        expect(panel.datasource?.uid, `${file}: "${panel.title}" datasource`).toBe('prometheus');
        expect(panel.targets?.length, `${file}: "${panel.title}" has targets`).toBeGreaterThan(0);
        for (const target of panel.targets!) {
          expect(target.expr, `${file}: "${panel.title}" ${target.refId} has a query`).toBeTruthy();
          expect(target.datasource?.uid ?? 'prometheus', `${file}: "${panel.title}" ${target.refId}`).toBe(
            'prometheus',
          );
        }
      }
    }
  });

  it('have a series for every selector of every panel query from Prometheus scraping a daemon before its first scan', async () => {
    // Before the scenario below: only the harness's manifest import has happened. The drifted-instance
    // series are per instance, so they exist only once something drifted.
    const missing: string[] = [];
    for (const { where, text, name } of dashboardSelectors()) {
      if (name === 'driftwarden_instance_drift') continue;
      const series = await prometheus!.api<{ status: string; data: unknown[] }>('series', {
        'match[]': text,
      });
      expect(series.status, `${where}: ${text}`).toBe('success');
      if (series.data.length === 0) missing.push(`${where}: ${text}`);
    }
    expect(missing, 'selectors without a series on a fresh daemon').toEqual([]);
  });

  it('return data for every panel query from Prometheus scraping a daemon with drift, a replacement, a revoked and an unknown image and AWS throttling', async () => {
    // Standalone instances so the replacement is a plain launch-then-terminate in one region.
    const launchOn = async (imageId: string, tags: Record<string, string> = {}) =>
      (
        await h.control.launch({
          region: REGION,
          imageId,
          tags: { 'managed-by': 'packer', Name: 'grafana-e2e', env: 'prod', ...tags },
        })
      ).instanceId;
    const seeded = h.sim.fleet
      .allInstances()
      .filter((i) => i.region === REGION && i.state === 'running' && i.channel !== null);
    const [typeChanged, tagRemoved] = seeded;
    const channel = h.sim.fleet.images.find((i) => i.region === REGION && i.state === 'available')!.channel;
    const toReplace = await launchOn(h.sim.fleet.newestImage(REGION, channel)!.imageId);
    const old = await h.addImage({ region: REGION, channel, builtAt: '2026-01-01T00:00:00Z' });
    expect((await h.post('/api/v1/manifests', old)).status).toBe(201);
    // Protected, so the revoked-image finding stays on the dashboard instead of being replaced away.
    await launchOn(old.image.id, { 'driftwarden:protect': 'yes' });
    await h.control.launch({ region: REGION, imageId: 'ami-0000000000000dead' });
    expect((await h.scan()).outcome).toBe('success');

    await h.control.drift(toReplace, { httpTokens: 'optional' }); // critical, replace
    await h.control.drift(typeChanged!.instanceId, { instanceType: 'm5.4xlarge' }); // warning, needs approval
    await h.control.drift(tagRemoved!.instanceId, { tags: { role: null } }); // info, report
    expect((await h.post(`/api/v1/manifests/${old.image.id}/revoke`, { reason: 'e2e' })).status).toBe(200);
    const settled = await scanUntilSettled(h, [toReplace], 40_000);
    expect(settled.find((j) => j.instanceId === toReplace)?.state).toBe('succeeded');
    expect((await jobs(h)).find((j) => j.instanceId === typeChanged!.instanceId)?.state).toBe(
      'awaiting-approval',
    );

    await h.control.fault({ region: 'eu-west-1', operation: 'DescribeInstances', kind: 'throttle' });
    let lastScanAt = 0;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 700));
      expect((await h.scan()).outcome).toBe('partial');
      lastScanAt = Date.now();
    }
    const partial = metricValue(await h.metrics(), 'driftwarden_scans_total', { outcome: 'partial' });
    await waitUntil(
      'prometheus to scrape the last scan',
      async () =>
        Number((await query('driftwarden_scans_total{outcome="partial"}')).data.result[0]?.value[1]) ===
        partial,
      10_000,
      200,
    );
    // Queries are evaluated as Grafana would at a moment shortly after the last scan, with the
    // windows Grafana would pick for a 1 s scrape interval: the rate windows hold scrapes from before
    // and after that scan.
    const evalAt = lastScanAt + 2500;
    await new Promise((r) => setTimeout(r, Math.max(0, evalAt + 1500 - Date.now())));
    const { empty, checked } = await evaluateDashboards(prometheus!, evalAt);
    expect(empty, 'panel queries without a (finite) sample').toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(15);

    // The numbers behind the panels come from the scenario, not from pre-set zeros.
    const value = (expr: string) => prometheus!.value(expr);
    expect(await value('sum(driftwarden_replacements_total{outcome="succeeded"})')).toBeGreaterThanOrEqual(1);
    expect(await value('driftwarden_manifests{status="revoked"}')).toBeGreaterThanOrEqual(1);
    expect(await value('driftwarden_instances{state="unknown_image"}')).toBeGreaterThanOrEqual(1);
    expect(await value('sum(driftwarden_aws_requests_total{outcome="throttled"})')).toBeGreaterThan(0);
    expect(await value('max(driftwarden_drift_oldest_seconds{severity="critical"})')).toBeGreaterThan(0);
  }, 90_000);

  it('links the dashboard to the web UI and the drifted-instances table to the instance page', async () => {
    const dashboard = dashboards().find(({ file }) => file === 'driftwarden.json')!.dashboard;
    expect(dashboard.links).toContainEqual(expect.objectContaining({ url: '${driftwarden_url}/ui' }));
    const table = allPanels(dashboard.panels).find(
      (p) => p.type === 'table' && p.title === 'Drifted instances',
    );
    expect(table).toBeDefined();
    const link = table!.fieldConfig?.overrides
      ?.find((o) => o.matcher.options === 'instance_id')
      ?.properties.find((p) => p.id === 'links')?.value as { url: string }[] | undefined;
    expect(link?.[0]?.url).toBe('${driftwarden_url}/ui/instances/${__value.raw}');
    const drifted = (await query('driftwarden_instance_drift')).data.result;
    expect(drifted.length).toBeGreaterThan(0);
    const instanceId = drifted[0]!.metric.instance_id!;
    const url = substitute(link![0]!.url, { driftwarden_url: h.url, '__value.raw': instanceId });
    expect(url).toBe(`${h.url}/ui/instances/${instanceId}`);
    const response = await fetch(url);
    expect(response.status, url).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain(`<title>Instance ${instanceId} · driftwarden</title>`);
  });
});
