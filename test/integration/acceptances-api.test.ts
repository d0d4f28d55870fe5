// /api/v1/acceptances over real HTTP: add, list, revoke; scans then report the drift as accepted, and metrics drop it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Acceptance, StoredFinding, StoredInstance } from '../../src/app/ports.js';
import type { SimInstance } from '@driftwarden/simulator';
import { INGEST_TOKEN, metricSum, metricValue, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let drifted: SimInstance;

beforeAll(async () => {
  h = await startHarness({ instances: 10, seed: 23, regions: ['us-east-1'], captureLogs: true });
  drifted = h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null)
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId))[0]!;
  await h.control.drift(drifted.instanceId, { httpTokens: 'optional' });
  await h.scan();
});
afterAll(async () => {
  await h.close();
});

interface Problem {
  title: string;
  status: number;
  detail: string;
  errors?: string[];
}

async function listAcceptances(query = ''): Promise<Acceptance[]> {
  const { status, body } = await h.get<{ items: Acceptance[] }>(`/api/v1/acceptances${query}`);
  expect(status).toBe(200);
  return body.items;
}

async function openFindings(): Promise<StoredFinding[]> {
  const { body } = await h.get<{ items: StoredFinding[] }>(
    `/api/v1/findings?instanceId=${drifted.instanceId}`,
  );
  return body.items;
}

describe('POST /api/v1/acceptances', () => {
  it('needs an admin token', async () => {
    const body = { instanceId: drifted.instanceId, until: '1d', reason: 'x' };
    expect((await h.post('/api/v1/acceptances', body, null)).status).toBe(401);
    const forbidden = await h.post<Problem>('/api/v1/acceptances', body, INGEST_TOKEN);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toBe('Token "agent" lacks scope "admin".');
    expect(await listAcceptances('?all=true')).toEqual([]);
  });

  it.each([
    [{ until: '1d', reason: 'x' }, 'instanceId: name an instanceId, a rule, or both'],
    [{ instanceId: 'i-nope', until: '1d', reason: 'x' }, 'instanceId: must be an EC2 instance id'],
    [{ rule: 'tag-drift', reason: 'x' }, 'until: required'],
    [{ rule: 'tag-drift', until: '2020-01-01', reason: 'x' }, 'until: must be in the future'],
    [{ rule: 'tag-drift', until: '400d', reason: 'x' }, 'until: must be at most 365 days ahead'],
    [{ rule: 'tag-drift', until: 'soon', reason: 'x' }, 'until: "soon" is neither a duration'],
    [{ rule: 'tag-drift', until: '1d', reason: '   ' }, 'reason: a reason is required'],
    [{ rule: 'tag-drift', until: '1d' }, 'reason: required'],
    [{ rule: 'tag-drift', until: '1d', reason: 'x', scope: 'all' }, 'scope'],
  ])('refuses %j with a 400 problem naming the field', async (body, message) => {
    const response = await h.post<Problem>('/api/v1/acceptances', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.errors?.join('\n')).toContain(message);
    expect(await listAcceptances('?all=true')).toEqual([]);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await fetch(`${h.url}/api/v1/acceptances`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: 'Bearer test-admin-token-0123456789abcdef' },
      body: 'instanceId=i-1',
    });
    expect(response.status).toBe(415);
  });
});

