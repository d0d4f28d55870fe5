// Contract test: every route of the table is called on a running daemon, and each answer (status, content type, body) is one the OpenAPI document lists.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_PREFIX, API_ROUTES, type ApiRoute } from '../../src/http/api-route-table.js';
import { problemSchema } from '../../src/http/api-schemas.js';
import { FANNED_OUT_HEADER } from '../../src/http/fan-out.js';
import { openApiDocument, openApiPath } from '../../src/http/openapi.js';
import { openStore } from '../../src/store/index.js';
import { ADMIN_TOKEN, INGEST_TOKEN, SCAN_TOKEN, startHarness, type Harness } from '../support/harness.js';
import { jsonSchemaErrors } from '../support/json-schema-check.js';
import { mountedRoutes } from '../support/mounted-routes.js';
import {
  FAST_LIFECYCLE,
  jobs,
  remediationEnv,
  runningStandalone,
  waitUntil,
} from '../support/remediation.js';
import { storeApp } from '../support/store-server.js';

const document = openApiDocument();
const routeName = (r: Pick<ApiRoute, 'method' | 'path'>): string => `${r.method.toUpperCase()} ${r.path}`;

/** The statuses each route answered in this test, by `METHOD /path` (table path syntax). */
const answered = new Map<string, Set<number>>();

let h: Harness;

beforeAll(async () => {
  // Enforce mode with rules due at once: replacements run, and instance-type drift waits for approval.
  h = await startHarness({ instances: 12, seed: 5, lifecycle: FAST_LIFECYCLE, env: remediationEnv() });
  await h.scan();
});
afterAll(async () => {
  await h.close();
});

interface CallOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as is (not JSON-encoded) with this content type. */
  raw?: { text: string; contentType: string };
  token?: string;
  headers?: Record<string, string>;
}

/**
 * Calls one route and checks the answer against the document: its status is one the operation
 * lists, its content type is that response's media type, and its body fits that response's JSON
 * Schema in the document (strictly: a field the document does not list fails).
 */
async function call(
  method: ApiRoute['method'],
  path: string,
  params: Record<string, string>,
  options: CallOptions = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const route = API_ROUTES.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`${method.toUpperCase()} ${path} is not in the route table`);
  const url = new URL(
    API_PREFIX + path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? '')),
    h.url,
  );
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw) {
    headers['content-type'] = options.raw.contentType;
    body = options.raw.text;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(url, { method: method.toUpperCase(), headers, ...(body ? { body } : {}) });
  const text = await response.text();
  const where = `${method.toUpperCase()} ${url.pathname}${url.search} → ${response.status} ${text.slice(0, 300)}`;

  const documented = documentedResponses(route)[String(response.status)];
  expect(documented, `${where}: status not in the document`).toBeDefined();
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
  const content = documented?.content ?? {};
  expect(Object.keys(content), `${where}: content type`).toEqual([mediaType]);

  const parsed: unknown = JSON.parse(text);
  const schema = z.object({ schema: z.record(z.string(), z.unknown()) }).parse(content[mediaType]).schema;
  expect(jsonSchemaErrors(schema, parsed, document), `${where}: body does not fit the document`).toEqual([]);
  // The zod schema it was generated from also holds what JSON Schema cannot say (refinements).
  const success = route.responses[response.status];
  const result = success ? success.schema.safeParse(parsed) : problemSchema.safeParse(parsed);
  expect(result.error?.issues ?? [], `${where}: body does not fit its zod schema`).toEqual([]);
  if (!success) expect(parsed, where).toMatchObject({ status: response.status });

  const statuses = answered.get(routeName(route)) ?? new Set<number>();
  answered.set(routeName(route), statuses.add(response.status));
  return { status: response.status, body: parsed, headers: response.headers };
}

const operationSchema = z.object({
  responses: z.record(z.string(), z.object({ content: z.record(z.string(), z.unknown()).optional() })),
});

/** The operation's responses in the document (not the table), keyed by status. */
function documentedResponses(route: ApiRoute): z.infer<typeof operationSchema>['responses'] {
  return operationSchema.parse(document.paths[openApiPath(route.path)]?.[route.method]).responses;
}

interface Page<T> {
  items: T[];
}

