// deploy/alertmanager/alertmanager.yml in a real Alertmanager: severity routing and inhibitions hold.
//
// The shipped route tree and inhibit_rules are used as they are; only the receivers are swapped
// for webhooks on a loopback server run by this test (one path per receiver name, so nothing goes
// to PagerDuty, Opsgenie or a chat service) and the group timers are shortened to 1 s. The pager
// also keeps its shipped PagerDuty and Opsgenie templates, sent to that server instead of the
// services, to check what a page says.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packagePath } from '../../src/package-root.js';
import { startAlertmanager, type LoopbackProcess } from '../support/prometheus.js';

const WAIT_MS = 30_000;

interface Route {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  routes?: Route[];
}
interface AlertmanagerConfig {
  route: Route;
  inhibit_rules: unknown[];
  receivers: ({ name: string } & Record<string, unknown>)[];
}
interface Delivery {
  receiver: string;
  alerts: { status: string; labels: Record<string, string> }[];
}
/** A PagerDuty (Events API v2) or Opsgenie request body, as the pager receiver sends it. */
interface Page {
  path: string;
  body: {
    links?: { href: string; text: string }[];
    payload?: { summary: string; custom_details: Record<string, string> };
    message?: string;
    description?: string;
  };
}
interface ApiAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

let webhook: Server;
let am: LoopbackProcess | undefined;
let amUrl: string;
const deliveries: Delivery[] = [];
const pages: Page[] = [];

const shipped = parse(
  readFileSync(packagePath('deploy/alertmanager/alertmanager.yml'), 'utf8'),
) as AlertmanagerConfig;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const exitCode = am?.exitCode() ?? null;
    if (exitCode !== null)
      throw new Error(`alertmanager exited with ${exitCode} while waiting for ${what}:\n${am?.log() ?? ''}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${WAIT_MS} ms waiting for ${what}; deliveries: ${JSON.stringify(deliveries)}\n${am?.log() ?? ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The shipped pager's PagerDuty and Opsgenie configurations, sending to `hook` instead. */
function pagerTemplates(pager: Record<string, unknown>, hook: string): Record<string, unknown> {
  const pagerduty = pager.pagerduty_configs as Record<string, unknown>[];
  const opsgenie = pager.opsgenie_configs as Record<string, unknown>[];
  return {
    pagerduty_configs: pagerduty.map((c) => ({ ...c, url: `${hook}/pagerduty` })),
    opsgenie_configs: opsgenie.map((c) => ({ ...c, api_url: `${hook}/opsgenie/` })),
  };
}

function fastTimers(route: Route): Route {
  return {
    ...route,
    ...(route.group_wait ? { group_wait: '1s' } : {}),
    ...(route.group_interval ? { group_interval: '1s' } : {}),
    ...(route.routes ? { routes: route.routes.map(fastTimers) } : {}),
  };
}

/** Sends alerts to Alertmanager as Prometheus would (API v2). */
async function post(alerts: { labels: Record<string, string>; annotations: Record<string, string> }[]) {
  const response = await fetch(`${amUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((alert) => ({ ...alert, generatorURL: 'http://127.0.0.1/test' }))),
  });
  expect(response.status).toBe(200);
}

/** Sends alerts with only a summary annotation. */
async function fire(...alerts: Record<string, string>[]): Promise<void> {
  await post(alerts.map((labels) => ({ labels, annotations: { summary: labels.alertname ?? '' } })));
}

async function alertState(labels: Record<string, string>): Promise<ApiAlert | undefined> {
  const alerts = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as ApiAlert[];
  return alerts.find((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v));
}

function deliveredTo(receiver: string, labels: Record<string, string>): true | undefined {
  return deliveries.some(
    (d) =>
      d.receiver === receiver &&
      d.alerts.some((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v)),
  )
    ? true
    : undefined;
}

