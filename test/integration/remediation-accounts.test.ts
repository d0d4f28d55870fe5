// Replacing an instance of an assumed-role account acts through that role, in that account only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { FAST_LIFECYCLE, lastSeq, remediationEnv, scanUntilSettled } from '../support/remediation.js';

const DEFAULT = '123456789012';
const MEMBER = '111122223333';
const ROLE = `arn:aws:iam::${MEMBER}:role/driftwarden-replace`;

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    instances: 4,
    seed: 43,
    regions: ['us-east-1'],
    lifecycle: FAST_LIFECYCLE,
    env: remediationEnv({
      DRIFTWARDEN_TARGETS: JSON.stringify([
        { regions: ['us-east-1'] },
        { roleArn: ROLE, externalId: 'ops-4711', regions: ['us-east-1'] },
      ]),
    }),
  });
  await h.control.role({ roleArn: ROLE, externalId: 'ops-4711' });
});
afterAll(async () => {
  await h.close();
});

describe('replacement in another account', () => {
  it('launches and terminates with the role of the target the instance was scanned from', async () => {
    const launched = await h.control.launch({ region: 'us-east-1', channel: 'batch', group: null }, MEMBER);
    await h.scan();
    const since = lastSeq(h);
    await h.control.drift(launched.instanceId, { httpTokens: 'optional' });

    const all = await scanUntilSettled(h, [launched.instanceId]);
    const job = all.find((j) => j.instanceId === launched.instanceId);
    expect(job).toMatchObject({ state: 'succeeded', strategy: 'launch-then-terminate' });

    const mutations = h.sim.requestLog(since).filter((r) => r.mutating);
    expect(mutations.map((r) => r.action)).toEqual(
      expect.arrayContaining(['RunInstances', 'TerminateInstances']),
    );
    expect(new Set(mutations.map((r) => r.account))).toEqual(new Set([MEMBER]));
    const member = h.sim.accounts.fleet(MEMBER);
    expect(member.instance(job?.newInstanceId ?? '')?.state).toBe('running');
    expect(['shutting-down', 'terminated']).toContain(member.instance(launched.instanceId)?.state);
    expect(h.sim.fleet.instance(job?.newInstanceId ?? '')).toBeUndefined();

    const replacement = await h.get<{ instance: { account: string | null } }>(
      `/api/v1/instances/${job?.newInstanceId ?? ''}`,
    );
    expect(replacement.body.instance.account).toBe(MEMBER);
    expect(h.sim.requestLog(since).filter((r) => r.account === DEFAULT && r.mutating)).toEqual([]);
  });
});
