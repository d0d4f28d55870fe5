// Enforce mode: accepted drift is never replaced, and a replacement waiting for approval is dropped once its drift is accepted.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import {
  FAST_LIFECYCLE,
  jobs,
  lastSeq,
  mutatingCalls,
  remediationEnv,
  runningStandalone,
  waitUntil,
  tick,
} from '../support/remediation.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    instances: 12,
    seed: 53,
    regions: ['us-east-1'],
    lifecycle: FAST_LIFECYCLE,
    env: remediationEnv(),
  });
});
afterAll(async () => {
  await h.close();
});

it('does not replace an instance whose replace-action drift is accepted, while replacing the same drift elsewhere', async () => {
  const [accepted, other] = runningStandalone(h, 2);
  await h.scan();
  const added = await h.post<{ id: number }>('/api/v1/acceptances', {
    instanceId: accepted,
    until: '1d',
    reason: 'IMDSv1 needed by a legacy agent until CHG-77',
  });
  expect(added.status).toBe(201);
  const since = lastSeq(h);
  for (const id of [accepted!, other!]) await h.control.drift(id, { httpTokens: 'optional' });

  const scan = await h.scan();
  expect(
    scan.findings.filter((f) => f.instanceId === accepted).map((f) => [f.rule, f.action, f.accepted]),
  ).toEqual([['imds-downgrade', 'replace', true]]);
  // The unaccepted twin gets its replacement: the policy itself is not what holds the accepted one back.
  await waitUntil('a replacement of the unaccepted instance', async () =>
    (await jobs(h)).find((j) => j.instanceId === other),
  );
  await tick(h, 3);
  await h.scan();
  expect((await jobs(h)).filter((j) => j.instanceId === accepted)).toEqual([]);
  const touched = mutatingCalls(h, since).filter((r) => JSON.stringify(r.params).includes(accepted!));
  expect(touched).toEqual([]);
});

it('cancels a replacement awaiting approval once its drift is accepted, saying so', async () => {
  const [, , id] = runningStandalone(h, 3);
  await h.control.drift(id!, { instanceType: 'm5.24xlarge' });
  await h.scan();
  const waiting = await waitUntil('a job awaiting approval', async () =>
    (await jobs(h)).find((j) => j.instanceId === id && j.state === 'awaiting-approval'),
  );

  const added = await h.post('/api/v1/acceptances', {
    instanceId: id,
    rule: 'instance-type',
    until: '12h',
    reason: 'load test this week',
  });
  expect(added.status).toBe(201);
  await h.scan();
  const cancelled = (await jobs(h)).find((j) => j.jobId === waiting.jobId);
  expect(cancelled).toMatchObject({
    state: 'cancelled',
    error: 'drift accepted before the replacement started',
  });
});
