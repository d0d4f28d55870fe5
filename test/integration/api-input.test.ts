// Bad input to the v1 API is refused as problem+json that says what is wrong, and stores nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, INGEST_TOKEN, startHarness, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ instances: 12, seed: 5, env: { DRIFTWARDEN_HTTP_BODY_LIMIT: '16kb' } });
  await h.scan();
});
afterAll(async () => {
  await h.close();
});

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: string[];
}

interface ManifestList {
  items: { manifest: { image: { id: string } }; digest: string; status: string }[];
}

const NEW_IMAGE = 'ami-0feedface0000001a';

function nativeManifest(overrides: { launch?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    image: { id: NEW_IMAGE, region: 'us-east-1', name: 'web-test', channel: 'web-test' },
    launch: { instanceType: ['t3.small'], metadataOptions: { httpTokens: 'required' }, ...overrides.launch },
  };
}

/** Sends raw text, so malformed JSON reaches the server as written. */
async function postText(
  path: string,
  text: string,
  token: string,
): Promise<{ status: number; body: Problem; contentType: string }> {
  const response = await fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: text,
  });
  return {
    status: response.status,
    body: (await response.json()) as Problem,
    contentType: response.headers.get('content-type') ?? '',
  };
}

function expectProblem(
  response: { status: number; body: unknown; headers?: Headers; contentType?: string },
  status: number,
): Problem {
  const contentType = response.contentType ?? response.headers?.get('content-type') ?? '';
  expect(contentType).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  expect(problem).toMatchObject({
    type: expect.any(String) as unknown,
    title: expect.any(String) as unknown,
    status,
  });
  expect(response.status).toBe(status);
  expect(typeof problem.detail).toBe('string');
  return problem;
}

async function manifestIds(): Promise<string[]> {
  const { body } = await h.get<ManifestList>('/api/v1/manifests');
  return body.items.map((m) => m.manifest.image.id).sort();
}

describe('POST /api/v1/manifests with bad input', () => {
  let before: string[];
  beforeAll(async () => {
    before = await manifestIds();
    expect(before).not.toContain(NEW_IMAGE);
  });

  it('refuses malformed JSON with 400 naming the syntax problem, and stores nothing', async () => {
    const response = await postText('/api/v1/manifests', '{"schemaVersion": 1, "image": {', ADMIN_TOKEN);
    const problem = expectProblem(response, 400);
    expect(problem.title).toBe('Malformed JSON');
    expect(problem.detail).toBe(
      'invalid JSON at line 1, column 32: unexpected end of input, expected a property name in double quotes',
    );
    expect(await manifestIds()).toEqual(before);
  });

  it('refuses a key repeated in one object with 400 naming the key and its line, and stores nothing', async () => {
    const text = JSON.stringify(nativeManifest(), null, 2).replace(
      '"region": "us-east-1",',
      '"region": "us-east-1",\n    "region": "eu-west-1",',
    );
    const problem = expectProblem(await postText('/api/v1/manifests', text, ADMIN_TOKEN), 400);
    expect(problem.errors).toEqual(['request body:6:5: duplicate key "region" (first on line 5)']);
    expect(await manifestIds()).toEqual(before);
  });

  it('refuses a body that is not declared as JSON with 415 instead of calling it missing', async () => {
    const response = await fetch(`${h.url}/api/v1/manifests`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify(nativeManifest()),
    });
    const problem = expectProblem(
      { status: response.status, body: await response.json(), headers: response.headers },
      415,
    );
    expect(problem.detail).toContain('application/json');
    expect(await manifestIds()).toEqual(before);
  });

  it('refuses a manifest without image.id with 400 naming image.id', async () => {
    const body = nativeManifest();
    delete (body.image as Record<string, unknown>).id;
    const problem = expectProblem(await h.post('/api/v1/manifests', body), 400);
    expect(problem.errors).toEqual(['request body: image.id: required (expected string)']);
    expect(await manifestIds()).toEqual(before);
  });

  it('refuses a value of the wrong type with 400 naming its path', async () => {
    const problem = expectProblem(
      await h.post('/api/v1/manifests', nativeManifest({ launch: { instanceType: 5 } })),
      400,
    );
    expect(problem.errors).toEqual([expect.stringContaining('launch.instanceType')]);
    expect(await manifestIds()).toEqual(before);
  });

  it('refuses an unknown key with 400 naming the key', async () => {
    const problem = expectProblem(
      await h.post('/api/v1/manifests', { ...nativeManifest(), lanuch: { instanceType: 't3.small' } }),
      400,
    );
    expect(problem.errors).toEqual([expect.stringMatching(/lanuch.*unknown key/)]);
    expect(await manifestIds()).toEqual(before);
  });

  it('refuses a body that is not an object (e.g. a JSON array) with 400', async () => {
    expectProblem(await h.post('/api/v1/manifests', [nativeManifest()]), 400);
    expect(await manifestIds()).toEqual(before);
  });
});

