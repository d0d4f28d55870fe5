// End to end: daemon → a real Prometheus evaluating deploy/prometheus/alerts.yml → a real Alertmanager → a webhook.
//
// One of the daemon's accounts is denied from the start (its role refuses AssumeRole), so every
// scan is partial: the drift page of another account must still arrive, past the shipped
// inhibit_rules, while that account's DriftwardenTargetStale names it.
//
// Everything listens on 127.0.0.1 only. Prometheus scrapes and evaluates every second. It loads a
// copy of alerts.yml with every `for:` rewritten to `0s` (the production durations, 2m for critical
// drift, would only make the test slow; the rule expressions and labels are the shipped ones).
// Alertmanager uses a test configuration with the production idea (route, send_resolved, and the
// shipped inhibit_rules as they are) and a webhook receiver served by this test, with 1-second
// group timers. Prometheus has the external
// label driftwarden_url set to the daemon's URL, so the alert's ui_url is the daemon's instance page.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  fastAlertRules,
  startAlertmanager,
  startPrometheus,
  type LoopbackProcess,
  type Prometheus,
} from '../support/prometheus.js';

/** How long each notification (firing, then resolved) may take to reach the webhook. */
const NOTIFICATION_TIMEOUT_MS = 60_000;
const DENIED_ACCOUNT = '111122223333';
const DENIED_ROLE = `arn:aws:iam::${DENIED_ACCOUNT}:role/driftwarden-scan`;
const REGIONS = ['us-east-1', 'eu-west-1'];

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface WebhookPayload {
  status: string;
  receiver: string;
  alerts: WebhookAlert[];
}

