// The safety policy in enforce mode: drift storms, protection, approval, maintenance windows, maxPerHour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BOOT_RESOLV,
  HAND_SSHD,
  RESOLV,
  SSHD,
  bootTimeFleet,
  enforceRules,
  push,
} from '../support/consensus-fleet.js';
import { ADMIN_TOKEN, INGEST_TOKEN, metricValue, startHarness, type Harness } from '../support/harness.js';
import {
  FAST_LIFECYCLE,
  expectReasonShown,
  jobs,
  launchStandalone,
  lastSeq,
  mutatingCalls,
  remediationEnv,
  runningStandalone,
  scanUntilSettled,
  waitUntil,
  tick,
} from '../support/remediation.js';

describe('drift storm', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 20,
      seed: 51,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      env: remediationEnv(),
    });
  });
  afterAll(async () => h.close());

  it('pauses remediation when half the fleet drifts at once, replaces nothing, and stays paused until resumed', async () => {
    await h.scan();
    const since = lastSeq(h);
    const all = h.sim.fleet.allInstances().filter((i) => i.state === 'running');
    for (const i of all.slice(0, Math.ceil(all.length / 2)))
      await h.control.drift(i.instanceId, { httpTokens: 'optional' });

    await h.scan();
    const state = await h.get<{ paused: boolean; reason: string }>('/api/v1/remediation');
    expect(state.body).toMatchObject({ paused: true, reason: 'drift-storm' });
    expect(metricValue(await h.metrics(), 'driftwarden_remediation_paused', { reason: 'drift-storm' })).toBe(
      1,
    );
    // Each drifted instance says the storm holds it back.
    expect((await expectReasonShown(h, all[0]!.instanceId, 'drift-storm')).text).toMatch(
      /^remediation paused: drift-storm/,
    );

    // Still paused on later scans and ticks; nothing is replaced.
    await tick(h, 3);
    await h.scan();
    expect((await h.get<{ paused: boolean }>('/api/v1/remediation')).body.paused).toBe(true);
    expect(await jobs(h)).toEqual([]);
    expect(mutatingCalls(h, since)).toEqual([]);

    // A human resumes (after fixing the cause: here, the drift is undone).
    for (const i of all) await h.control.reset(i.instanceId);
    expect((await h.post('/api/v1/remediation/resume', undefined, ADMIN_TOKEN)).status).toBe(200);
    await h.scan();
    expect((await h.get<{ paused: boolean }>('/api/v1/remediation')).body.paused).toBe(false);
    expect(metricValue(await h.metrics(), 'driftwarden_remediation_paused', { reason: 'none' })).toBe(0);
    const audit = await h.get<{ items: { action: string; actor: string }[] }>('/api/v1/audit');
    expect(audit.body.items.map((a) => [a.action, a.actor])).toEqual(
      expect.arrayContaining([
        ['remediation.paused', 'driftwarden'],
        ['remediation.resumed', 'admin'],
      ]),
    );
  });
});

