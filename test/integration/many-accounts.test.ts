// Targets in other accounts through STS AssumeRole: findings carry the account, one role's failure stays its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startHarness, type Harness } from '../support/harness.js';

const DEFAULT = '123456789012';
const ACCOUNT_A = '111122223333';
const ACCOUNT_B = '444455556666';
const ROLE_A = `arn:aws:iam::${ACCOUNT_A}:role/driftwarden-scan`;
const ROLE_B = `arn:aws:iam::${ACCOUNT_B}:role/driftwarden-scan`;

let h: Harness;
const ids: { a: string[]; b: string[]; defaults: string[] } = { a: [], b: [], defaults: [] };

interface InstanceBody {
  instance: { instanceId: string; account: string | null; status: string; observation: { ownerId: string } };
  findings: { path: string; account: string | null }[];
  history: { path: string }[];
}

beforeAll(async () => {
  h = await startHarness({
    instances: 12,
    seed: 5,
    env: {
      DRIFTWARDEN_TARGETS: JSON.stringify([
        { regions: ['us-east-1', 'eu-west-1'] },
        { roleArn: ROLE_A, regions: ['us-east-1'] },
        { roleArn: ROLE_B, externalId: 'ops-4711', regions: ['us-east-1', 'eu-west-1'] },
      ]),
    },
  });
  await h.control.role({ roleArn: ROLE_A });
  await h.control.role({ roleArn: ROLE_B, externalId: 'ops-4711' });
  ids.a = (
    await h.control.launchBulk({ region: 'us-east-1', count: 2, channel: 'web' }, ACCOUNT_A)
  ).instanceIds;
  ids.b = [
    ...(await h.control.launchBulk({ region: 'us-east-1', count: 2, channel: 'api' }, ACCOUNT_B)).instanceIds,
    ...(await h.control.launchBulk({ region: 'eu-west-1', count: 1, channel: 'batch' }, ACCOUNT_B))
      .instanceIds,
  ];
  ids.defaults = h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null)
    .map((i) => i.instanceId);
});

afterAll(async () => {
  await h.close();
});

const instance = async (id: string) => (await h.get<InstanceBody>(`/api/v1/instances/${id}`)).body;
const assumeRoles = (since = 0) => h.sim.requestLog(since).filter((e) => e.action === 'AssumeRole');
const lastSeq = () => h.sim.requestLog().at(-1)?.seq ?? 0;