beforeAll(async () => {
  webhook = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '';
      if (path.startsWith('/pagerduty') || path.startsWith('/opsgenie/')) {
        pages.push({ path, body: JSON.parse(body) as Page['body'] });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}');
        return;
      }
      const payload = JSON.parse(body) as { alerts: Delivery['alerts'] };
      deliveries.push({ receiver: path.slice(1), alerts: payload.alerts });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;

  const config: AlertmanagerConfig = {
    ...shipped,
    route: fastTimers(shipped.route),
    receivers: shipped.receivers.map((receiver) => ({
      name: receiver.name,
      webhook_configs: [{ url: `${hook}/${receiver.name}`, send_resolved: true }],
      ...(receiver.name === 'pager' ? pagerTemplates(receiver, hook) : {}),
    })),
  };
  am = await startAlertmanager(config);
  amUrl = am.url;
});

afterAll(async () => {
  await am?.close();
  if (webhook) await new Promise<void>((resolve) => webhook.close(() => resolve()));
});

it('ships a pager receiver with PagerDuty and Opsgenie and a chat receiver with a webhook', () => {
  const pager = shipped.receivers.find((r) => r.name === 'pager');
  const chat = shipped.receivers.find((r) => r.name === 'chat');
  expect(pager).toHaveProperty('pagerduty_configs');
  expect(pager).toHaveProperty('opsgenie_configs');
  expect(chat).toHaveProperty('webhook_configs');
  expect(shipped.inhibit_rules.length).toBeGreaterThanOrEqual(3);
});

it('delivers critical alerts to the pager and warning and info alerts to chat', async () => {
  const base = { team: 'platform', job: 'driftwarden', instance: 'dw:9750' };
  const critical = {
    ...base,
    alertname: 'DriftwardenCriticalDrift',
    severity: 'critical',
    instance_id: 'i-0a1',
    group: 'web',
  };
  const warning = {
    ...base,
    alertname: 'DriftwardenUnknownImage',
    severity: 'warning',
    state: 'unknown_image',
  };
  const info = {
    ...base,
    alertname: 'DriftwardenRemediationPausedManually',
    severity: 'info',
    reason: 'manual',
  };
  await fire(critical, warning, info);
  await waitFor('the critical alert at the pager', () => deliveredTo('pager', { instance_id: 'i-0a1' }));
  await waitFor('the warning alert in chat', () => deliveredTo('chat', { alertname: warning.alertname }));
  await waitFor('the info alert in chat', () => deliveredTo('chat', { alertname: info.alertname }));
  expect(deliveredTo('chat', { instance_id: 'i-0a1' })).toBeUndefined();
  expect(deliveredTo('pager', { alertname: warning.alertname })).toBeUndefined();
});

it('inhibits drift alerts of the same job while the scanner is stale, and unremediated drift during a drift storm', async () => {
  const base = { team: 'platform', job: 'driftwarden', instance: 'dw:9750' };
  const drift = {
    ...base,
    alertname: 'DriftwardenCriticalDrift',
    severity: 'critical',
    instance_id: 'i-0b2',
    group: 'api',
  };
  const otherJob = { ...drift, job: 'driftwarden-staging', instance_id: 'i-0c3' };
  const unremediated = {
    ...base,
    alertname: 'DriftwardenDriftUnremediated',
    severity: 'warning',
    finding_severity: 'critical',
  };
  await fire(
    drift,
    otherJob,
    unremediated,
    { ...base, alertname: 'DriftwardenScannerStale', severity: 'critical' },
    { ...base, alertname: 'DriftwardenRemediationPaused', severity: 'warning', reason: 'drift-storm' },
  );

  const inhibited = await waitFor('the drift alert to be inhibited', async () => {
    const state = await alertState({ instance_id: 'i-0b2' });
    return state?.status.state === 'suppressed' ? state : undefined;
  });
  expect(inhibited.status.inhibitedBy.length).toBeGreaterThan(0);
  const unremediatedState = await waitFor('unremediated drift to be inhibited', async () => {
    const state = await alertState({ alertname: 'DriftwardenDriftUnremediated' });
    return state?.status.state === 'suppressed' ? state : undefined;
  });
  expect(unremediatedState.status.inhibitedBy.length).toBeGreaterThan(0);
  // `equal: [job]`: a stale scanner in one deployment does not hide another deployment's drift.
  expect((await alertState({ instance_id: 'i-0c3' }))?.status.state).toBe('active');

  await waitFor('the scanner alert at the pager', () =>
    deliveredTo('pager', { alertname: 'DriftwardenScannerStale' }),
  );
  await waitFor('the other job’s drift at the pager', () => deliveredTo('pager', { instance_id: 'i-0c3' }));
  expect(deliveredTo('pager', { instance_id: 'i-0b2' })).toBeUndefined();
});