describe('protection, approval and maxPerHour', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      instances: 12,
      seed: 52,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      env: remediationEnv({
        DRIFTWARDEN_REMEDIATION_MAX_PER_HOUR: '2',
        DRIFTWARDEN_REMEDIATION_MAX_CONCURRENT: '5',
      }),
    });
  });
  afterAll(async () => h.close());

  it('never replaces an instance carrying the protect tag', async () => {
    const [id] = await launchStandalone(h, 1);
    await h.control.drift(id!, { tags: { 'driftwarden:protect': 'db-primary' }, httpTokens: 'optional' });
    const since = lastSeq(h);
    await h.scan();
    await tick(h, 3);
    await h.scan();
    expect((await jobs(h)).filter((j) => j.instanceId === id)).toEqual([]);
    expect(mutatingCalls(h, since)).toEqual([]);
    await h.control.drift(id!, { tags: { 'driftwarden:protect': null }, httpTokens: 'required' });
  });

  it('holds a replacement for a rule with approval: required until an admin approves it', async () => {
    const [id] = await launchStandalone(h, 1);
    await h.scan();
    const since = lastSeq(h);
    await h.control.drift(id!, { instanceType: 'm5.24xlarge' });
    await h.scan();
    const waiting = await waitUntil('a job awaiting approval', async () =>
      (await jobs(h)).find((j) => j.instanceId === id && j.state === 'awaiting-approval'),
    );
    await tick(h, 3);
    expect(mutatingCalls(h, since)).toEqual([]);

    expect((await h.post(`/api/v1/replacements/${waiting.jobId}/approve`, undefined, null)).status).toBe(401);
    expect(
      (await h.post(`/api/v1/replacements/${waiting.jobId}/approve`, undefined, INGEST_TOKEN)).status,
    ).toBe(403);
    const approved = await h.post<{ state: string; approvedBy: string }>(
      `/api/v1/replacements/${waiting.jobId}/approve`,
      undefined,
      ADMIN_TOKEN,
    );
    expect(approved.body).toMatchObject({ state: 'queued', approvedBy: 'admin' });

    const all = await scanUntilSettled(h, [id!]);
    expect(all.find((j) => j.jobId === waiting.jobId)?.state).toBe('succeeded');
    expect(
      (await h.post(`/api/v1/replacements/${waiting.jobId}/approve`, undefined, ADMIN_TOKEN)).status,
    ).toBe(409);
  });

  it('starts no more than maxPerHour replacements in an hour', async () => {
    // One replacement already happened in this hour (the approved one above); maxPerHour is 2.
    const ids = await launchStandalone(h, 3);
    await h.scan();
    for (const id of ids) await h.control.drift(id, { httpTokens: 'optional' });
    await h.scan();
    await waitUntil('the one allowed replacement to finish', async () => {
      await h.scan();
      const all = await jobs(h);
      return all.filter((j) => ids.includes(j.instanceId) && j.state === 'succeeded').length === 1 &&
        !all.some((j) => j.state === 'running')
        ? true
        : undefined;
    });
    await tick(h, 3);
    await h.scan();
    const forThese = (await jobs(h)).filter((j) => ids.includes(j.instanceId));
    expect(forThese).toHaveLength(1);
    for (const id of ids.filter((i) => !forThese.some((j) => j.instanceId === i)))
      expect((await expectReasonShown(h, id, 'max-per-hour')).text).toBe('maxPerHour (2) reached');
    const started = (await jobs(h)).filter((j) => j.state === 'succeeded').length;
    expect(started).toBe(2);
  });
});

describe('maintenance windows', () => {
  let h: Harness;
  beforeAll(async () => {
    // A window two days from now never opens during this test.
    const otherDay = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 2) % 7];
    h = await startHarness({
      instances: 8,
      seed: 53,
      regions: ['us-east-1'],
      lifecycle: FAST_LIFECYCLE,
      env: remediationEnv({
        DRIFTWARDEN_REMEDIATION_MAINTENANCE_WINDOWS: JSON.stringify([
          { days: [otherDay], start: '02:00', end: '04:00' },
        ]),
      }),
    });
  });
  afterAll(async () => h.close());

  it('starts no replacement outside the configured windows', async () => {
    const [id] = runningStandalone(h, 1);
    await h.scan();
    const since = lastSeq(h);
    await h.control.drift(id!, { httpTokens: 'optional' });
    await h.scan();
    await tick(h, 3);
    await h.scan();
    expect(await jobs(h)).toEqual([]);
    expect(mutatingCalls(h, since)).toEqual([]);
    expect((await expectReasonShown(h, id!, 'outside-window')).text).toMatch(
      /^outside maintenance window; next opens at \S+T02:00:00\.000Z \(in /,
    );
  });
});

describe("a waiting job whose drift turns out to be the whole fleet's since boot", () => {
  let h: Harness;
  const rules = enforceRules();
  beforeAll(async () => {
    h = await startHarness({
      instances: 5,
      regions: ['us-east-1'],
      env: remediationEnv({ DRIFTWARDEN_RULES_DIR: rules.dir }),
    });
  });
  afterAll(async () => {
    await h.close();
    rules.remove();
  });

  it('is cancelled: a replacement from the same image would bring the drift back', async () => {
    const { imageA, handMade } = await bootTimeFleet(h);
    const waiting = (await jobs(h)).filter((j) => handMade.includes(j.instanceId));
    expect(waiting.map((j) => j.state)).toEqual(['awaiting-approval', 'awaiting-approval']);
    // The rest of image A's fleet reports the same sshd_config, within signal.freshWindow of launch:
    // what looked like two hand-made changes is the image's since boot, like its resolv.conf.
    for (const id of imageA.filter((i) => !handMade.includes(i)))
      await push(h, id, { [RESOLV]: BOOT_RESOLV, [SSHD]: HAND_SSHD }, new Date());
    await h.scan();
    const after = (await jobs(h)).filter((j) => imageA.includes(j.instanceId));
    expect(after.map((j) => [j.jobId, j.state]).sort()).toEqual(
      waiting.map((j) => [j.jobId, 'cancelled']).sort(),
    );
  });
});
