// End to end: 2 shard processes scraped by one real Prometheus with the shipped alert rules: one alert per drifted instance, dashboard totals the sum of the shards.
//
// Each shard is a `driftwarden serve` process (the built CLI) owning one of the two targets
// (one account × 2 regions) of one simulated fleet, with the other as its peer, so the manifests
// imported through shard 0 reach both. Scans run when the test asks (the schedule is once a year).
// Prometheus scrapes both as job `driftwarden` every second and evaluates
// deploy/prometheus/alerts.yml with `for: 0s`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, SimulatorControl, type Simulator } from '@driftwarden/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanJson } from '../../src/app/scan-json.js';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { freePort } from '../support/free-port.js';
import { allPanels, dashboards } from '../support/grafana-dashboards.js';
import { ADMIN_TOKEN, SCAN_TOKEN, samples, type Sample } from '../support/harness.js';
import {
  startPrometheus,
  writeFastAlertRules,
  type RunningPrometheus,
} from '../support/prometheus-server.js';
import { waitUntil } from '../support/remediation.js';
import { startShardProcesses, stopServeProcesses, type ServeProcess } from '../support/serve-process.js';

const REGIONS = ['us-east-1', 'eu-west-1'];
const COUNT = 2;

let sim: Simulator;
let control: SimulatorControl;
let dir: string;
let prometheus: RunningPrometheus | undefined;
const urls: string[] = [];
let shards: ServeProcess[] = [];

async function post(index: number, path: string, body: unknown, token: string): Promise<Response> {
  return fetch(`${urls[index]}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function scan(index: number): Promise<ScanJson> {
  const response = await post(index, '/api/v1/scans?wait=true', undefined, SCAN_TOKEN);
  expect(response.status).toBe(200);
  return (await response.json()) as ScanJson;
}

async function scrape(index: number): Promise<Sample[]> {
  return samples(await (await fetch(`${urls[index]}/metrics`)).text());
}

/** The query of a panel of the shipped dashboard, by panel title and refId. */
function panelQuery(title: string, refId: string): string {
  const { dashboard } = dashboards().find(({ file }) => file === 'driftwarden.json')!;
  const target = allPanels(dashboard.panels)
    .find((p) => p.title === title)
    ?.targets?.find((t) => t.refId === refId);
  if (!target) throw new Error(`driftwarden.json has no panel "${title}" with query ${refId}`);
  return target.expr;
}

/** `labels → value` of an instant vector, keyed by the given labels (JSON of their values). */
function byLabels(
  rows: { labels: Record<string, string>; value: number }[],
  keys: string[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const { labels, value } of rows) {
    const key = JSON.stringify(keys.map((k) => labels[k] ?? ''));
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-shards-prom-'));
  sim = await startSimulator({ instances: 12, seed: 31, regions: REGIONS });
  control = new SimulatorControl(sim.url);
  for (let i = 0; i < COUNT; i++) urls.push(`http://127.0.0.1:${await freePort()}`);
  shards = await startShardProcesses({ dir, urls, awsEndpoint: sim.url, targets: [{ regions: REGIONS }] });
});

