// Adversarial: 2,000 random requests over every route of a spawned daemon never get a 5xx, never write
// without the route's scope, and leave the daemon answering /healthz.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../../src/package-root.js';
import { spawnServe, type ServeProcess } from '../../support/serve-process.js';
import { SUMMARY } from '../../support/summary-reporter.js';
import { routeTable, type RouteEntry } from './route-table.js';
import { adversarialSeed } from './seed.js';

const REQUESTS = 2_000;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const TOKENS = [
  { name: 'admin', token: 'fuzz-admin-token-0123456789abcdef', scopes: ['admin'] },
  { name: 'agent', token: 'fuzz-ingest-token-0123456789abcdef', scopes: ['ingest'] },
  { name: 'ci', token: 'fuzz-scan-token-0123456789abcdef', scopes: ['scan'] },
  { name: 'packer', token: 'fuzz-manifests-token-0123456789abcd', scopes: ['manifests'] },
];

let sim: Simulator | undefined;
let dir: string | undefined;
let daemon: ServeProcess | undefined;
let url: string;

interface FuzzRequest {
  route: RouteEntry;
  method: string;
  path: string;
  query: string;
  /** Index into TOKENS; -1 no header, -2 an unknown token, -3 a malformed header. */
  token: number;
  contentType: string | null;
  body: string | null;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-fuzz-'));
  sim = await startSimulator({ instances: 20, seed: 5, regions: ['us-east-1'] });
  daemon = spawnServe({
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    DRIFTWARDEN_CONFIG: '',
    DRIFTWARDEN_LOG_LEVEL: 'info',
    DRIFTWARDEN_DATABASE_PATH: join(dir, 'driftwarden.db'),
    DRIFTWARDEN_HTTP_PORT: '0',
    DRIFTWARDEN_SCHEDULE: '0 0 1 1 *',
    DRIFTWARDEN_AWS_ENDPOINT: sim.url,
    DRIFTWARDEN_TARGETS: '[{regions: [us-east-1]}]',
    DRIFTWARDEN_RULES_DIR: packagePath('rules'),
    DRIFTWARDEN_AUTH_TOKENS: JSON.stringify(TOKENS),
  });
  url = String((await daemon.logged('driftwarden serving')).url);
  // A first scan makes the daemon ready, so /readyz answers 200 rather than its documented 503.
  const scan = await fetch(`${url}/api/v1/scans?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS[2]!.token}` },
  });
  if (scan.status !== 200) throw new Error(`the first scan failed: ${scan.status} ${await scan.text()}`);
});

afterAll(async () => {
  // Guarded: a failed start leaves some of these unset, and the failure should be the one reported.
  if (daemon !== undefined) {
    process.kill(daemon.pid, 'SIGTERM');
    await daemon.exited;
  }
  await sim?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '..',
    '%',
    '%00',
    '%ff',
    'i-0123456789abcdef0',
    'ami-00000000',
    "' OR 1=1 --",
    'a'.repeat(5000),
  ),
);

/** A path for `pattern` with every `:param` and `*splat` replaced by arbitrary, percent-encoded text. */
function pathArbitrary(pattern: string): fc.Arbitrary<string> {
  const parts = pattern.split(/([:*][A-Za-z0-9_]+)/);
  return fc
    .tuple(...parts.map((part) => (/^[:*]/.test(part) ? text.map(encodeURIComponent) : fc.constant(part))))
    .map((filled) => filled.join('').replaceAll(/[{}]/g, ''));
}

const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));
const body = fc.oneof(
  { weight: 4, arbitrary: json },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('{"a":', '[[[[', '{"x":1,"x":2}', '\u0000\u0001', 'null') },
  { weight: 1, arbitrary: fc.constant(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`) },
  { weight: 1, arbitrary: fc.constant(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) },
);

function requestArbitrary(routes: readonly RouteEntry[]): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
      ),
      path: pathArbitrary(route.path),
      query: fc
        .array(fc.tuple(text, text), { maxLength: 4 })
        .map((pairs) =>
          pairs.length === 0
            ? ''
            : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
        ),
      token: fc.integer({ min: -3, max: TOKENS.length - 1 }),
      contentType: fc.constantFrom(
        null,
        'application/json',
        'application/json; charset=utf-16',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
      ),
      body: fc.option(body, { freq: 3 }),
    }),
  );
}

function authorization(token: number): string | null {
  if (token === -1) return null;
  if (token === -2) return 'Bearer not-a-known-token-0123456789';
  if (token === -3) return 'Basic Zm9vOmJhcg==';
  return `Bearer ${TOKENS[token]!.token}`;
}

/** The scope a write route needs, as its unauthenticated answer names it (`WWW-Authenticate`). */
async function requiredScope(route: RouteEntry): Promise<string | null> {
  const response = await fetch(`${url}${route.path.replaceAll(/[:*][A-Za-z0-9_]+/g, 'x')}`, {
    method: route.method,
  });
  await response.arrayBuffer();
  return /scope="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1] ?? null;
}

it(`answers ${REQUESTS} random requests over every route without a 5xx or an unscoped write`, async ({
  annotate,
}) => {
  const routes = routeTable();
  expect(routes.length).toBeGreaterThan(20);
  // Every write route refuses an anonymous request and names its scope.
  const scopes = new Map<string, string | null>();
  for (const route of routes.filter((r) => WRITES.has(r.method)))
    scopes.set(`${route.method} ${route.path}`, await requiredScope(route));
  expect([...scopes].filter(([, scope]) => scope === null)).toEqual([]);

  const seed = adversarialSeed();
  const requests = fc.sample(requestArbitrary(routes), { numRuns: REQUESTS, seed });
  const serverErrors: string[] = [];
  const unscopedWrites: string[] = [];
  const hit = new Set<string>();
  for (const r of requests) {
    const headers: Record<string, string> = {};
    const auth = authorization(r.token);
    if (auth !== null) headers.authorization = auth;
    if (r.contentType !== null) headers['content-type'] = r.contentType;
    const withBody = r.body !== null && r.method !== 'GET' && r.method !== 'HEAD';
    const response = await fetch(`${url}${r.path}${r.query}`, {
      method: r.method,
      headers,
      body: withBody ? r.body : undefined,
    });
    await response.arrayBuffer();
    hit.add(`${r.route.method} ${r.route.path}`);
    const what = `${r.method} ${`${r.path}${r.query}`.slice(0, 200)} (token ${r.token}, ${r.contentType ?? 'no content-type'}, body ${(r.body ?? '').slice(0, 80)}) → ${response.status}`;
    if (response.status >= 500) serverErrors.push(what);
    if (WRITES.has(r.method) && response.status >= 200 && response.status < 300) {
      // A write may succeed only on a write route (this method on this path), with a token holding
      // its scope (or admin).
      const scope = scopes.get(`${r.method} ${r.route.path}`);
      const held = r.token >= 0 ? TOKENS[r.token]!.scopes : [];
      if (scope == null || !(held.includes(scope) || held.includes('admin'))) unscopedWrites.push(what);
    }
  }
  const health = await fetch(`${url}/healthz`);
  await annotate(
    `adversarial http: ${requests.length} requests over ${hit.size}/${routes.length} routes (seed ${seed}), ` +
      `${serverErrors.length} 5xx, ${unscopedWrites.length} unscoped writes, /healthz ${health.status}`,
    SUMMARY,
  );
  expect({ serverErrors, unscopedWrites }).toEqual({ serverErrors: [], unscopedWrites: [] });
  expect(health.status).toBe(200);
  expect(hit.size).toBe(routes.length);
});