describe('accepting, then revoking, drift on an instance', () => {
  let acceptance: Acceptance;

  it('stores the acceptance with the token name as author, and lists it', async () => {
    const response = await h.post<Acceptance>('/api/v1/acceptances', {
      instanceId: drifted.instanceId,
      until: '2d',
      reason: 'IMDSv1 for a vendor agent, CHG-9',
    });
    expect(response.status).toBe(201);
    acceptance = response.body;
    expect(acceptance).toEqual({
      id: expect.any(Number) as unknown,
      instanceId: drifted.instanceId,
      rule: null,
      reason: 'IMDSv1 for a vendor agent, CHG-9',
      until: expect.stringMatching(/Z$/) as unknown,
      createdBy: 'admin',
      createdAt: expect.any(String) as unknown,
      revokedAt: null,
      revokedBy: null,
    });
    expect(Date.parse(acceptance.until) - Date.parse(acceptance.createdAt)).toBe(2 * 86_400_000);
    expect(await listAcceptances()).toEqual([acceptance]);
    expect(await listAcceptances(`?instanceId=${drifted.instanceId}`)).toEqual([acceptance]);
    expect(await listAcceptances('?instanceId=i-00000000')).toEqual([]);
    expect(h.logs.find((l) => l.msg === 'drift accepted; takes effect at the next scan')).toMatchObject({
      acceptanceId: acceptance.id,
      instanceId: drifted.instanceId,
      by: 'admin',
    });
  });

  it('changes nothing until the next scan', async () => {
    expect((await openFindings()).map((f) => f.accepted)).toEqual([false]);
  });

  it('reports the drift as accepted from the next scan: instance compliant, drift metrics clear', async () => {
    const scan = await h.scan();
    expect(scan.instances.drifted).toBe(0);
    expect(scan.findings).toMatchObject([{ instanceId: drifted.instanceId, accepted: true }]);

    const [finding] = await openFindings();
    expect(finding).toMatchObject({
      rule: 'imds-downgrade',
      accepted: true,
      acceptance: {
        id: acceptance.id,
        reason: acceptance.reason,
        until: acceptance.until,
        createdBy: 'admin',
      },
    });
    const { body } = await h.get<{ instance: StoredInstance; findings: StoredFinding[] }>(
      `/api/v1/instances/${drifted.instanceId}`,
    );
    expect(body.instance.status).toBe('compliant');
    expect(body.findings.map((f) => f.acceptance?.id)).toEqual([acceptance.id]);

    const metrics = await h.metrics();
    expect(metricValue(metrics, 'driftwarden_instances', { state: 'drifted' })).toBe(0);
    expect(metricSum(metrics, 'driftwarden_findings', { rule: 'imds-downgrade' })).toBe(0);
    expect(
      metricValue(metrics, 'driftwarden_instance_drift', { instance_id: drifted.instanceId }),
    ).toBeUndefined();
  });

  it('revokes it (idempotently), lists it only with ?all=true, and the next scan reports drift again', async () => {
    const path = `/api/v1/acceptances/${acceptance.id}/revoke`;
    expect((await h.post(path, undefined, null)).status).toBe(401);
    const revoked = await h.post<Acceptance>(path, undefined);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      id: acceptance.id,
      revokedBy: 'admin',
      revokedAt: expect.any(String) as unknown,
    });
    expect((await h.post<Acceptance>(path, undefined)).body).toEqual(revoked.body);

    expect(await listAcceptances()).toEqual([]);
    expect(await listAcceptances('?all=true')).toEqual([revoked.body]);

    const scan = await h.scan();
    expect(scan.instances.drifted).toBe(1);
    expect((await openFindings()).map((f) => [f.accepted, f.acceptance])).toEqual([[false, null]]);
    expect(metricValue(await h.metrics(), 'driftwarden_instances', { state: 'drifted' })).toBe(1);
  });

  it('answers 404 for an unknown acceptance and 400 for an id that is not one', async () => {
    const unknown = await h.post<Problem>('/api/v1/acceptances/9999/revoke', undefined);
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe('no acceptance 9999');
    const bad = await h.post<Problem>('/api/v1/acceptances/abc/revoke', undefined);
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]).toMatch(/^id: /);
  });
});

describe('a rule-wide acceptance', () => {
  it('covers that rule on every instance, and not other rules', async () => {
    const other = h.sim.fleet
      .allInstances()
      .filter((i) => i.state === 'running' && i.channel !== null && i.instanceId !== drifted.instanceId)[0]!;
    await h.control.drift(other.instanceId, { httpTokens: 'optional', tags: { role: null } });
    const added = await h.post<Acceptance>('/api/v1/acceptances', {
      rule: 'imds-downgrade',
      until: new Date(Date.now() + 86_400_000).toISOString(),
      reason: 'fleet-wide IMDSv1 exception',
    });
    expect(added.status).toBe(201);
    const scan = await h.scan();
    expect(scan.findings.map((f) => [f.instanceId, f.rule, f.accepted]).sort()).toEqual(
      [
        [drifted.instanceId, 'imds-downgrade', true],
        [other.instanceId, 'imds-downgrade', true],
        [other.instanceId, 'required-tags', false],
      ].sort(),
    );
    expect(scan.instances.drifted).toBe(1);
  });
});