afterAll(async () => {
  await prometheus?.stop();
  await stopServeProcesses(shards);
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus across 2 shards', () => {
  it(
    'fires one DriftwardenCriticalDrift per drifted instance, and the dashboard totals are the sums of the shards',
    {
      timeout: 120_000,
    },
    async () => {
      // Manifests through shard 0 reach shard 1 as well (fan-out to the peer).
      for (const manifest of manifestsForImages(await control.images()))
        expect((await post(0, '/api/v1/manifests', manifest, ADMIN_TOKEN)).status).toBe(201);

      // One instance drifted (IMDSv1 re-enabled, critical) in each region, so on each shard.
      const drifted = REGIONS.map((region) =>
        sim.fleet
          .allInstances()
          .find((i) => i.region === region && i.state === 'running' && i.channel !== null)!,
      );
      for (const instance of drifted) await control.drift(instance.instanceId, { httpTokens: 'optional' });
      // And one image revoked through shard 1: critical `revoked-image` findings on its instances.
      const revoke = await post(
        1,
        `/api/v1/manifests/${drifted[1]!.imageId}/revoke`,
        { reason: 'e2e' },
        ADMIN_TOKEN,
      );
      expect(revoke.status).toBe(200);
      const scans = [await scan(0), await scan(1)];
      expect(scans.map((s) => s.outcome)).toEqual(['success', 'success']);
      // Each region is one target, owned by one shard: together they scanned both, once.
      expect(scans.flatMap((s) => s.targets.map((t) => t.region)).sort()).toEqual([...REGIONS].sort());

      const exposed = [await scrape(0), await scrape(1)];
      // Per shard: the instances with critical drift, as that shard exports them.
      const critical = exposed.map((s) =>
        s
          .filter((x) => x.name === 'driftwarden_instance_drift' && x.labels.severity === 'critical')
          .map((x) => x.labels.instance_id!)
          .sort(),
      );
      for (const instance of drifted)
        expect(critical.flat(), `${instance.instanceId} (${instance.region})`).toContain(instance.instanceId);
      expect(critical.every((ids) => ids.length > 0)).toBe(true);

      prometheus = await startPrometheus(dir, {
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [writeFastAlertRules(dir)],
        scrape_configs: [
          { job_name: 'driftwarden', static_configs: [{ targets: urls.map((u) => new URL(u).host) }] },
        ],
      });
      const firing = await waitUntil(
        'DriftwardenCriticalDrift firing for every critically drifted instance of both shards',
        async () => {
          const alerts = (await prometheus!.alerts()).filter(
            (a) => a.labels.alertname === 'DriftwardenCriticalDrift' && a.state === 'firing',
          );
          return alerts.length >= critical.flat().length ? alerts : undefined;
        },
        60_000,
        250,
      );
      // Exactly one alert per instance, labelled with the shard that owns it.
      expect(firing.map((a) => a.labels.instance_id).sort()).toEqual(critical.flat().sort());
      for (const [shard, ids] of critical.entries())
        for (const id of ids)
          expect(firing.find((a) => a.labels.instance_id === id)!.labels).toMatchObject({
            shard: String(shard),
            job: 'driftwarden',
          });

      // A fleet-wide alert sums over the shards: one DriftwardenRevokedImage, not one per shard.
      const revoked = await waitUntil(
        'DriftwardenRevokedImage firing',
        async () => {
          const alerts = (await prometheus!.alerts()).filter(
            (a) => a.labels.alertname === 'DriftwardenRevokedImage' && a.state === 'firing',
          );
          return alerts.length > 0 ? alerts : undefined;
        },
        20_000,
        250,
      );
      expect(revoked).toHaveLength(1);
      expect(revoked[0]!.labels.shard).toBeUndefined();

      // Both shards' last scans are in Prometheus before the totals are compared.
      await waitUntil(
        'prometheus to hold both shards scraped after their scans',
        async () => (await prometheus!.query('up{job="driftwarden"} == 1')).length === COUNT,
        20_000,
        250,
      );
      const shardRows = (name: string) =>
        exposed
          .flat()
          .filter((s) => s.name === name)
          .map((s) => ({ labels: s.labels, value: s.value }));
      const promRows = async (expr: string) =>
        (await prometheus!.query(expr)).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));

      // Fleet compliance, open findings, unknown images: each shard counts its own instances; the
      // panels show the sum.
      const summed: [title: string, refId: string, metric: string, keys: string[]][] = [
        ['Fleet compliance', 'A', 'driftwarden_instances', ['state']],
        ['Open findings by rule and severity', 'A', 'driftwarden_findings', ['rule', 'severity']],
      ];
      for (const [title, refId, metric, keys] of summed) {
        const expected = byLabels(shardRows(metric), keys);
        expect(
          [...expected.values()].reduce((a, b) => a + b, 0),
          `${metric} is not all zero`,
        ).toBeGreaterThan(0);
        expect(byLabels(await promRows(panelQuery(title, refId)), keys), `${title} ${refId}`).toEqual(
          expected,
        );
      }
      const total = (metric: string, labels: Record<string, string>) =>
        shardRows(metric)
          .filter((r) => Object.entries(labels).every(([k, v]) => r.labels[k] === v))
          .reduce((sum, r) => sum + r.value, 0);
      const stat = async (title: string, refId: string) =>
        (await promRows(panelQuery(title, refId))).map((r) => r.value);
      expect(await stat('Unknown and revoked images', 'A')).toEqual([
        total('driftwarden_instances', { state: 'unknown_image' }),
      ]);
      expect(total('driftwarden_findings', { rule: 'revoked-image' })).toBeGreaterThan(0);
      expect(await stat('Unknown and revoked images', 'C')).toEqual([
        total('driftwarden_findings', { rule: 'revoked-image' }),
      ]);
      // The drifted-instances panel counts each instance once: as many as the alerts.
      const bySeverity = await promRows(panelQuery('Drifted instances by group and severity', 'A'));
      expect(
        bySeverity.filter((r) => r.labels.severity === 'critical').reduce((sum, r) => sum + r.value, 0),
      ).toBe(firing.length);
      // Manifests are shared, not split: every shard holds all of them, and the panel shows them once.
      const manifests = exposed.map((s) =>
        byLabels(
          s
            .filter((x) => x.name === 'driftwarden_manifests')
            .map((x) => ({ labels: x.labels, value: x.value })),
          ['status'],
        ),
      );
      expect(manifests[1]).toEqual(manifests[0]);
      expect(manifests[0]!.get('["revoked"]')).toBe(1);
      expect(await stat('Unknown and revoked images', 'B')).toEqual([1]);
      expect(byLabels(await promRows(panelQuery('Manifests by status', 'A')), ['status'])).toEqual(
        manifests[0],
      );
    },
  );
});