describe('targets with a roleArn', () => {
  it('scans each account through its role and reports drift with the right account', async () => {
    const [a1, b1, d1] = [ids.a[0] ?? '', ids.b[0] ?? '', ids.defaults[0] ?? ''];
    await h.control.drift(a1, { httpTokens: 'optional' });
    await h.control.drift(b1, { instanceType: 'c5.9xlarge' });
    await h.control.drift(d1, { tags: { role: 'hand-made' } });

    const scan = await h.scan();
    expect(scan.outcome).toBe('success');
    expect(scan.targets).toEqual(
      expect.arrayContaining([
        { account: null, region: 'us-east-1', status: 'ok', error: null },
        { account: null, region: 'eu-west-1', status: 'ok', error: null },
        { account: ACCOUNT_A, region: 'us-east-1', status: 'ok', error: null },
        { account: ACCOUNT_B, region: 'us-east-1', status: 'ok', error: null },
        { account: ACCOUNT_B, region: 'eu-west-1', status: 'ok', error: null },
      ]),
    );
    expect(scan.targets).toHaveLength(5);
    expect(scan.instances.total).toBe(ids.defaults.length + ids.a.length + ids.b.length);
    expect([...new Set(scan.findings.map((f) => f.instanceId))].sort()).toEqual([a1, b1, d1].sort());

    const a = await instance(a1);
    expect(a.instance).toMatchObject({
      account: ACCOUNT_A,
      status: 'drifted',
      observation: { ownerId: ACCOUNT_A },
    });
    expect(a.findings).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens', account: ACCOUNT_A }),
    ]);
    const b = await instance(b1);
    expect(b.instance).toMatchObject({ account: ACCOUNT_B, observation: { ownerId: ACCOUNT_B } });
    expect(b.findings).toEqual([
      expect.objectContaining({ path: 'launch.instanceType', account: ACCOUNT_B }),
    ]);
    const d = await instance(d1);
    expect(d.instance).toMatchObject({ account: null, observation: { ownerId: DEFAULT } });

    // Each role was assumed with its ExternalId, and EC2 was called as that account.
    expect(
      assumeRoles().map((e) => [e.params.RoleArn, e.params.ExternalId, e.params.RoleSessionName]),
    ).toEqual(
      expect.arrayContaining([
        [ROLE_A, undefined, 'driftwarden'],
        [ROLE_B, 'ops-4711', 'driftwarden'],
      ]),
    );
    const describedAs = new Set(
      h.sim
        .requestLog()
        .filter((e) => e.action === 'DescribeInstances')
        .map((e) => `${e.account}/${e.region}`),
    );
    expect(describedAs).toEqual(
      new Set([
        `${DEFAULT}/us-east-1`,
        `${DEFAULT}/eu-west-1`,
        `${ACCOUNT_A}/us-east-1`,
        `${ACCOUNT_B}/us-east-1`,
        `${ACCOUNT_B}/eu-west-1`,
      ]),
    );
  });

  it('caches the credentials: further scans assume each role no more (one per role for all its regions)', async () => {
    const since = lastSeq();
    await h.scan();
    await h.scan();
    expect(assumeRoles(since)).toEqual([]);
    expect(
      assumeRoles()
        .map((e) => e.params.RoleArn)
        .sort(),
    ).toEqual([ROLE_A, ROLE_B]);
    const metrics = await h.metrics();
    expect(
      metricValue(metrics, 'driftwarden_aws_requests_total', {
        service: 'sts',
        operation: 'AssumeRole',
        outcome: 'success',
      }),
    ).toBe(2);
  });

  it("an AccessDenied AssumeRole makes only that account's instances stale; the others scan as usual", async () => {
    const [a1, a2] = [ids.a[0] ?? '', ids.a[1] ?? ''];
    const [b2, d2] = [ids.b[1] ?? '', ids.defaults[1] ?? ''];
    await h.control.role({ roleArn: ROLE_A, deny: true });
    await h.restart(); // a fresh daemon has no cached credentials
    await h.control.reset(a1); // would resolve A's finding — but A cannot be seen
    await h.control.drift(a2, { httpTokens: 'optional' }); // would be a new finding — same
    await h.control.drift(b2, { httpTokens: 'optional' });
    await h.control.drift(d2, { httpTokens: 'optional' });

    const scan = await h.scan();
    expect(scan.outcome).toBe('partial');
    const failed = scan.targets.filter((t) => t.status !== 'ok');
    expect(failed.map(({ account, region, status }) => ({ account, region, status }))).toEqual([
      { account: ACCOUNT_A, region: 'us-east-1', status: 'stale' },
    ]);
    expect(failed[0]?.error).toMatch(
      new RegExp(
        `AssumeRole ${ROLE_A} failed: AccessDenied: User: .* is not authorized to perform: sts:AssumeRole`,
      ),
    );
    expect(scan.instances.stale).toBe(ids.a.length);
    for (const id of ids.a) expect((await instance(id)).instance.status).toBe('stale');
    expect((await instance(a1)).findings).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens' }),
    ]);
    expect((await instance(a2)).findings).toEqual([]);

    // The other account and the default one: new drift found, as usual.
    expect(scan.findings.filter((f) => f.instanceId === b2)).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens', change: 'changed' }),
    ]);
    expect(scan.findings.filter((f) => f.instanceId === d2)).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens', change: 'changed' }),
    ]);
    expect((await instance(b2)).instance).toMatchObject({ account: ACCOUNT_B, status: 'drifted' });
    expect(
      metricValue(await h.metrics(), 'driftwarden_aws_requests_total', {
        service: 'sts',
        operation: 'AssumeRole',
        outcome: 'error',
      }),
    ).toBeGreaterThanOrEqual(1);

    // Trusted again: the next scan assumes the role (failures are not cached) and catches up.
    await h.control.role({ roleArn: ROLE_A });
    const recovered = await h.scan();
    expect(recovered.outcome).toBe('success');
    expect((await instance(a1)).findings).toEqual([]);
    expect((await instance(a1)).history).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens' }),
    ]);
    expect((await instance(a2)).findings).toEqual([
      expect.objectContaining({ path: 'launch.metadataOptions.httpTokens', account: ACCOUNT_A }),
    ]);
  });

  it('a wrong ExternalId is AccessDenied for that role only', async () => {
    await h.control.role({ roleArn: ROLE_B, externalId: 'rotated-secret' });
    await h.restart();
    const scan = await h.scan();
    expect(scan.outcome).toBe('partial');
    const failed = scan.targets.filter((t) => t.status !== 'ok');
    expect(failed.map((t) => [t.account, t.region])).toEqual([
      [ACCOUNT_B, 'us-east-1'],
      [ACCOUNT_B, 'eu-west-1'],
    ]);
    for (const t of failed) expect(t.error).toMatch(new RegExp(`AssumeRole ${ROLE_B} failed: AccessDenied`));
    expect(scan.instances.stale).toBe(ids.b.length);
    expect(scan.targets.filter((t) => t.account === ACCOUNT_A)).toEqual([
      { account: ACCOUNT_A, region: 'us-east-1', status: 'ok', error: null },
    ]);
    await h.control.role({ roleArn: ROLE_B, externalId: 'ops-4711' });
    expect((await h.scan()).outcome).toBe('success');
  });

  it('refreshes credentials before they expire, so no request is ever made with an expired key', async () => {
    // Sessions of 6 s: refreshed a quarter of the lifetime (1.5 s) before Expiration.
    await h.control.role({ roleArn: ROLE_A, maxSessionSeconds: 6 });
    await h.restart();
    const since = lastSeq();
    expect((await h.scan()).outcome).toBe('success');
    const first = assumeRoles(since).filter((e) => e.params.RoleArn === ROLE_A);
    expect(first).toHaveLength(1);
    expect((await h.scan()).outcome).toBe('success');
    expect(assumeRoles(since).filter((e) => e.params.RoleArn === ROLE_A)).toHaveLength(1);

    // 5 s after the first AssumeRole: past the refresh point, still before Expiration.
    await new Promise((resolve) => setTimeout(resolve, Date.parse(first[0]?.at ?? '') + 5_000 - Date.now()));
    expect((await h.scan()).outcome).toBe('success');
    expect(assumeRoles(since).filter((e) => e.params.RoleArn === ROLE_A)).toHaveLength(2);
    expect(h.sim.requestLog(since).filter((e) => e.errorCode === 'ExpiredToken')).toEqual([]);
  });
});
