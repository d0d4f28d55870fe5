// Replacement waves for revoked images, the launch-template guard, the signed webhook and evidence snapshots.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { FAST_LIFECYCLE, lastSeq, remediationEnv, scanUntilSettled } from '../support/remediation.js';

describe('a revoked image in an Auto Scaling group', () => {
  let h: Harness;
  const GROUP = 'wave-us-east-1-asg';
  beforeAll(async () => {
    h = await startHarness({
      instances: 2,
      seed: 71,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      env: remediationEnv({ DRIFTWARDEN_REMEDIATION_BREAKER_MAX_DRIFTED_PERCENT: '100' }),
    });
  });
  afterAll(async () => h.close());

  it('refuses to replace while the launch template still launches the revoked image', async () => {
    const channel = h.sim.fleet.images.find((i) => i.region === 'us-east-1')!.channel;
    const members = (
      await h.control.launchBulk({ region: 'us-east-1', count: 3, channel, group: 'stuck-us-east-1-asg' })
    ).instanceIds;
    await h.scan();
    const image = h.sim.fleet.instance(members[0]!)!.imageId;
    const since = lastSeq(h);
    expect((await h.post(`/api/v1/manifests/${image}/revoke`, { reason: 'CVE-2026-7' })).status).toBe(200);

    const all = await scanUntilSettled(h, [members[0]!]);
    const failed = all.filter((j) => members.includes(j.instanceId));
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(
      failed.every(
        (j) => j.state === 'failed' && /still launches .* from its launch template/.test(j.error ?? ''),
      ),
    ).toBe(true);
    const mutations = h.sim
      .requestLog()
      .filter((r) => r.seq > since && r.mutating && r.service === 'autoscaling');
    expect(mutations).toEqual([]);
    // Whatever else ran meanwhile, the stuck group was never touched.
    expect((await h.control.group('stuck-us-east-1-asg')).instances.map((m) => m.instanceId).sort()).toEqual(
      [...members].sort(),
    );
  });

  it('replaces every member of a revoked image, one at a time, once the pipeline has baked a successor', async () => {
    const channel = h.sim.fleet.images.find((i) => i.region === 'us-east-1')!.channel;
    const before = await h.addImage({
      region: 'us-east-1',
      channel,
      builtAt: '2026-11-24T00:00:00Z',
    });
    expect((await h.post('/api/v1/manifests', before)).status).toBe(201);
    const members = (
      await h.control.launchBulk({
        region: 'us-east-1',
        count: 4,
        channel,
        group: GROUP,
        imageId: before.image.id,
      })
    ).instanceIds;
    await h.scan();
    const successor = await h.addImage({
      region: 'us-east-1',
      channel,
      builtAt: '2026-11-25T00:00:00Z',
    });
    expect((await h.post('/api/v1/manifests', successor)).status).toBe(201);
    expect(
      (await h.post(`/api/v1/manifests/${before.image.id}/revoke`, { reason: 'CVE-2026-8' })).status,
    ).toBe(200);

    const all = await scanUntilSettled(h, members, 90_000);
    expect(all.filter((j) => members.includes(j.instanceId)).map((j) => j.state)).toEqual(
      members.map(() => 'succeeded'),
    );
    const group = await h.control.group(GROUP);
    expect(group.instances.every((m) => m.imageId === successor.image.id)).toBe(true);
    expect(group.inService).toBe(4);
    expect((await h.scan()).findings.filter((f) => f.imageId === before.image.id)).toEqual([]);
  });
});

describe('the webhook strategy', () => {
  let h: Harness;
  let receiver: Server;
  const SECRET = 'webhook-secret-0123456789abcdef';
  const deliveries: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body });
        // The "deployer": accepts, then replaces the instance its own way (here: terminates it).
        const { instanceId } = JSON.parse(body) as { instanceId: string };
        res.writeHead(202).end();
        setTimeout(() => void h.control.terminate(instanceId), 100);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/replace`;
    h = await startHarness({
      instances: 6,
      seed: 72,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      env: remediationEnv({
        DRIFTWARDEN_REMEDIATION_STRATEGY: 'webhook',
        DRIFTWARDEN_REMEDIATION_WEBHOOK: JSON.stringify({
          url,
          secret: 'env:DW_TEST_WEBHOOK_SECRET',
          timeout: '2s',
        }),
        DW_TEST_WEBHOOK_SECRET: SECRET,
      }),
    });
  });
  afterAll(async () => {
    await h.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('posts a signed request to the deployer and succeeds once the old instance is gone', async () => {
    const instance = h.sim.fleet.allInstances().find((i) => i.state === 'running' && i.channel !== null)!;
    await h.scan();
    const since = lastSeq(h);
    await h.control.drift(instance.instanceId, { httpTokens: 'optional' });
    const all = await scanUntilSettled(h, [instance.instanceId]);
    const job = all.find((j) => j.instanceId === instance.instanceId)!;
    expect(job).toMatchObject({ state: 'succeeded', strategy: 'webhook' });

    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    const expected = `sha256=${createHmac('sha256', SECRET).update(delivery!.body).digest('hex')}`;
    expect(delivery!.headers['x-driftwarden-signature']).toBe(expected);
    expect(delivery!.headers['x-driftwarden-job']).toBe(job.jobId);
    expect(JSON.parse(delivery!.body)).toMatchObject({
      jobId: job.jobId,
      instanceId: instance.instanceId,
      region: 'us-east-1',
    });
    // driftwarden itself made no mutating AWS call: the deployer owns the replacement.
    expect(h.sim.requestLog().filter((r) => r.seq > since && r.mutating)).toEqual([]);
  });
});

describe('preserveEvidence', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 6,
      seed: 73,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      env: remediationEnv({ DRIFTWARDEN_REMEDIATION_PRESERVE_EVIDENCE: 'true' }),
    });
  });
  afterAll(async () => h.close());

  it('snapshots the old instance’s volumes, tagged with the job, before terminating it', async () => {
    const image = h.sim.fleet.newestImage('us-east-1', h.sim.fleet.images[0]!.channel)!;
    const launched = await h.control.launch({
      region: 'us-east-1',
      imageId: image.imageId,
      tags: { 'managed-by': 'packer' },
    });
    const volume = h.sim.fleet.rootVolumeId(launched.instanceId)!;
    await h.scan();
    const since = lastSeq(h);
    await h.control.drift(launched.instanceId, { httpTokens: 'optional' });
    const all = await scanUntilSettled(h, [launched.instanceId]);
    const job = all.find((j) => j.instanceId === launched.instanceId)!;
    expect(job.state).toBe('succeeded');

    const log = h.sim.requestLog().filter((r) => r.seq > since);
    const snapshot = log.find((r) => r.action === 'CreateSnapshot');
    const termination = log.find((r) => r.action === 'TerminateInstances');
    expect(snapshot?.params.VolumeId).toBe(volume);
    expect(snapshot!.seq).toBeLessThan(termination!.seq);
    const stored = h.sim.fleet.snapshots.inRegion('us-east-1').filter((s) => s.volumeId === volume);
    expect(stored).toHaveLength(1);
    expect(Object.fromEntries(stored[0]!.tags)).toMatchObject({
      'driftwarden:job': job.jobId,
      'driftwarden:replaces': launched.instanceId,
    });
  });
});