it('inhibits only the stale shard’s drift: shard 0 still pages while shard 1 is stale', async () => {
  // Sharded (docs/scaling.md), every shard is scraped under one job and its series carry `shard`.
  const base = { team: 'platform', job: 'dw-shards' };
  const drift = (instanceId: string, shard: string) => ({
    ...base,
    instance: `driftwarden-${shard}:9750`,
    shard,
    alertname: 'DriftwardenCriticalDrift',
    severity: 'critical',
    instance_id: instanceId,
    group: 'shards',
  });
  await fire(
    {
      ...base,
      instance: 'driftwarden-1:9750',
      shard: '1',
      alertname: 'DriftwardenScannerStale',
      severity: 'critical',
    },
    drift('i-0s0', '0'),
    drift('i-0s1', '1'),
  );

  const inhibited = await waitFor('the stale shard’s drift to be inhibited', async () => {
    const state = await alertState({ instance_id: 'i-0s1' });
    return state?.status.state === 'suppressed' ? state : undefined;
  });
  expect(inhibited.status.inhibitedBy.length).toBeGreaterThan(0);
  await waitFor('shard 0’s drift at the pager', () => deliveredTo('pager', { instance_id: 'i-0s0' }));
  expect((await alertState({ instance_id: 'i-0s0' }))?.status.state).toBe('active');
  expect(deliveredTo('pager', { instance_id: 'i-0s1' })).toBeUndefined();
});

it('inhibits only the stale target’s drift: drift in another account or region still pages', async () => {
  // A job of its own, so that the stale scanner fired above inhibits nothing here.
  const base = { team: 'platform', job: 'dw-targets', instance: 'dw:9750' };
  const drift = (instanceId: string, account: string, region: string) => ({
    ...base,
    alertname: 'DriftwardenCriticalDrift',
    severity: 'critical',
    instance_id: instanceId,
    // Not 'web': alerts group by alertname, group and rule (not job), and the test below counts
    // the alerts of one notification in group web.
    group: 'targets',
    account,
    region,
  });
  await fire(
    {
      ...base,
      alertname: 'DriftwardenTargetStale',
      severity: 'critical',
      account: '111122223333',
      region: 'us-east-1',
    },
    drift('i-0d1', '111122223333', 'us-east-1'),
    drift('i-0d2', '444455556666', 'us-east-1'),
    drift('i-0d3', '111122223333', 'eu-west-1'),
    { ...base, alertname: 'DriftwardenScansFailing', severity: 'warning', outcome: 'partial' },
  );

  const inhibited = await waitFor('the stale target’s drift to be inhibited', async () => {
    const state = await alertState({ instance_id: 'i-0d1' });
    return state?.status.state === 'suppressed' ? state : undefined;
  });
  expect(inhibited.status.inhibitedBy.length).toBeGreaterThan(0);
  await waitFor('the partial scans to be inhibited', async () => {
    const state = await alertState({ job: 'dw-targets', alertname: 'DriftwardenScansFailing' });
    return state?.status.state === 'suppressed' ? state : undefined;
  });
  await waitFor('the stale target at the pager', () =>
    deliveredTo('pager', { alertname: 'DriftwardenTargetStale', account: '111122223333' }),
  );
  await waitFor('drift of another account at the pager', () =>
    deliveredTo('pager', { instance_id: 'i-0d2' }),
  );
  await waitFor('drift of the same account in another region at the pager', () =>
    deliveredTo('pager', { instance_id: 'i-0d3' }),
  );
  expect(deliveredTo('pager', { instance_id: 'i-0d1' })).toBeUndefined();
});

