// "Why isn't this instance being replaced?": every waiting candidate and job shows its reason in the API, the UI and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { ADMIN_TOKEN, metricValue, startHarness, type Harness } from '../support/harness.js';
import {
  FAST_LIFECYCLE,
  expectReasonShown,
  jobs,
  launchStandalone,
  remediationEnv,
  runningStandalone,
  tick,
  waitUntil,
  type JobView,
} from '../support/remediation.js';

async function blocked(h: Harness): Promise<Record<string, number>> {
  return (await h.get<{ blocked: Record<string, number> }>('/api/v1/remediation')).body.blocked;
}

async function job(h: Harness, jobId: string): Promise<JobView> {
  return (await h.get<JobView>(`/api/v1/replacements/${jobId}`)).body;
}

describe('reasons in enforce mode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 12,
      seed: 61,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      captureLogs: true,
      env: remediationEnv({
        // security-groups must persist 1h here; everything else is due at once.
        DRIFTWARDEN_RULES_DIR: packagePath('test/fixtures/rules-reasons'),
        DRIFTWARDEN_REMEDIATION_MAX_CONCURRENT: '1',
        DRIFTWARDEN_REMEDIATION_HEALTH_TIMEOUT: '10m',
        DRIFTWARDEN_REMEDIATION_BREAKER_MAX_DRIFTED_PERCENT: '100',
      }),
    });
  });
  afterAll(async () => h.close());

  it('shows why each drifted instance and open job waits, and what a running job waits for', async () => {
    // The one replacement allowed to start never becomes healthy, so it holds maxConcurrent throughout.
    await h.control.failure({ kind: 'neverHealthy' });
    const [protectedId, approvalId, youngId, a, b] = (await launchStandalone(h, 5)) as [
      string,
      string,
      string,
      string,
      string,
    ];
    await h.scan();
    const young = h.sim.fleet.allInstances().find((i) => i.instanceId === youngId)!;
    const foreign = h.sim.fleet.images
      .filter((i) => i.region === young.region)
      .flatMap((i) => i.spec.securityGroupIds)
      .find((g) => !young.securityGroupIds.includes(g))!;
    await h.control.drift(protectedId, { tags: { 'driftwarden:protect': 'db' }, httpTokens: 'optional' });
    await h.control.drift(approvalId, { instanceType: 'm5.24xlarge' });
    await h.control.drift(youngId, { addSecurityGroups: [foreign] });
    for (const id of [a, b]) await h.control.drift(id, { httpTokens: 'optional' });
    await h.scan();

    const all = await jobs(h);
    const running = all.find((j) => [a, b].includes(j.instanceId))!;
    expect(running.state).toBe('running');
    const waitingId = running.instanceId === a ? b : a;
    const approval = all.find((j) => j.instanceId === approvalId)!;
    expect(approval.state).toBe('awaiting-approval');

    expect((await expectReasonShown(h, protectedId, 'protected')).text).toBe(
      'protected by tag driftwarden:protect',
    );
    expect((await expectReasonShown(h, youngId, 'for-not-elapsed')).text).toMatch(
      /^waiting: for 1h of rule security-groups not elapsed \((59m\d+s|1h) left; due at /,
    );
    expect((await expectReasonShown(h, waitingId, 'max-concurrent')).text).toBe('maxConcurrent (1) reached');
    expect(await expectReasonShown(h, approvalId, 'awaiting-approval')).toMatchObject({
      jobId: approval.jobId,
      text: 'awaiting approval: rule instance-type requires an admin to approve',
    });
    // The replacement under way is held back by nothing: its instance and job carry no reason.
    expect(
      (await h.get<{ remediation: unknown }>(`/api/v1/instances/${running.instanceId}`)).body.remediation,
    ).toEqual({ reason: null });
    expect((await job(h, running.jobId)).waitReason).toBeNull();
    expect(await blocked(h)).toMatchObject({
      protected: 1,
      'for-not-elapsed': 1,
      'max-concurrent': 1,
      'awaiting-approval': 1,
      paused: 0,
    });

    // The replacements page: the queue says why the approval job waits; the waiting candidates table lists the rest.
    const page = (await h.get<string>('/ui/replacements')).body;
    const waitingTable = page.slice(page.indexOf('id="waiting-candidates"'));
    for (const [id, code] of [
      [protectedId, 'protected'],
      [youngId, 'for-not-elapsed'],
      [waitingId, 'max-concurrent'],
    ])
      expect(waitingTable).toContain(`data-instance="${id}" data-reason-code="${code}"`);
    const queue = page.slice(page.indexOf('id="jobs-open"'), page.indexOf('id="waiting-candidates"'));
    expect(queue).toContain('data-reason-code="awaiting-approval"');

    // A running job's step says what it waits for, in the API and on both pages.
    const noted = await waitUntil('the running job to note what it waits for', async () => {
      await tick(h);
      const current = await job(h, running.jobId);
      return current.note ? current : undefined;
    });
    expect(noted.note).toMatch(/\S/);
    // The note moves on as the new instance does (pending, then its status checks): a page shows the
    // note of the moment it was rendered, the one read just before or just after it.
    const showsNote = async (path: string): Promise<string> => {
      const before = (await job(h, running.jobId)).note;
      const body = (await h.get<string>(path)).body;
      const after = (await job(h, running.jobId)).note;
      return [before, after].find((note) => note && body.includes(note)) ?? `neither ${before} nor ${after}`;
    };
    expect(await showsNote('/ui/replacements')).toMatch(/^replacement /);
    expect(await showsNote(`/ui/replacements/${running.jobId}`)).toMatch(/^replacement /);

    // Approved, the job is queued behind the running one: its reason changes with it.
    expect(
      (await h.post(`/api/v1/replacements/${approval.jobId}/approve`, undefined, ADMIN_TOKEN)).status,
    ).toBe(200);
    await tick(h);
    expect((await job(h, approval.jobId)).waitReason).toMatchObject({ code: 'max-concurrent' });
    await expectReasonShown(h, approvalId, 'max-concurrent');
    expect(await blocked(h)).toMatchObject({ 'awaiting-approval': 0, 'max-concurrent': 2 });

    // Paused by an operator: every start waits for the resume, and says so.
    expect((await h.post('/api/v1/remediation/pause', { reason: 'INC-7' }, ADMIN_TOKEN)).status).toBe(200);
    await h.scan();
    await tick(h);
    expect((await expectReasonShown(h, waitingId, 'paused')).text).toBe('remediation paused: manual (INC-7)');
    expect((await job(h, approval.jobId)).waitReason).toMatchObject({ code: 'paused' });
    expect(metricValue(await h.metrics(), 'driftwarden_remediation_blocked', { reason: 'paused' })).toBe(2);
    expect(metricValue(await h.metrics(), 'driftwarden_remediation_blocked', { reason: 'drift-storm' })).toBe(
      0,
    );

    // The log says it once per change of reason, not at every scan.
    const protectedLines = h.logs.filter(
      (l) => l.msg === 'replacement waits' && l.instanceId === protectedId,
    );
    expect(protectedLines).toHaveLength(1);
    expect(protectedLines[0]).toMatchObject({ code: 'protected' });
  });
});

