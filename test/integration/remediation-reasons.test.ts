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
    expect((await h.get<string>('/ui/replacements')).body).toContain(noted.note!);
    expect((await h.get<string>(`/ui/replacements/${running.jobId}`)).body).toContain(noted.note!);

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