it('pages with a count instead of an empty summary when one notification groups several instances', async () => {
  const base = { team: 'platform', instance: 'dw:9750', severity: 'critical', job: 'dw-grouped' };
  const drift = (id: string) => ({
    labels: { ...base, alertname: 'DriftwardenCriticalDrift', instance_id: id, group: 'web' },
    annotations: {
      summary: `Critical drift on instance ${id} (group "web")`,
      runbook_url: 'https://example/critical',
      ui_url: `http://driftwarden.example:9750/ui/instances/${id}`,
    },
  });
  await post([drift('i-0a1'), drift('i-0b2')]);
  const title = '2 × DriftwardenCriticalDrift in group web';
  const event = await waitFor('the grouped PagerDuty event', () =>
    pages.find((p) => p.path === '/pagerduty' && p.body.payload?.summary === title),
  );
  // No common page: the runbook link only, each alert's ui_url stays in the details.
  expect(event.body.links).toEqual([{ href: 'https://example/critical', text: 'runbook' }]);
  const alert = await waitFor('the grouped Opsgenie alert', () =>
    pages.find((p) => p.path.startsWith('/opsgenie/') && p.body.message === title),
  );
  for (const id of ['i-0a1', 'i-0b2']) {
    expect(alert.body.description).toContain(`Critical drift on instance ${id} (group "web").`);
    expect(alert.body.description).toContain(
      `Open in driftwarden: http://driftwarden.example:9750/ui/instances/${id}`,
    );
  }
});

it('pages with a link to the alert’s driftwarden page (ui_url), and without one when the alert has none', async () => {
  // Jobs of their own, so that the stale scanner fired above inhibits nothing here.
  const base = { team: 'platform', instance: 'dw:9750', severity: 'critical' };
  const uiUrl = 'http://driftwarden.example:9750/ui/instances/i-0e5';
  const runbook =
    'https://github.com/driftwarden/driftwarden/blob/main/docs/runbooks/DriftwardenCriticalDrift.md';
  await post([
    {
      labels: {
        ...base,
        job: 'dw-links',
        alertname: 'DriftwardenCriticalDrift',
        instance_id: 'i-0e5',
        group: 'links',
      },
      annotations: {
        summary: 'drift on i-0e5',
        description: 'Critical drift.',
        runbook_url: runbook,
        ui_url: uiUrl,
      },
    },
    {
      labels: { ...base, job: 'dw-links-down', alertname: 'DriftwardenDown' },
      annotations: { summary: 'driftwarden down', description: 'Down.', runbook_url: 'https://example/down' },
    },
  ]);
  const pagerduty = (summary: string) =>
    pages.find((p) => p.path === '/pagerduty' && p.body.payload?.summary === summary);
  const opsgenie = (message: string) =>
    pages.find((p) => p.path.startsWith('/opsgenie/') && p.body.message === message);

  const drift = await waitFor('the PagerDuty event of the drift', () => pagerduty('drift on i-0e5'));
  expect(drift.body.links).toEqual([
    { href: runbook, text: 'runbook' },
    { href: uiUrl, text: 'open in driftwarden' },
  ]);
  const driftOpsgenie = await waitFor('the Opsgenie alert of the drift', () => opsgenie('drift on i-0e5'));
  expect(driftOpsgenie.body.description).toBe(
    `Critical drift. Runbook: ${runbook} Open in driftwarden: ${uiUrl}`,
  );

  const down = await waitFor('the PagerDuty event of the down daemon', () => pagerduty('driftwarden down'));
  expect(down.body.links).toEqual([{ href: 'https://example/down', text: 'runbook' }]);
  const downOpsgenie = await waitFor('the Opsgenie alert of the down daemon', () =>
    opsgenie('driftwarden down'),
  );
  expect(downOpsgenie.body.description).toBe('Down. Runbook: https://example/down');
});
