// End to end: a real Prometheus evaluating the shipped alert rules on the peer-consensus fleets alerts once per fleet-wide cause, once per outlier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RESOLV_PATH,
  SSHD_EDITED,
  SSHD_PATH,
  afterBootFleet,
  bootTimeFleet,
  imageOf,
} from '../support/consensus-fleet.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, type Harness } from '../support/harness.js';
import { fastAlertRules, startPrometheus, type PromAlert, type Prometheus } from '../support/prometheus.js';
import { waitUntil } from '../support/remediation.js';
import { copyShippedRules, type RulesCopy } from '../support/rules-copy.js';

function firing(alerts: readonly PromAlert[], alertname: string): PromAlert[] {
  return alerts.filter((a) => a.labels.alertname === alertname && a.state === 'firing');
}

/**
 * The firing alerts once `ready` holds for them (every series comes from the same scrape, so they
 * fire together). Each rule group is evaluated on its own schedule: one evaluated before the first
 * scrape fires DriftwardenDown (`absent(up)`) until its next evaluation, so that one must be gone.
 */
async function firingWhen(
  prometheus: Prometheus,
  what: string,
  ready: (alerts: PromAlert[]) => boolean,
): Promise<PromAlert[]> {
  return waitUntil(
    `${what}, and DriftwardenDown resolved`,
    async () => {
      const alerts = (await prometheus.alerts()).filter((a) => a.state === 'firing');
      return ready(alerts) && firing(alerts, 'DriftwardenDown').length === 0 ? alerts : undefined;
    },
    60_000,
    250,
  );
}

/** Starts Prometheus on the shipped rules (every `for:` 0s) scraping the harness's daemon. */
function prometheusOf(h: Harness): Promise<Prometheus> {
  return startPrometheus({
    targets: [new URL(h.url).host],
    rules: fastAlertRules(),
    externalLabels: { driftwarden_url: h.url },
  });
}

/**
 * The shipped rules with the `files` rule made critical: image A's 18 instances whose only drift is
 * the shared resolv.conf then have only critical findings, and still must not page one by one.
 */
function criticalFileRules(): RulesCopy {
  const rules = copyShippedRules('dw-fleet-wide-rules-');
  const host = join(rules.dir, '30-host.yaml');
  const text = readFileSync(host, 'utf8');
  const critical = text.replace(/(- id: files\n(?:\s+\w+:.*\n)*?\s+severity: )warning/, '$1critical');
  expect(critical, 'rules/30-host.yaml: the files rule with severity warning').not.toBe(text);
  writeFileSync(host, critical);
  return rules;
}

describe('a boot-time difference shared by image A, and two hand-made outliers', () => {
  let h: Harness;
  let prometheus: Prometheus | undefined;
  let handMade: string[];
  let imageB: string[];
  let imageIdA: string;
  let rules: RulesCopy | undefined;

  beforeAll(async () => {
    rules = criticalFileRules();
    h = await startHarness({
      instances: 5,
      regions: ['us-east-1'],
      env: { DRIFTWARDEN_RULES_DIR: rules.dir },
    });
    ({ handMade, imageB } = await bootTimeFleet(h));
    imageIdA = await imageOf(h, handMade[0]!);
    prometheus = await prometheusOf(h);
  });

  afterAll(async () => {
    await prometheus?.close();
    await h?.close();
    rules?.remove();
  });

  it("raises exactly one manifest-mismatch ticket for image A's cause, and a critical page per outlier", async () => {
    const alerts = await firingWhen(
      prometheus!,
      'the manifest mismatch and both outliers firing',
      (all) =>
        firing(all, 'DriftwardenManifestMismatch').length > 0 &&
        firing(all, 'DriftwardenCriticalDrift').length >= handMade.length + imageB.length,
    );
    const mismatches = firing(alerts, 'DriftwardenManifestMismatch');
    expect(mismatches.map((a) => a.labels)).toEqual([
      expect.objectContaining({
        image_id: imageIdA,
        path: RESOLV_PATH,
        severity: 'warning',
        finding_severity: 'critical',
      }),
    ]);
    // Image A pages for its two outliers only: its 20 shared critical findings are one ticket, not
    // 18 more pages. (Image B's three instances are too few to rate: they page one by one.)
    const pagesOfA = alerts.filter((a) => a.labels.severity === 'critical' && a.labels.image_id === imageIdA);
    expect(pagesOfA.map((a) => [a.labels.alertname, a.labels.instance_id]).sort()).toEqual(
      [...handMade].sort().map((id) => ['DriftwardenCriticalDrift', id]),
    );
    expect(
      firing(alerts, 'DriftwardenCriticalDrift').filter((a) => imageB.includes(a.labels.instance_id ?? '')),
    ).toHaveLength(imageB.length);
  });
});

describe('a change made by hand on every instance of an image after boot', () => {
  let h: Harness;
  let prometheus: Prometheus | undefined;
  let imageId: string;
  // The daemon's clock, moved past signal.freshWindow after the launches.
  let offsetMs = 0;
  const daemonNow = (): Date => new Date(Date.now() + offsetMs);

  beforeAll(async () => {
    h = await startHarness({ instances: 5, regions: ['us-east-1'], clock: daemonNow });
    const fleet = await afterBootFleet(h, SSHD_EDITED, daemonNow, (ms) => {
      offsetMs += ms;
    });
    imageId = await imageOf(h, fleet[0]!);
    prometheus = await prometheusOf(h);
  });

  afterAll(async () => {
    await prometheus?.close();
    await h?.close();
  });

  it('pages exactly once, for the image and path', async () => {
    const alerts = await firingWhen(
      prometheus!,
      'DriftwardenFleetWideDrift firing',
      (all) => firing(all, 'DriftwardenFleetWideDrift').length > 0,
    );
    const pages = alerts.filter((a) => a.labels.severity === 'critical');
    expect(pages.map((a) => a.labels)).toEqual([
      expect.objectContaining({
        alertname: 'DriftwardenFleetWideDrift',
        image_id: imageId,
        path: SSHD_PATH,
        severity: 'critical',
      }),
    ]);
    expect(pages[0]!.annotations.summary).toBe(
      `Critical drift on the fleet of image ${imageId}: ${SSHD_PATH} changed after boot`,
    );
  });
});
