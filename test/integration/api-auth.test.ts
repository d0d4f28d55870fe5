// Write endpoints need a bearer token with the right scope; a refused request changes nothing. Reads are open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, INGEST_TOKEN, SCAN_TOKEN, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let instanceId: string;
let imageId: string;

beforeAll(async () => {
  h = await startHarness({ instances: 12, seed: 9 });
  await h.scan();
  const instance = h.sim.fleet.allInstances().find((i) => i.state === 'running' && i.channel !== null);
  if (!instance) throw new Error('no running instance');
  instanceId = instance.instanceId;
  imageId = instance.imageId;
});
afterAll(async () => {
  await h.close();
});

interface Problem {
  title: string;
  status: number;
  detail: string;
}

/** Everything a write could have changed, read through the API. */
async function state(): Promise<unknown> {
  const [scans, manifests, instance] = await Promise.all([
    h.get<{ items: unknown[] }>('/api/v1/scans'),
    h.get<{ items: unknown[] }>('/api/v1/manifests'),
    h.get<{ host: unknown }>(`/api/v1/instances/${instanceId}`),
  ]);
  return { scans: scans.body.items, manifests: manifests.body.items, host: instance.body.host };
}

interface WriteEndpoint {
  path: () => string;
  body: () => unknown;
  scope: string;
  /** A valid token whose scopes do not include `scope`. */
  lacking: string;
}

const ENDPOINTS: Record<string, WriteEndpoint> = {
  'POST /api/v1/scans': {
    path: () => '/api/v1/scans?wait=true',
    body: () => undefined,
    scope: 'scan',
    lacking: INGEST_TOKEN,
  },
  'POST /api/v1/manifests': {
    path: () => '/api/v1/manifests',
    body: () => ({ schemaVersion: 1, image: { id: 'ami-0abcabcabc0000001', region: 'us-east-1' } }),
    scope: 'manifests',
    lacking: INGEST_TOKEN,
  },
  'POST /api/v1/manifests/{imageId}/revoke': {
    path: () => `/api/v1/manifests/${imageId}/revoke`,
    body: () => ({ reason: 'not allowed' }),
    scope: 'manifests',
    lacking: SCAN_TOKEN,
  },
  'POST /api/v1/fingerprints': {
    path: () => '/api/v1/fingerprints',
    body: () => ({
      instanceId,
      observedAt: new Date().toISOString(),
      host: { packages: { openssl: '0.0.1-evil' } },
    }),
    scope: 'ingest',
    lacking: SCAN_TOKEN,
  },
};

async function send(endpoint: WriteEndpoint, authorization: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== null) headers.authorization = authorization;
  const body = endpoint.body();
  const response = await fetch(`${h.url}${endpoint.path()}`, {
    method: 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    wwwAuthenticate: response.headers.get('www-authenticate'),
    body: (await response.json()) as Problem,
  };
}

describe.each(Object.entries(ENDPOINTS))('%s', (_name, endpoint) => {
  it('without a token: 401 with WWW-Authenticate naming the scope, nothing stored', async () => {
    const before = await state();
    const response = await send(endpoint, null);
    expect(response.status).toBe(401);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.wwwAuthenticate).toMatch(/^Bearer /);
    expect(response.wwwAuthenticate).toContain(`scope="${endpoint.scope}"`);
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(response.body.detail).toContain(endpoint.scope);
    expect(await state()).toEqual(before);
  });

  it.each([
    ['a Basic credential', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
    ['"Bearer" without a token', 'Bearer'],
    ['a bare token without the scheme', ADMIN_TOKEN],
    ['a token with spaces in it', `Bearer ${ADMIN_TOKEN} extra`],
  ])('with a malformed header (%s): 401, nothing stored', async (_kind, header) => {
    const before = await state();
    const response = await send(endpoint, header);
    expect(response.status).toBe(401);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.wwwAuthenticate).toMatch(/^Bearer /);
    expect(await state()).toEqual(before);
  });

  it('with a wrong token: 401 invalid_token, nothing stored', async () => {
    const before = await state();
    const response = await send(endpoint, `Bearer ${ADMIN_TOKEN}-but-wrong`);
    expect(response.status).toBe(401);
    expect(response.wwwAuthenticate).toContain('error="invalid_token"');
    expect(response.body.detail).toBe('The bearer token is not valid.');
    expect(await state()).toEqual(before);
  });

  it('with a valid token lacking the scope: 403 naming the scope, nothing stored', async () => {
    const before = await state();
    const response = await send(endpoint, `Bearer ${endpoint.lacking}`);
    expect(response.status).toBe(403);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(response.body.detail).toContain(`scope "${endpoint.scope}"`);
    expect(await state()).toEqual(before);
  });
});

describe('tokens with the right scope', () => {
  it('accepts the scan token on POST /scans and the ingest token on POST /fingerprints', async () => {
    const scan = await send(ENDPOINTS['POST /api/v1/scans'] as WriteEndpoint, `bearer ${SCAN_TOKEN}`);
    expect(scan.status).toBe(200);
    const push = await send(
      ENDPOINTS['POST /api/v1/fingerprints'] as WriteEndpoint,
      `Bearer ${INGEST_TOKEN}`,
    );
    expect(push.status).toBe(202);
  });
});

describe('read endpoints', () => {
  it.each([
    '/healthz',
    '/readyz',
    '/metrics',
    '/api/v1/instances',
    '/api/v1/findings',
    '/api/v1/scans',
    '/api/v1/manifests',
  ])('GET %s needs no token', async (path) => {
    const response = await h.get(path);
    expect(response.status).toBe(200);
  });
});
