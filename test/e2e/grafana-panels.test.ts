// Every Grafana panel query in deploy/grafana/dashboards returns data from a real Prometheus scraping a live daemon.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { parse as parseYaml } from 'yaml';
import { allPanels, dashboards, dashboardSelectors, GRAFANA } from '../support/grafana-dashboards.js';
import { metricValue, startHarness, type Harness } from '../support/harness.js';
import { FAST_LIFECYCLE, jobs, remediationEnv, scanUntilSettled, waitUntil } from '../support/remediation.js';

const REGION = 'us-east-1';

interface PromMatrix {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}
interface PromVector {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** Replaces `$name` and `${name}` / `${name:format}` as Grafana would; an unknown variable fails the test. */
function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{([\w.]+)(?::\w+)?\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
    const value = vars[(braced ?? bare)!];
    if (value === undefined) throw new Error(`no value for Grafana variable ${match} in ${expr}`);
    return value;
  });
}

let h: Harness;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let promLog = '';
let promDir = '';
let promStartedAt = 0;

async function prometheusApi<T>(endpoint: string, params: Record<string, string | number>): Promise<T> {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
  );
  const response = await fetch(`${promUrl}/api/v1/${endpoint}?${search.toString()}`);
  return (await response.json()) as T;
}

function query(expr: string): Promise<PromVector> {
  return prometheusApi<PromVector>('query', { query: expr });
}

beforeAll(async () => {
  h = await startHarness({
    instances: 16,
    seed: 53,
    regions: [REGION, 'eu-west-1'],
    lifecycle: FAST_LIFECYCLE,
    env: remediationEnv(),
  });
  promDir = mkdtempSync(join(tmpdir(), 'dw-prom-'));
  const target = new URL(h.url).host;
  writeFileSync(
    join(promDir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: driftwarden',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prometheus.stderr!.on('data', (chunk: Buffer) => (promLog = (promLog + chunk.toString()).slice(-4000)));
  prometheus.once('error', (error) => (promLog += `\nspawn failed: ${error.message}`));
  promStartedAt = Date.now();
  await waitUntil(
    `prometheus to be ready (install the Debian package \`prometheus\`)`,
    async () => {
      if (prometheus!.exitCode !== null) throw new Error(`prometheus exited: ${promLog}`);
      return (await fetch(`${promUrl}/-/ready`).catch(() => null))?.ok;
    },
    20_000,
    200,
  );
  await waitUntil(
    'prometheus to scrape the daemon',
    async () => (await query('up{job="driftwarden"} == 1')).data.result.length > 0,
    20_000,
    250,
  );
}, 60_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    const timer = setTimeout(() => prometheus!.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  await h?.close();
  if (promDir) rmSync(promDir, { recursive: true, force: true });
});

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
      const series = await prometheusApi<{ status: string; data: unknown[] }>('series', { 'match[]': text });
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
    const scrapeSeconds = 1;
    const rangeSeconds = Math.ceil((evalAt - promStartedAt) / 1000);
    const intervalSeconds = Math.max(scrapeSeconds, Math.ceil(rangeSeconds / 1000)); // ~1000 data points
    const builtins = {
      // Grafana's $__rate_interval: max($__interval + scrape interval, 4 × scrape interval).
      __rate_interval: `${Math.max(intervalSeconds + scrapeSeconds, 4 * scrapeSeconds)}s`,
      __interval: `${intervalSeconds}s`,
      __interval_ms: String(intervalSeconds * 1000),
      __range: `${rangeSeconds}s`,
      __range_s: String(rangeSeconds),
      __range_ms: String(rangeSeconds * 1000),
    };
    const empty: string[] = [];
    let checked = 0;
    for (const { file, dashboard } of dashboards()) {
      const vars: Record<string, string> = { ...builtins };
      for (const v of dashboard.templating.list)
        vars[v.name] = Array.isArray(v.current.value) ? v.current.value.join('|') : v.current.value;
      for (const panel of allPanels(dashboard.panels)) {
        for (const target of panel.targets ?? []) {
          const expr = substitute(target.expr, vars);
          const where = `${file}: panel "${panel.title}" query ${target.refId}: ${expr}`;
          const instant = await prometheusApi<PromVector>('query', { query: expr, time: evalAt / 1000 });
          expect(instant.status, `${where}: ${instant.error ?? ''}`).toBe('success');
          const finite = instant.data.result.filter((r) => Number.isFinite(Number(r.value[1])));
          if (finite.length === 0) empty.push(`${where} (instant) → ${JSON.stringify(instant.data.result)}`);
          if (target.range) {
            const range = await prometheusApi<PromMatrix>('query_range', {
              query: expr,
              start: promStartedAt / 1000,
              end: evalAt / 1000,
              step: intervalSeconds,
            });
            expect(range.status, `${where}: ${range.error ?? ''}`).toBe('success');
            const points = range.data.result
              .flatMap((r) => r.values)
              .filter(([, v]) => Number.isFinite(Number(v)));
            if (points.length === 0) empty.push(`${where} (range) → ${JSON.stringify(range.data.result)}`);
          }
          checked++;
        }
      }
    }
    expect(empty, 'panel queries without a (finite) sample').toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(15);

    // The numbers behind the panels come from the scenario, not from pre-set zeros.
    const value = async (expr: string) => Number((await query(expr)).data.result[0]?.value[1]);
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