let h: Harness;
let webhook: Server;
let webhookUrl: string;
const received: WebhookPayload[] = [];
/** Alertmanager, then Prometheus, as they are started. */
const processes: LoopbackProcess[] = [];
let prometheus: Prometheus;
let alertmanager: LoopbackProcess;

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  diagnose: () => Promise<string> | string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of processes) {
      if (p.exitCode() !== null)
        throw new Error(`${p.name} exited with ${p.exitCode()} while waiting for ${what}:\n${p.log()}`);
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not there yet (connection refused while starting)
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${await diagnose()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What Prometheus and Alertmanager know, for a failure message. */
async function diagnose(): Promise<string> {
  const get = async (url: string) => {
    try {
      return (await (await fetch(url)).text()).slice(0, 3000);
    } catch (error) {
      return String(error);
    }
  };
  return [
    `webhook payloads: ${JSON.stringify(received.map((p) => p.alerts.map((a) => [a.status, a.labels.alertname, a.labels.instance_id])))}`,
    `prometheus alerts: ${await get(`${prometheus.url}/api/v1/alerts`)}`,
    `prometheus targets: ${await get(`${prometheus.url}/api/v1/targets?state=active`)}`,
    `alertmanager alerts: ${await get(`${alertmanager.url}/api/v2/alerts`)}`,
    ...processes.map((p) => `${p.name} output:\n${p.log().slice(-2000)}`),
  ].join('\n');
}

function receivedAlert(
  status: WebhookAlert['status'],
  labels: Record<string, string>,
): WebhookAlert | undefined {
  for (const payload of received) {
    const alert = payload.alerts.find(
      (a) => a.status === status && Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );
    if (alert) return alert;
  }
  return undefined;
}

function notification(status: WebhookAlert['status'], instanceId: string): WebhookAlert | undefined {
  return receivedAlert(status, { alertname: 'DriftwardenCriticalDrift', instance_id: instanceId });
}

/** The inhibit_rules of deploy/alertmanager/alertmanager.yml, unchanged. */
function shippedInhibitRules(): unknown[] {
  const shipped = parse(readFileSync(packagePath('deploy/alertmanager/alertmanager.yml'), 'utf8')) as {
    inhibit_rules: unknown[];
  };
  expect(shipped.inhibit_rules.length).toBeGreaterThan(0);
  return shipped.inhibit_rules;
}

beforeAll(async () => {
  h = await startHarness({
    instances: 12,
    regions: REGIONS,
    env: {
      DRIFTWARDEN_TARGETS: JSON.stringify([
        { regions: REGIONS },
        { roleArn: DENIED_ROLE, regions: ['us-east-1'] },
      ]),
    },
  });
  await h.control.role({ roleArn: DENIED_ROLE, deny: true });
  // A recent scan before Prometheus looks: partial, as every scan of this daemon is.
  expect((await h.scan()).outcome).toBe('partial');

  webhook = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push(JSON.parse(body) as WebhookPayload);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`;

  const rules = readFileSync(packagePath('deploy/prometheus/alerts.yml'), 'utf8');
  const fast = fastAlertRules();
  expect(fast.match(/^\s+for: 0s$/gm)?.length).toBe(rules.match(/^\s+for: /gm)?.length);
  expect(fast).toContain('alert: DriftwardenCriticalDrift');

  alertmanager = await startAlertmanager({
    route: {
      receiver: 'webhook',
      group_by: ['alertname', 'instance_id'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
      routes: [{ matchers: ['severity="critical"'], receiver: 'webhook' }],
    },
    inhibit_rules: shippedInhibitRules(),
    receivers: [{ name: 'webhook', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
  });
  processes.push(alertmanager);
  prometheus = await startPrometheus({
    targets: [new URL(h.url).host],
    rules: fast,
    alertmanager: new URL(alertmanager.url).host,
    // The alerts' ui_url annotations are built from this external label.
    externalLabels: { driftwarden_url: h.url },
  });
  processes.push(prometheus);
});

afterAll(async () => {
  // Prometheus first, so it does not send to an Alertmanager that is gone.
  for (const p of processes.reverse()) await p.close();
  if (webhook) await new Promise<void>((resolve) => webhook.close(() => resolve()));
  await h?.close();
});

it(
  'pages DriftwardenCriticalDrift with the instance id through Alertmanager while another account is denied, and sends resolved when the drift is undone',
  { timeout: 150_000 },
  async () => {
    const before = await h.scan();
    const drifted = new Set(before.findings.map((f) => f.instanceId));
    const target = h.sim.fleet
      .allInstances()
      .find((i) => i.state === 'running' && i.channel !== null && !drifted.has(i.instanceId));
    expect(target, 'a compliant running instance to drift').toBeDefined();
    const id = target!.instanceId;

    // IMDSv1 re-enabled: rule imds-downgrade (rules/20-launch.yaml), severity critical.
    await h.control.drift(id, { httpTokens: 'optional' });
    const scan = await h.scan();
    expect(scan.outcome).toBe('partial');
    expect(scan.findings).toContainEqual(
      expect.objectContaining({ instanceId: id, rule: 'imds-downgrade', severity: 'critical' }),
    );

    const firing = await waitFor(
      `a firing DriftwardenCriticalDrift for ${id} at the webhook`,
      NOTIFICATION_TIMEOUT_MS,
      () => notification('firing', id),
      diagnose,
    );
    // The denied account has its own page, naming it; the scanner as a whole is not stale.
    const targetStale = await waitFor(
      `a firing DriftwardenTargetStale for account ${DENIED_ACCOUNT} at the webhook`,
      NOTIFICATION_TIMEOUT_MS,
      () => receivedAlert('firing', { alertname: 'DriftwardenTargetStale', account: DENIED_ACCOUNT }),
      diagnose,
    );
    expect(targetStale.labels).toMatchObject({ region: 'us-east-1', severity: 'critical' });
    expect(targetStale.annotations.summary).toContain(`account ${DENIED_ACCOUNT} in us-east-1`);
    expect(receivedAlert('firing', { alertname: 'DriftwardenScannerStale' })).toBeUndefined();
    expect(firing.labels).toMatchObject({
      alertname: 'DriftwardenCriticalDrift',
      instance_id: id,
      region: target!.region,
      image_id: target!.imageId,
      severity: 'critical',
      team: 'platform',
      job: 'driftwarden',
    });
    expect(firing.annotations.summary).toContain(id);
    expect(firing.annotations.description).toContain(`/api/v1/instances/${id}`);
    expect(firing.annotations.ui_url).toBe(`${h.url}/ui/instances/${id}`);
    // The page on-call lands on from the page: the instance with its IMDS drift, expected vs actual.
    const landing = await fetch(firing.annotations.ui_url as string);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('launch.metadataOptions.httpTokens');
    expect(firing.annotations.runbook_url).toBe(
      'https://github.com/driftwarden/driftwarden/blob/main/docs/runbooks/DriftwardenCriticalDrift.md',
    );

    await h.control.reset(id);
    const clean = await h.scan();
    expect(clean.findings.filter((f) => f.instanceId === id)).toEqual([]);

    const resolved = await waitFor(
      `a resolved DriftwardenCriticalDrift for ${id} at the webhook`,
      NOTIFICATION_TIMEOUT_MS,
      () => notification('resolved', id),
      diagnose,
    );
    expect(resolved.labels).toMatchObject({ alertname: 'DriftwardenCriticalDrift', instance_id: id });
  },
);