describe('reasons in mode off', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 6,
      seed: 62,
      regions: ['us-east-1'],
      env: remediationEnv({ DRIFTWARDEN_REMEDIATION_MODE: 'off' }),
    });
  });
  afterAll(async () => h.close());

  it('says remediation is off for due drift, and creates no job', async () => {
    const [id] = runningStandalone(h, 1) as [string];
    await h.control.drift(id, { httpTokens: 'optional' });
    await h.scan();
    expect((await expectReasonShown(h, id, 'mode-off')).text).toBe('remediation is off');
    expect(await jobs(h)).toEqual([]);

    // Healed, the instance is no longer a candidate and loses its reason.
    await h.control.reset(id);
    await h.scan();
    expect((await h.get<{ remediation: unknown }>(`/api/v1/instances/${id}`)).body.remediation).toEqual({
      reason: null,
    });
    expect(metricValue(await h.metrics(), 'driftwarden_remediation_blocked', { reason: 'mode-off' })).toBe(0);
  });
});

describe('reasons about groups, failed replacements and images', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      // One generated instance each of web, api and worker (all in Auto Scaling groups): the standalone
      // instances below are alone in their channel's group.
      instances: 3,
      seed: 63,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      env: remediationEnv({
        DRIFTWARDEN_REMEDIATION_MAX_CONCURRENT: '10',
        DRIFTWARDEN_REMEDIATION_HEALTH_TIMEOUT: '10m',
        DRIFTWARDEN_REMEDIATION_BREAKER_MAX_DRIFTED_PERCENT: '100',
      }),
    });
  });
  afterAll(async () => h.close());

  /** Standalone instances of the newest us-east-1 build of `channel`: their group is the channel. */
  async function standalone(channel: string, count: number): Promise<string[]> {
    const imageId = h.sim.fleet.newestImage('us-east-1', channel)!.imageId;
    const ids: string[] = [];
    for (let n = 0; n < count; n++)
      ids.push(
        (await h.control.launch({ region: 'us-east-1', imageId, tags: { 'managed-by': 'packer' } }))
          .instanceId,
      );
    return ids;
  }

  it('shows a busy group, an unavailable group, a cool-down after a failure and a missing target image', async () => {
    // The replacement that starts in group web never becomes healthy, so the group stays busy.
    await h.control.failure({ kind: 'neverHealthy' });
    const [webA, webB] = (await standalone('web', 2)) as [string, string];
    const [apiUp, apiStopped] = (await standalone('api', 2)) as [string, string];
    const [failing] = (await standalone('worker', 1)) as [string];
    // A channel of its own whose only build gets revoked: nothing active to replace it with.
    const edge = await h.addImage({ region: 'us-east-1', channel: 'edge' });
    expect((await h.post('/api/v1/manifests', edge)).status).toBe(201);
    const edgeId = (
      await h.control.launch({
        region: 'us-east-1',
        imageId: edge.image.id,
        tags: { 'managed-by': 'packer' },
      })
    ).instanceId;
    await h.scan();

    for (const id of [webA, webB, apiUp]) await h.control.drift(id, { httpTokens: 'optional' });
    await h.control.drift(apiStopped, { state: 'stopped' });
    // User data that differs from the baked one makes the replacement fail before it launches anything.
    await h.control.drift(failing, { httpTokens: 'optional', userData: '#!/bin/sh\necho hand-edited' });
    expect(
      (await h.post(`/api/v1/manifests/${edge.image.id}/revoke`, { reason: 'CVE-2026-0001' })).status,
    ).toBe(200);
    await h.scan();

    const running = (await jobs(h)).find((j) => [webA, webB].includes(j.instanceId))!;
    const busyId = running.instanceId === webA ? webB : webA;
    expect((await expectReasonShown(h, busyId, 'group-busy')).text).toBe(
      'group web: waiting for the previous replacement to finish',
    );
    expect((await expectReasonShown(h, apiUp, 'group-unavailable')).text).toBe(
      'group api: 1 of 1 allowed unavailable (maxUnavailablePercent 10)',
    );
    expect((await expectReasonShown(h, edgeId, 'no-target-image')).text).toBe(
      `no active baked image to replace ${edge.image.id} with; reporting only`,
    );
    expect((await jobs(h)).some((j) => [apiUp, edgeId].includes(j.instanceId))).toBe(false);

    // The failing replacement ends; the next scan keeps its instance out of replacement for the cool-down.
    const failed = await waitUntil('the replacement of the hand-edited instance to fail', async () => {
      await tick(h);
      return (await jobs(h)).find((j) => j.instanceId === failing && j.state === 'failed');
    });
    await h.scan();
    expect((await expectReasonShown(h, failing, 'cooling-down')).text).toMatch(
      /^the last replacement failed; cooling down until \S+ \((5h59m\d+s|6h) left\)$/,
    );
    expect((await jobs(h)).filter((j) => j.instanceId === failing)).toEqual([failed]);

    expect(await blocked(h)).toMatchObject({
      'group-busy': 1,
      'group-unavailable': 1,
      'cooling-down': 1,
      'no-target-image': 1,
    });
    const page = (await h.get<string>('/ui/replacements')).body;
    const waitingTable = page.slice(page.indexOf('id="waiting-candidates"'));
    for (const [id, code] of [
      [busyId, 'group-busy'],
      [apiUp, 'group-unavailable'],
      [failing, 'cooling-down'],
      [edgeId, 'no-target-image'],
    ])
      expect(waitingTable).toContain(`data-instance="${id}" data-reason-code="${code}"`);
  });

  it('shows an approved job whose group has no health data any more as waiting for it', async () => {
    // No generated batch instance (3 instances: web, api, worker): this one is alone in group batch.
    const [moved] = (await standalone('batch', 1)) as [string];
    await h.scan();
    await h.control.drift(moved, { instanceType: 'm5.24xlarge' });
    await h.scan();
    const held = (await jobs(h)).find((j) => j.instanceId === moved)!;
    expect(held).toMatchObject({ state: 'awaiting-approval', group: 'batch' });
    // Attached to an Auto Scaling group meanwhile: nothing is left in group batch to judge its health by.
    await h.control.drift(moved, { tags: { 'aws:autoscaling:groupName': 'adopted-asg' } });
    await h.scan();

    expect((await h.post(`/api/v1/replacements/${held.jobId}/approve`, undefined, ADMIN_TOKEN)).status).toBe(
      200,
    );
    await tick(h);
    expect((await job(h, held.jobId)).waitReason).toMatchObject({ code: 'group-unknown' });
    expect(await expectReasonShown(h, moved, 'group-unknown')).toMatchObject({
      jobId: held.jobId,
      text: 'group batch: no health data',
    });
    expect((await job(h, held.jobId)).state).toBe('queued');
  });
});
