// kill -9 at random points during a replacement wave, 12 times (the adversarial e2e suite kills 30 times): every drifted instance is still replaced
// exactly once, nothing is launched twice for one job, nothing is orphaned, and the database is intact.
import { afterAll, expect, it } from 'vitest';
import { KILL_STORM_GROUP, orphans, runKillStorm, type KillStorm } from '../support/kill-storm.js';

const KILLS = 12;
let storm: KillStorm | null = null;

afterAll(async () => {
  await storm?.close();
});

it(`survives ${KILLS} SIGKILLs during replacement without a double launch, double termination or orphan`, async () => {
  storm = await runKillStorm(KILLS, 20261126);
  const { sim, drifted, jobs } = storm;
  // The kills must land inside replacements, not only at start-up or idle.
  expect(storm.killedMidJob).toBeGreaterThanOrEqual(5);

  // Exactly one job per drifted instance, all succeeded; nothing else was replaced.
  const targets = [...drifted.standalone, ...drifted.members];
  expect(jobs.map((j) => j.instanceId).sort()).toEqual([...targets].sort());
  expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);

  const log = sim.requestLog();
  // Never two instances for one job: RunInstances may be repeated (same ClientToken), launches are not.
  for (const job of jobs.filter((j) => j.strategy === 'launch-then-terminate')) {
    const launched = sim.fleet.allInstances().filter((i) => i.tags.get('driftwarden:job') === job.jobId);
    expect(launched.map((i) => i.instanceId)).toEqual([job.newInstanceId]);
    expect(sim.fleet.instance(job.newInstanceId!)?.state).toBe('running');
    const tokens = log
      .filter((r) => r.action === 'RunInstances' && r.params.InstanceType !== undefined)
      .map((r) => r.params.ClientToken);
    expect(tokens.filter((t) => t === job.jobId).length).toBeGreaterThanOrEqual(1);
  }
  // Every old instance terminated exactly once — by the call that fits its strategy.
  const ec2Terminations = log
    .filter((r) => r.action === 'TerminateInstances')
    .map((r) => r.params['InstanceId.1']);
  const asgTerminations = log
    .filter((r) => r.action === 'TerminateInstanceInAutoScalingGroup')
    .map((r) => r.params.InstanceId);
  expect([...ec2Terminations].sort()).toEqual([...drifted.standalone].sort());
  expect([...asgTerminations].sort()).toEqual([...drifted.members].sort());
  for (const id of targets) expect(sim.fleet.instance(id)?.state).toMatch(/shutting-down|terminated/);

  // No orphan: every instance driftwarden launched is the recorded replacement of a succeeded job.
  expect(orphans(sim, jobs)).toEqual([]);
  // The group is whole again: desired, in service and max as before the wave.
  const group = sim.fleet.group(KILL_STORM_GROUP)!;
  expect(group.desiredCapacity).toBe(10);
  expect(group.maxSize).toBe(10);

  expect(storm.integrity).toBe('ok');
}, 300_000);
