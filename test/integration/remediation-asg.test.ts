// Enforce, Auto Scaling: a 10-instance group with 3 drifted members is healed one at a time, never below 9 in service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startHarness, type Harness } from '../support/harness.js';
import { FAST_LIFECYCLE, jobs, lastSeq, remediationEnv, scanUntilSettled } from '../support/remediation.js';

let h: Harness;
const GROUP = 'canary-us-east-1-asg';

beforeAll(async () => {
  h = await startHarness({
    instances: 4,
    seed: 31,
    regions: ['us-east-1'],
    lifecycle: FAST_LIFECYCLE,
    env: remediationEnv({
      DRIFTWARDEN_REMEDIATION_MAX_CONCURRENT: '5',
      DRIFTWARDEN_REMEDIATION_MAX_UNAVAILABLE_PERCENT: '10',
    }),
  });
  const channel = h.sim.fleet.images[0]!.channel;
  await h.control.launchBulk({ region: 'us-east-1', count: 10, channel, group: GROUP });
});
afterAll(async () => {
  await h.close();
});

describe('an Auto Scaling group with drifted members', () => {
  it('replaces each drifted member exactly once, one at a time, keeping 9 of 10 in service', async () => {
    const members = (await h.control.group(GROUP)).instances.map((m) => m.instanceId);
    expect(members).toHaveLength(10);
    await h.scan();
    const since = lastSeq(h);
    const drifted = members.slice(0, 3);
    for (const id of drifted) await h.control.drift(id, { httpTokens: 'optional' });

    let minInService = Number.POSITIVE_INFINITY;
    let maxRunningJobs = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const group = await h.control.group(GROUP);
        minInService = Math.min(minInService, group.inService);
        const running = (await jobs(h)).filter((j) => j.state === 'running').length;
        maxRunningJobs = Math.max(maxRunningJobs, running);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const all = await scanUntilSettled(h, drifted, 90_000);
    sampling = false;
    await sampler;

    expect(
      all
        .filter((j) => drifted.includes(j.instanceId))
        .map((j) => [j.instanceId, j.state, j.strategy])
        .sort(),
    ).toEqual(drifted.map((id) => [id, 'succeeded', 'asg']).sort());
    expect(all).toHaveLength(3);
    expect(minInService).toBeGreaterThanOrEqual(9);
    expect(maxRunningJobs).toBe(1);

    const terminations = h.sim
      .requestLog()
      .filter((r) => r.seq > since && r.action === 'TerminateInstanceInAutoScalingGroup')
      .map((r) => r.params.InstanceId);
    expect(terminations.sort()).toEqual([...drifted].sort());
    const group = await h.control.group(GROUP);
    expect(group.desiredCapacity).toBe(10);
    expect(group.maxSize).toBe(10); // raised by one for each surge, then put back
    expect(group.inService).toBe(10);
    expect(group.instances.some((m) => drifted.includes(m.instanceId))).toBe(false);
    // Nobody else was touched: every member that did not drift is still in service.
    const untouched = members.filter((id) => !drifted.includes(id));
    expect(
      untouched.filter(
        (id) => group.instances.find((m) => m.instanceId === id)?.lifecycleState === 'InService',
      ),
    ).toEqual(untouched);

    const scan = await h.scan();
    expect(scan.findings).toEqual([]);
    const metrics = await h.metrics();
    expect(
      metricValue(metrics, 'driftwarden_replacements_total', { strategy: 'asg', outcome: 'succeeded' }),
    ).toBe(3);
    expect(metricValue(metrics, 'driftwarden_replacements_in_flight')).toBe(0);
  });

  it('rolls back a surge whose new member never becomes healthy: the group is not drained, the old member stays', async () => {
    const group = await h.control.group(GROUP);
    const victim = group.instances[0]!.instanceId;
    await h.scan();
    const since = lastSeq(h);
    await h.control.failure({ kind: 'neverHealthy', group: GROUP });
    await h.control.drift(victim, { httpTokens: 'optional' });

    const all = await scanUntilSettled(h, [victim], 60_000);
    await h.control.clearFailures();
    const job = all.find((j) => j.instanceId === victim)!;
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/in service/);

    const log = h.sim.requestLog().filter((r) => r.seq > since);
    const terminated = log
      .filter((r) => r.action === 'TerminateInstanceInAutoScalingGroup')
      .map((r) => r.params.InstanceId);
    expect(terminated).not.toContain(victim);
    const after = await h.control.group(GROUP);
    expect(after.desiredCapacity).toBe(10);
    expect(after.maxSize).toBe(10);
    expect(after.instances.find((m) => m.instanceId === victim)?.lifecycleState).toBe('InService');
    expect(after.inService).toBe(10);
  });
});