describe('manifests are immutable once stored', () => {
  it('creates a new manifest (201), answers an identical re-import with 200 unchanged', async () => {
    const created = await h.post<{ items: { imageId: string; outcome: string }[] }>(
      '/api/v1/manifests',
      nativeManifest(),
    );
    expect(created.status).toBe(201);
    expect(created.body.items).toEqual([{ imageId: NEW_IMAGE, region: 'us-east-1', outcome: 'created' }]);

    const again = await h.post<{ items: { outcome: string }[] }>('/api/v1/manifests', nativeManifest());
    expect(again.status).toBe(200);
    expect(again.body.items).toEqual([{ imageId: NEW_IMAGE, region: 'us-east-1', outcome: 'unchanged' }]);
  });

  it('refuses the same image with a different body with 409 and keeps the stored manifest', async () => {
    const stored = await h.get<{ digest: string; manifest: unknown }>(`/api/v1/manifests/${NEW_IMAGE}`);
    expect(stored.status).toBe(200);

    const conflict = await h.post(
      '/api/v1/manifests',
      nativeManifest({ launch: { instanceType: ['m5.24xlarge'] } }),
    );
    const problem = expectProblem(conflict, 409);
    expect(problem.detail).toContain(NEW_IMAGE);

    const after = await h.get<{ digest: string; manifest: unknown }>(`/api/v1/manifests/${NEW_IMAGE}`);
    expect(after.body.digest).toBe(stored.body.digest);
    expect(after.body.manifest).toEqual(stored.body.manifest);
  });

  it('answers a revoke of an unknown image with 404', async () => {
    const problem = expectProblem(
      await h.post('/api/v1/manifests/ami-0000000000000dead/revoke', { reason: 'CVE-2026-0002' }),
      404,
    );
    expect(problem.detail).toContain('ami-0000000000000dead');
  });

  it('refuses a revoke without a reason with 400 naming reason, and leaves the manifest active', async () => {
    for (const body of [{}, { reason: '   ' }]) {
      const problem = expectProblem(await h.post(`/api/v1/manifests/${NEW_IMAGE}/revoke`, body), 400);
      expect(problem.errors).toEqual([expect.stringMatching(/^reason: /)]);
    }
    const after = await h.get<{ status: string; revokedAt: string | null }>(`/api/v1/manifests/${NEW_IMAGE}`);
    expect(after.body).toMatchObject({ status: 'active', revokedAt: null });
  });
});

