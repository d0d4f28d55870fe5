// Enforce, standalone instances: launch-then-terminate on the baked image; failures never touch the old instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startHarness, type Harness } from '../support/harness.js';
import { FAST_LIFECYCLE, jobs, lastSeq, remediationEnv, scanUntilSettled } from '../support/remediation.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    instances: 6,
    seed: 41,
    regions: ['us-east-1'],
    lifecycle: FAST_LIFECYCLE,
    env: remediationEnv(),
  });
});
afterAll(async () => {
  await h.close();
});

async function standalone(imageId: string, tags: Record<string, string> = {}) {
  const launched = await h.control.launch({
    region: 'us-east-1',
    imageId,
    tags: { 'managed-by': 'packer', Name: 'batch-7', env: 'prod', ...tags },
  });
  return h.sim.fleet.instance(launched.instanceId)!;
}

describe('launch-then-terminate', () => {
  it('replaces an instance of a revoked image with the newest image of its channel, keeping its launch attributes', async () => {
    const channel = h.sim.fleet.images[0]!.channel;
    const old = await h.addImage({ region: 'us-east-1', channel, builtAt: '2026-11-24T00:00:00Z' });
    expect((await h.post('/api/v1/manifests', old)).status).toBe(201);
    const instance = await standalone(old.image.id);
    const newest = await h.addImage({
      region: 'us-east-1',
      channel,
      builtAt: '2026-11-25T00:00:00Z',
    });
    expect((await h.post('/api/v1/manifests', newest)).status).toBe(201);
    await h.scan();
    const since = lastSeq(h);
    expect(
      (await h.post(`/api/v1/manifests/${old.image.id}/revoke`, { reason: 'CVE-2026-1234' })).status,
    ).toBe(200);

    const all = await scanUntilSettled(h, [instance.instanceId]);
    const job = all.find((j) => j.instanceId === instance.instanceId)!;
    expect(job).toMatchObject({
      state: 'succeeded',
      strategy: 'launch-then-terminate',
      targetImageId: newest.image.id,
    });

    const log = h.sim.requestLog().filter((r) => r.seq > since);
    const runs = log.filter((r) => r.action === 'RunInstances');
    expect(new Set(runs.map((r) => r.params.ClientToken))).toEqual(new Set([job.jobId]));
    const run = runs[0]!.params;
    expect(run.ImageId).toBe(newest.image.id);
    expect(run.InstanceType).toBe(instance.instanceType);
    expect(run.SubnetId).toBe(instance.subnetId);
    expect(run['IamInstanceProfile.Arn']).toBe(instance.iamInstanceProfile?.arn);
    expect(
      Object.entries(run)
        .filter(([k]) => k.startsWith('SecurityGroupId.'))
        .map(([, v]) => v)
        .sort(),
    ).toEqual([...instance.securityGroupIds].sort());
    const replacement = h.sim.fleet.instance(job.newInstanceId!)!;
    expect(replacement.imageId).toBe(newest.image.id);
    expect(Object.fromEntries(replacement.tags)).toMatchObject({
      Name: 'batch-7',
      env: 'prod',
      'driftwarden:replaces': instance.instanceId,
    });

    // The old instance was terminated exactly once, and only after its replacement passed status checks.
    const terminations = log.filter((r) => r.action === 'TerminateInstances');
    expect(terminations.map((r) => r.params['InstanceId.1'])).toEqual([instance.instanceId]);
    const healthyAt =
      Date.parse(replacement.launchTime) + FAST_LIFECYCLE.pendingMs + FAST_LIFECYCLE.statusCheckMs;
    expect(Date.parse(terminations[0]!.at)).toBeGreaterThanOrEqual(healthyAt);
    expect(h.sim.fleet.instance(instance.instanceId)?.state).toMatch(/shutting-down|terminated/);
  });

  it('fails a replacement that never becomes healthy, terminates what it launched and leaves the old instance running', async () => {
    const image = h.sim.fleet.images.find((i) => i.region === 'us-east-1' && i.state === 'available')!;
    const instance = await standalone(h.sim.fleet.newestImage('us-east-1', image.channel)!.imageId);
    await h.scan();
    const since = lastSeq(h);
    await h.control.failure({ kind: 'neverHealthy' });
    await h.control.drift(instance.instanceId, { httpTokens: 'optional' });

    const all = await scanUntilSettled(h, [instance.instanceId]);
    await h.control.clearFailures();
    const job = all.find((j) => j.instanceId === instance.instanceId)!;
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/not healthy/);
    expect(h.sim.fleet.instance(instance.instanceId)?.state).toBe('running');
    const log = h.sim.requestLog().filter((r) => r.seq > since);
    expect(log.filter((r) => r.action === 'TerminateInstances').map((r) => r.params['InstanceId.1'])).toEqual(
      [job.newInstanceId],
    );
    // No orphan: the instance it launched is on its way out.
    expect(h.sim.fleet.instance(job.newInstanceId!)?.state).toMatch(/shutting-down|terminated/);
    expect(
      metricValue(await h.metrics(), 'driftwarden_replacements_total', {
        strategy: 'launch-then-terminate',
        outcome: 'failed',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('retries a failing launch a bounded number of times, then fails the job without touching the old instance', async () => {
    const image = h.sim.fleet.images.find((i) => i.region === 'us-east-1' && i.state === 'available')!;
    const instance = await standalone(h.sim.fleet.newestImage('us-east-1', image.channel)!.imageId);
    await h.scan();
    const since = lastSeq(h);
    await h.control.failure({ kind: 'launchFails', count: 1000 });
    await h.control.drift(instance.instanceId, { addSecurityGroups: [], httpTokens: 'optional' });

    const all = await scanUntilSettled(h, [instance.instanceId]);
    await h.control.clearFailures();
    const job = all.filter((j) => j.instanceId === instance.instanceId).find((j) => j.state === 'failed')!;
    expect(job.error).toMatch(/InsufficientInstanceCapacity/);
    const runs = h.sim.requestLog().filter((r) => r.seq > since && r.action === 'RunInstances');
    // Our 3 attempts, each with the SDK's own 2 attempts (maxAttempts in the harness): bounded, never a loop.
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(6);
    expect(h.sim.requestLog().filter((r) => r.seq > since && r.action === 'TerminateInstances')).toEqual([]);
    expect(h.sim.fleet.instance(instance.instanceId)?.state).toBe('running');
    const audit = await h.get<{ items: { action: string }[] }>(`/api/v1/audit?jobId=${job.jobId}`);
    expect(audit.body.items.map((a) => a.action)).toEqual(
      expect.arrayContaining(['job.started', 'job.retry', 'job.failed']),
    );
    expect((await jobs(h)).filter((j) => j.state === 'running')).toEqual([]);
  });

  it('refuses to clone user data that differs from the baked one, instead of launching a drifted replacement', async () => {
    const image = h.sim.fleet.images.find((i) => i.region === 'us-east-1' && i.state === 'available')!;
    const instance = await standalone(h.sim.fleet.newestImage('us-east-1', image.channel)!.imageId);
    await h.scan();
    const since = lastSeq(h);
    await h.control.drift(instance.instanceId, {
      httpTokens: 'optional',
      userData: '#!/bin/sh\necho hand-edited',
    });

    const all = await scanUntilSettled(h, [instance.instanceId]);
    const job = all.find((j) => j.instanceId === instance.instanceId && j.state === 'failed')!;
    expect(job.error).toMatch(/user data differs from the baked one/);
    expect(h.sim.requestLog().filter((r) => r.seq > since && r.action === 'RunInstances')).toEqual([]);
    expect(h.sim.fleet.instance(instance.instanceId)?.state).toBe('running');
  });
});
