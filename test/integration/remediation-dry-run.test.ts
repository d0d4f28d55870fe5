// Dry-run (the default): drifted instances get planned jobs and log lines, and AWS sees no mutating call.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import {
  expectReasonShown,
  jobs,
  lastSeq,
  mutatingCalls,
  remediationEnv,
  tick,
  waitUntil,
} from '../support/remediation.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    instances: 20,
    seed: 21,
    captureLogs: true,
    env: remediationEnv({ DRIFTWARDEN_REMEDIATION_MODE: 'dry-run' }),
  });
});
afterAll(async () => {
  await h.close();
});

it('plans a replacement per drifted instance, logs it, and makes zero mutating AWS calls', async () => {
  const [a, b, protectedOne] = h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null);
  await h.control.drift(protectedOne!.instanceId, { tags: { 'driftwarden:protect': 'yes' } });
  await h.scan();
  const since = lastSeq(h);
  for (const i of [a!, b!, protectedOne!]) await h.control.drift(i.instanceId, { httpTokens: 'optional' });

  await h.scan();
  const planned = await waitUntil('planned jobs', async () => {
    const all = await jobs(h);
    return all.length >= 2 ? all : undefined;
  });
  expect(planned.map((j) => [j.instanceId, j.state]).sort()).toEqual(
    [
      [a!.instanceId, 'planned'],
      [b!.instanceId, 'planned'],
    ].sort(),
  );
  expect(planned.every((j) => j.reason.some((r) => r.rule === 'imds-downgrade'))).toBe(true);
  // Each planned job says it is only a plan.
  for (const j of planned) expect(j.waitReason).toMatchObject({ code: 'dry-run' });
  // ...and so do its instance's API entry, its page and driftwarden_remediation_blocked{reason="dry-run"}.
  for (const j of planned)
    expect((await expectReasonShown(h, j.instanceId, 'dry-run')).text).toMatch(
      /^dry-run: would replace with (asg|launch-then-terminate)\b.*; nothing is changed$/,
    );
  // Protected instances never get a job, not even a planned one.
  expect(planned.some((j) => j.instanceId === protectedOne!.instanceId)).toBe(false);

  // Several ticks and another scan later: still nothing planned twice, nothing mutating sent.
  await tick(h, 3);
  await h.scan();
  expect(await jobs(h)).toHaveLength(2);
  expect(mutatingCalls(h, since)).toEqual([]);
  const lines = h.logs.filter((l) => l.msg === 'dry-run: would replace instance');
  expect(lines.map((l) => l.instanceId).sort()).toEqual([a!.instanceId, b!.instanceId].sort());

  // Healing the drift closes the planned job.
  await h.control.reset(a!.instanceId);
  await h.scan();
  const after = await jobs(h);
  expect(after.find((j) => j.instanceId === a!.instanceId)?.state).toBe('cancelled');
  expect(mutatingCalls(h, since)).toEqual([]);
});