describe('POST /api/v1/fingerprints with bad input', () => {
  let instanceId: string;
  let baseline: unknown;

  const push = (body: unknown) => h.post('/api/v1/fingerprints', body, INGEST_TOKEN);
  const hostOf = async () => (await h.get<{ host: unknown }>(`/api/v1/instances/${instanceId}`)).body.host;

  beforeAll(async () => {
    const instance = h.sim.fleet.allInstances().find((i) => i.state === 'running');
    if (!instance) throw new Error('no running instance');
    instanceId = instance.instanceId;
    const accepted = await push({
      instanceId,
      observedAt: new Date(Date.now() - 60_000).toISOString(),
      host: instance.host,
    });
    expect(accepted.status).toBe(202);
    baseline = await hostOf();
    expect(baseline).toMatchObject({ instanceId, source: 'agent', host: instance.host });
  });

  const valid = () => ({
    instanceId,
    observedAt: new Date().toISOString(),
    host: { packages: { openssl: '3.0.99-hotfix' } },
  });

  it('refuses a body over http.bodyLimit with 413', async () => {
    const packages: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) packages[`package-${i}`] = '1.0.0-1';
    const body = { ...valid(), host: { packages } };
    expect(JSON.stringify(body).length).toBeGreaterThan(16 * 1024);
    expectProblem(await push(body), 413);
    expect(await hostOf()).toEqual(baseline);
  });

  it('refuses malformed JSON with 400', async () => {
    const response = await postText(
      '/api/v1/fingerprints',
      `{"instanceId": "${instanceId}",,}`,
      INGEST_TOKEN,
    );
    expectProblem(response, 400);
    expect(await hostOf()).toEqual(baseline);
  });

  const invalid: [string, (v: ReturnType<typeof valid>) => unknown, string][] = [
    [
      'a malformed instance id',
      (v) => ({ ...v, instanceId: 'web-01' }),
      'instanceId: must be an EC2 instance id',
    ],
    ['a missing observedAt', ({ observedAt: _, ...rest }) => rest, 'observedAt: required'],
    ['an observedAt that is not a date-time', (v) => ({ ...v, observedAt: 'yesterday' }), 'observedAt:'],
    [
      'a package version that is a number',
      (v) => ({ ...v, host: { packages: { openssl: 3 } } }),
      'host.packages.openssl:',
    ],
    [
      'a file that is not an absolute path',
      (v) => ({ ...v, host: { files: { 'etc/x': { mode: '0644' } } } }),
      'host.files["etc/x"]: invalid key: expected an absolute path',
    ],
    ['an unknown host section', (v) => ({ ...v, host: { kernel: '6.1' } }), 'host.kernel: unknown key'],
    ['an unknown top-level key', (v) => ({ ...v, hostname: 'web-01' }), 'hostname: unknown key'],
  ];
  for (const [name, mutate, field] of invalid) {
    it(`refuses ${name} with 400 naming ${field}`, async () => {
      const problem = expectProblem(await push(mutate(valid())), 400);
      expect(problem.errors).toEqual([expect.stringContaining(field)]);
      expect(await hostOf()).toEqual(baseline);
    });
  }

  it('answers an instance no scan has seen with 404', async () => {
    const problem = expectProblem(await push({ ...valid(), instanceId: 'i-0123456789abcdef0' }), 404);
    expect(problem.detail).toContain('i-0123456789abcdef0');
    expect(await hostOf()).toEqual(baseline);
  });

  it('refuses an observedAt in the future with 400', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const problem = expectProblem(await push({ ...valid(), observedAt: future }), 400);
    expect(problem.detail).toContain('future');
    expect(await hostOf()).toEqual(baseline);
  });
});

describe('routes and queries', () => {
  it('answers an unknown route with 404 problem+json', async () => {
    for (const path of ['/api/v1/nope', '/nope', '/api/v2/instances']) {
      const problem = expectProblem(await h.get(path), 404);
      expect(problem.detail).toContain(path);
    }
  });

  it('answers an unknown instance with 404 problem+json', async () => {
    const problem = expectProblem(await h.get('/api/v1/instances/i-doesnotexist'), 404);
    expect(problem.detail).toContain('i-doesnotexist');
  });

  it.each([
    ['/api/v1/instances?status=bogus', 'status'],
    ['/api/v1/instances?limit=0', 'limit'],
    ['/api/v1/instances?limit=abc', 'limit'],
    ['/api/v1/instances?offset=-1', 'offset'],
    ['/api/v1/findings?severity=fatal', 'severity'],
    ['/api/v1/findings?includeResolved=yes', 'includeResolved'],
  ])('refuses %s with 400 naming %s', async (path, parameter) => {
    const problem = expectProblem(await h.get(path), 400);
    expect(problem.errors).toEqual([expect.stringContaining(parameter)]);
  });

  it('serves good queries', async () => {
    const listed = await h.get<{ items: unknown[]; limit: number }>(
      '/api/v1/instances?status=compliant&limit=5',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(5);
    expect(listed.body.limit).toBe(5);
  });
});