describe('every route against the OpenAPI document', () => {
  it('serves the document the generator produces, without a token', async () => {
    const { body } = await call('get', '/openapi.json', {});
    expect(body).toEqual(document);
  });

  it('fleet reads: instances, one instance, its section findings and history, findings, manifest mismatches', async () => {
    const list = await call('get', '/instances', {}, { query: { limit: '5' } });
    expect(list.status).toBe(200);
    const [first] = (list.body as Page<{ instanceId: string }>).items;
    const id = first!.instanceId;
    expect((await call('get', '/instances', {}, { query: { status: 'bad' } })).status).toBe(400);

    expect((await call('get', '/instances/:id', { id })).status).toBe(200);
    expect((await call('get', '/instances/:id', { id: 'i-0000000000000dead' })).status).toBe(404);

    expect(
      (await call('get', '/instances/:id/findings', { id }, { query: { section: 'launch' } })).status,
    ).toBe(200);
    expect((await call('get', '/instances/:id/findings', { id })).status).toBe(400);

    expect((await call('get', '/instances/:id/history', { id })).status).toBe(200);
    expect((await call('get', '/instances/:id/history', { id: 'i-0000000000000dead' })).status).toBe(404);

    expect((await call('get', '/findings', {}, { query: { includeResolved: 'true' } })).status).toBe(200);
    expect((await call('get', '/findings', {}, { query: { offset: '10' } })).status).toBe(400);

    // Entries are checked in test/integration/peer-consensus.test.ts, which has a fleet-wide cause.
    expect((await call('get', '/manifest-mismatches', {}, { query: { limit: '5' } })).status).toBe(200);
    expect((await call('get', '/manifest-mismatches', {}, { query: { cursor: 'x' } })).status).toBe(400);
  });

  it('scans: trigger, wait, list, one', async () => {
    expect((await call('post', '/scans', {})).status).toBe(401);
    expect((await call('post', '/scans', {}, { token: INGEST_TOKEN })).status).toBe(403);
    expect((await call('post', '/scans', {}, { token: SCAN_TOKEN })).status).toBe(202);
    const report = await call('post', '/scans', {}, { token: SCAN_TOKEN, query: { wait: 'true' } });
    expect(report.status).toBe(200);

    expect((await call('get', '/scans', {})).status).toBe(200);
    expect((await call('get', '/scans', {}, { query: { limit: '0' } })).status).toBe(400);
    const scanId = (report.body as { scanId: string }).scanId;
    expect((await call('get', '/scans/:id', { id: scanId })).status).toBe(200);
    expect((await call('get', '/scans/:id', { id: 'no-such-scan' })).status).toBe(404);
  });

  it('manifests: import (created, unchanged, refused), list, one, revoke', async () => {
    const manifest = await h.addImage({ region: 'us-east-1', channel: 'contract' });
    expect((await call('post', '/manifests', {}, { token: ADMIN_TOKEN, body: manifest })).status).toBe(201);
    expect((await call('post', '/manifests', {}, { token: ADMIN_TOKEN, body: manifest })).status).toBe(200);
    const conflicting = { ...manifest, launch: { instanceType: 'x1.32xlarge' } };
    expect((await call('post', '/manifests', {}, { token: ADMIN_TOKEN, body: conflicting })).status).toBe(
      409,
    );
    const asText = { text: JSON.stringify(manifest), contentType: 'text/plain' };
    expect((await call('post', '/manifests', {}, { token: ADMIN_TOKEN, raw: asText })).status).toBe(415);

    expect((await call('get', '/manifests', {})).status).toBe(200);
    expect((await call('get', '/manifests', {}, { query: { cursor: 'not-a-cursor' } })).status).toBe(400);
    const imageId = manifest.image.id;
    expect((await call('get', '/manifests/:imageId', { imageId })).status).toBe(200);
    expect((await call('get', '/manifests/:imageId', { imageId: 'ami-00000000000000000' })).status).toBe(404);

    const revoke = { token: ADMIN_TOKEN, body: { reason: 'contract test' } };
    expect((await call('post', '/manifests/:imageId/revoke', { imageId }, revoke)).status).toBe(200);
    expect(
      (await call('post', '/manifests/:imageId/revoke', { imageId }, { ...revoke, body: {} })).status,
    ).toBe(400);
  });

  it('fingerprints: accepted for a seen instance, 404 for an unseen one', async () => {
    const [instanceId] = runningStandalone(h, 1);
    const push = (id: string) => ({
      token: INGEST_TOKEN,
      body: {
        instanceId: id,
        observedAt: new Date().toISOString(),
        host: { packages: { openssl: '3.0.15' } },
      },
    });
    expect((await call('post', '/fingerprints', {}, push(instanceId!))).status).toBe(202);
    // The instance now shows the pushed observation: `host` and `hosts` are checked against the document too.
    const { body } = await call('get', '/instances/:id', { id: instanceId! });
    expect(body).toMatchObject({ host: { source: 'agent', host: { packages: { openssl: '3.0.15' } } } });
    expect((await call('post', '/fingerprints', {}, push('i-0000000000000dead'))).status).toBe(404);
  });

  it('acceptances: add, list, revoke', async () => {
    const added = await call(
      'post',
      '/acceptances',
      {},
      { token: ADMIN_TOKEN, body: { rule: 'required-tags', until: '7d', reason: 'contract test' } },
    );
    expect(added.status).toBe(201);
    const bad = { token: ADMIN_TOKEN, body: { until: '7d', reason: 'names nothing' } };
    expect((await call('post', '/acceptances', {}, bad)).status).toBe(400);

    expect((await call('get', '/acceptances', {}, { query: { all: 'true' } })).status).toBe(200);
    expect((await call('get', '/acceptances', {}, { query: { all: 'yes' } })).status).toBe(400);

    const id = String((added.body as { id: number }).id);
    expect((await call('post', '/acceptances/:id/revoke', { id }, { token: ADMIN_TOKEN })).status).toBe(200);
    expect(
      (await call('post', '/acceptances/:id/revoke', { id: '999999' }, { token: ADMIN_TOKEN })).status,
    ).toBe(404);
  });

  it('replacements and remediation: list, one, approve, cancel, pause, resume, waiting, audit', async () => {
    const [approveId, cancelId, replaceId] = h.sim.fleet
      .allInstances()
      .filter((i) => i.state === 'running' && i.channel !== null)
      .map((i) => i.instanceId);
    for (const id of [approveId!, cancelId!]) await h.control.drift(id, { instanceType: 'm5.24xlarge' });
    await h.control.drift(replaceId!, { httpTokens: 'optional' });
    await h.scan();
    const all = await waitUntil('the three jobs', async () => {
      const found = await jobs(h);
      return found.length >= 3 ? found : undefined;
    });
    const jobOf = (instanceId: string) => all.find((j) => j.instanceId === instanceId)!.jobId;

    expect((await call('get', '/replacements', {})).status).toBe(200);
    expect((await call('get', '/replacements', {}, { query: { state: 'sleeping' } })).status).toBe(400);
    expect((await call('get', '/replacements/:id', { id: jobOf(replaceId!) })).status).toBe(200);
    expect((await call('get', '/replacements/:id', { id: 'no-such-job' })).status).toBe(404);

    const approve = jobOf(approveId!);
    expect(
      (await call('post', '/replacements/:id/approve', { id: approve }, { token: ADMIN_TOKEN })).status,
    ).toBe(200);
    expect(
      (await call('post', '/replacements/:id/approve', { id: approve }, { token: ADMIN_TOKEN })).status,
    ).toBe(409);

    const cancel = jobOf(cancelId!);
    const reason = { token: ADMIN_TOKEN, body: { reason: 'contract test' } };
    expect((await call('post', '/replacements/:id/cancel', { id: cancel }, reason)).status).toBe(200);
    expect((await call('post', '/replacements/:id/cancel', { id: cancel }, reason)).status).toBe(409);

    expect((await call('get', '/remediation', {})).status).toBe(200);
    expect((await call('get', '/remediation/waiting', {})).status).toBe(200);
    expect((await call('get', '/remediation/waiting', {}, { query: { limit: '1001' } })).status).toBe(400);

    expect((await call('post', '/remediation/pause', {}, reason)).status).toBe(200);
    expect((await call('post', '/remediation/pause', {}, reason)).status).toBe(409);
    expect((await call('post', '/remediation/resume', {}, { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await call('post', '/remediation/resume', {}, { token: ADMIN_TOKEN })).status).toBe(409);

    expect((await call('get', '/audit', {}, { query: { jobId: approve } })).status).toBe(200);
    expect((await call('get', '/audit', {}, { query: { afterId: '-1' } })).status).toBe(400);
  });

  it("fleet view: summary, targets, merged findings, a peer's own page, this shard's report", async () => {
    const summary = await call('get', '/fleet/summary', {});
    expect(summary.body).toMatchObject({ shardCount: 1, shards: [{ shard: 0, answered: true }], peers: [] });
    expect((await call('get', '/fleet/targets', {})).body).toMatchObject({ shardCount: 1, peers: [] });
    expect((await call('get', '/fleet/shard', {})).body).toMatchObject({ shard: 0 });

    const merged = await call('get', '/fleet/findings', {}, { query: { limit: '2' } });
    expect(merged.body).toMatchObject({ limit: 2, shards: [{ shard: 0, answered: true }], peers: [] });
    // The drift of the test above is on the page, so each finding is checked against FleetFinding.
    expect((merged.body as Page<{ shard: number }>).items.map((f) => f.shard)).toEqual([0, 0]);
    const own = await call('get', '/fleet/findings', {}, { headers: { [FANNED_OUT_HEADER]: '1' } });
    expect(own.body).toMatchObject({ shard: 0 });
    expect((await call('get', '/fleet/findings', {}, { query: { offset: '10' } })).status).toBe(400);
  });
});

describe('coverage', () => {
  it('called every route of the table, with a success and, where the route has one, a problem', () => {
    const missing = API_ROUTES.flatMap((route) => {
      const statuses = [...(answered.get(routeName(route)) ?? [])];
      return [
        ...(statuses.some((s) => s < 300) ? [] : [`${routeName(route)}: no success`]),
        ...(route.errors.length === 0 || statuses.some((s) => s >= 400)
          ? []
          : [`${routeName(route)}: no problem`]),
      ];
    });
    expect(missing).toEqual([]);
  });

  it('the route table is exactly what express mounts under /api/v1 (an undocumented route fails)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-openapi-'));
    const store = openStore(join(dir, 'driftwarden.db'), { now: () => new Date() });
    try {
      const mounted = mountedRoutes(storeApp(store, () => new Date())).filter((r) =>
        r.split(' ')[1]!.startsWith(`${API_PREFIX}/`),
      );
      expect(mounted).toEqual(
        API_ROUTES.map((r) => `${r.method.toUpperCase()} ${API_PREFIX}${r.path}`).sort(),
      );
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
