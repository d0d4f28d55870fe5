// Reads cost what they show: the list endpoints and UI pages read a bound proportional to their page
// from a 5,000-instance, 20,000-finding database, so a regression to a full-table load fails here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FRESH_INSTANCE_LIMIT } from '../../src/app/boot-noise-suggestions.js';
import { openStore, type Store } from '../../src/store/index.js';
import { countRowsRead, type RowsRead } from '../support/rows-read.js';
import { serveStore, type StoreServer } from '../support/store-server.js';
import { T0, at, finding, manifest, plannedJob, scanInput, scanned } from '../store/fixtures.js';

const INSTANCES = 5_000;
const FINDINGS_PER_INSTANCE = 4;
const JOBS = 300;
const ROUNDS = 4;
const BUSY_FINDINGS = 60;
/** The web UI's page size (DEFAULT_PAGE_SIZE), and the API limit the test asks for. */
const UI_PAGE = 100;
const API_PAGE = 50;
/**
 * Counts, facets, the scan list, one manifest's channel and the like: a few rows each, whatever
 * the fleet holds. Every listing may read its page plus one row (to know whether more follow).
 */
const CONSTANT_ROWS = 60;
/** Every FRESH_EVERY-th instance launched inside the boot-noise window (30 minutes before the server's now). */
const FRESH_EVERY = 50;
const FRESH = INSTANCES / FRESH_EVERY;
const FRESH_LAUNCH = at(50);

const instanceId = (i: number): string => `i-${i.toString(16).padStart(12, '0')}`;
const GROUPS = ['web', 'api', 'batch', 'worker'];
const PATHS = [
  'launch.metadataOptions.httpTokens',
  'launch.instanceType',
  'launch.tags.role',
  'host.packages.openssl',
];

let dir: string;
let rowsRead: RowsRead;
let store: Store;
let server: StoreServer;
const busy = instanceId(7);
/** An instance replaced over and over: more jobs than its page shows. */
const jobby = instanceId(4_000);
const JOBBY_JOBS = 60;
/** A job that ran long enough to write more audit entries than any page shows. */
const LONG_JOB = 'job-1';
const LONG_JOB_AUDIT = 5_000;

beforeAll(async () => {
  // Installed before the store opens: it wraps every statement the repositories prepare.
  rowsRead = countRowsRead();
  dir = mkdtempSync(join(tmpdir(), 'dw-rows-read-'));
  store = openStore(join(dir, 'dw.db'), { now: () => new Date(at(60)) });
  store.manifests.importAll(
    [manifest('ami-1', { builtAt: at(-10) }), manifest('ami-2', { builtAt: at(-5) })],
    T0,
  );
  const fleet = (round: number) =>
    Array.from({ length: INSTANCES }, (_, i) => {
      const id = instanceId(i);
      // The busy instance's findings change every round, so it gathers a resolved history of
      // more than a page.
      const paths =
        id === busy
          ? Array.from({ length: BUSY_FINDINGS }, (_, n) => `host.files["/etc/r${round}/f${n}"]`)
          : PATHS.slice(0, FINDINGS_PER_INSTANCE);
      return scanned(
        id,
        paths.map((p) => finding(id, p)),
        {
          group: GROUPS[i % GROUPS.length] ?? null,
          ...(i % FRESH_EVERY === 0 ? { observation: { launchTime: FRESH_LAUNCH } } : {}),
        },
      );
    });
  for (let round = 1; round <= ROUNDS; round++) {
    store.fleet.persistScan(scanInput(`scan-${round}`, round, fleet(round)));
  }
  for (let j = 0; j < JOBS; j++) {
    const id = instanceId(j);
    store.jobs.create(plannedJob(`job-${j}`, id), at(61), { actor: 'driftwarden', action: 'job.planned' });
    if (j % 2 === 0) {
      store.jobs.save(`job-${j}`, { state: 'cancelled', finishedAt: at(62) }, at(62), {
        actor: 'cli',
        action: 'job.cancelled',
      });
    }
  }
  for (let j = 0; j < JOBBY_JOBS; j++) {
    const id = `jobby-${String(j).padStart(3, '0')}`;
    store.jobs.create(plannedJob(id, jobby), at(61), { actor: 'driftwarden', action: 'job.planned' });
    store.jobs.save(id, { state: 'cancelled', finishedAt: at(62) }, at(62), {
      actor: 'cli',
      action: 'job.cancelled',
    });
  }
  store.db.transaction(() => {
    for (let n = 0; n < LONG_JOB_AUDIT; n++) {
      store.audit.append(
        { actor: 'driftwarden', action: 'job.waiting', jobId: LONG_JOB, detail: { n } },
        at(62),
      );
    }
  })();
  store.reasons.replaceInstanceReasons(
    Array.from({ length: 1_000 }, (_, i) => ({
      id: instanceId(1_000 + i),
      instanceId: instanceId(1_000 + i),
      code: 'max-per-hour' as const,
      text: 'the group budget is used up',
    })),
    at(63),
  );
  server = await serveStore(store, () => new Date(at(64)));
}, 120_000);

afterAll(async () => {
  await server?.close();
  store?.close();
  rowsRead?.restore();
  rmSync(dir, { recursive: true, force: true });
});

async function rowsFor(path: string, expectStatus = 200): Promise<number> {
  rowsRead.reset();
  const response = await fetch(`${server.url}${path}`);
  await response.text();
  expect(response.status, path).toBe(expectStatus);
  return rowsRead.rows;
}

function topStatements(): string {
  return rowsRead
    .bySql()
    .slice(0, 5)
    .map((s) => `${s.rows} rows: ${s.sql.replace(/\s+/g, ' ').slice(0, 200)}`)
    .join('\n');
}

it('seeded a large fleet through the store', () => {
  expect(store.fleet.countInstances({})).toBe(INSTANCES);
  expect(store.fleet.pageHistory(busy, { limit: 1000 }).items.length).toBeGreaterThan(UI_PAGE);
});

it.each([
  // [path, listings on the page, their page size]
  [`/api/v1/findings?limit=${API_PAGE}`, 1, API_PAGE],
  [`/api/v1/findings?limit=${API_PAGE}&includeResolved=true`, 1, API_PAGE],
  [`/api/v1/instances?limit=${API_PAGE}`, 1, API_PAGE],
  [`/api/v1/replacements?limit=${API_PAGE}`, 1, API_PAGE],
  [`/api/v1/audit?limit=${API_PAGE}`, 1, API_PAGE],
  [`/api/v1/remediation/waiting?limit=${API_PAGE}`, 1, API_PAGE],
  // The overview: one page of drifted instances; counts come from GROUP BY (a row per group).
  ['/ui', 1, UI_PAGE],
  ['/ui/manifests', 1, UI_PAGE],
  ['/ui/manifests/ami-1', 1, UI_PAGE],
  // Open jobs, waiting candidates, finished jobs, audit entries.
  ['/ui/replacements', 4, UI_PAGE],
  // Five finding sections, the resolved history, the instance's jobs (at most 50).
  [`/ui/instances/${busy}`, 7, UI_PAGE],
  [`/ui/instances/${jobby}`, 7, UI_PAGE],
  // One job and the first page of its 5,000-entry audit trail.
  [`/ui/replacements/${LONG_JOB}`, 1, UI_PAGE],
  [`/api/v1/replacements/${LONG_JOB}`, 1, UI_PAGE],
  // One instance's jobs (open, finished), its waiting reason, its audit entries.
  [`/ui/replacements?instanceId=${jobby}`, 3, UI_PAGE],
  [`/api/v1/acceptances?limit=${API_PAGE}`, 1, API_PAGE],
  [`/api/v1/fleet/findings?limit=${API_PAGE}`, 1, API_PAGE],
  [`/api/v1/manifest-mismatches?limit=${API_PAGE}`, 1, API_PAGE],
])('%s reads at most (page + 1) per listing plus a constant', async (path, listings, page) => {
  const rows = await rowsFor(path);
  const bound = listings * (page + 1) + CONSTANT_ROWS;
  expect(
    rows,
    `${path} read ${rows} rows (bound ${bound}); top statements:\n${topStatements()}`,
  ).toBeLessThanOrEqual(bound);
});

it.each([
  `/api/v1/findings?limit=${API_PAGE}`,
  `/api/v1/findings?limit=${API_PAGE}&includeResolved=true`,
  `/api/v1/findings?limit=${API_PAGE}&severity=critical`,
  `/api/v1/instances?limit=${API_PAGE}`,
])('%s walks an index in page order: no sort of every match, no pass over another table', async (path) => {
  rowsRead.reset();
  // The first page and the next one (a cursor: a keyset condition on the same order).
  const next = (await server.get<{ nextHref: string | null }>(path)).body.nextHref;
  expect(next).not.toBeNull();
  expect((await server.get(next ?? '')).status).toBe(200);
  const paged = rowsRead.plans().filter(({ sql }) => /\bLIMIT\b/.test(sql));
  expect(paged.length).toBeGreaterThan(0);
  for (const { sql, plan } of paged) {
    const where = `${sql.replace(/\s+/g, ' ').slice(0, 160)}\n  ${plan.join('\n  ')}`;
    expect(
      plan.some((step) => step.includes('TEMP B-TREE')),
      where,
    ).toBe(false);
    // The statement's first loop is the listed table itself; any other table is looked up per row.
    expect(
      plan.slice(1).some((step) => step.startsWith('SCAN ')),
      where,
    ).toBe(false);
  }
});

/** Since the last reset: the fresh launches were read through their index; no instance scan, no sort. */
function expectLaunchesReadByIndex(): void {
  // Each fresh instance, its one open host finding, and the page's few other reads.
  expect(rowsRead.rows, topStatements()).toBeLessThanOrEqual(FRESH * 2 + CONSTANT_ROWS);
  const plans = rowsRead.plans();
  const launches = plans.filter(({ sql }) => sql.includes("'$.launchTime'"));
  expect(launches).toHaveLength(1);
  for (const { sql, plan } of plans) {
    const where = `${sql.replace(/\s+/g, ' ').slice(0, 160)}\n  ${plan.join('\n  ')}`;
    expect(
      plan.some((step) => /^SCAN instances\b/.test(step)),
      where,
    ).toBe(false);
    if (launches.some((l) => l.sql === sql)) {
      expect(plan, where).toContain('SEARCH instances USING INDEX instances_launch_time (<expr>>?)');
      expect(
        plan.some((step) => step.includes('TEMP B-TREE')),
        where,
      ).toBe(false);
    }
  }
}

it('/ui/boot-noise reads the fresh launches through their index: no pass over every instance', async () => {
  rowsRead.reset();
  expect((await server.page('/ui/boot-noise')).status).toBe(200);
  expectLaunchesReadByIndex();
});

it("the store's freshInstances reads the fresh launches through their index, in its order", () => {
  rowsRead.reset();
  const fresh = store.views.freshInstances(at(34), FRESH_INSTANCE_LIMIT);
  expect(fresh).toHaveLength(FRESH);
  expect(fresh.every((i) => i.launchTime === FRESH_LAUNCH && i.findings.length === 1)).toBe(true);
  // One launch time: the tie-breaker, instance id ascending, orders them.
  const ids = fresh.map((i) => i.instanceId);
  expect(ids).toEqual([...ids].sort());
  expectLaunchesReadByIndex();
});

it('the fleet view reports the snapshot of the last scan: no statement runs per read', async () => {
  // The daemon takes the snapshot at start and after each scan; here the first read takes it.
  await rowsFor('/api/v1/fleet/summary');
  for (const path of ['/api/v1/fleet/summary', '/api/v1/fleet/targets', '/api/v1/fleet/shard', '/ui/fleet']) {
    await rowsFor(path);
    expect(rowsRead.statements, `${path} ran:\n${topStatements()}`).toBe(0);
  }
});

it("the overview's second page of drifted instances reads its page, not the pages before it", async () => {
  const first = await server.page('/ui?sort=instance&perPage=100');
  const next = /<a rel="next" href="([^"]+)">Next page<\/a>/.exec(first.html)?.[1]?.replace(/&amp;/g, '&');
  expect(next).toMatch(/[?&]drifted=/);
  const rows = await rowsFor(next ?? '');
  expect(rows, topStatements()).toBeLessThanOrEqual(UI_PAGE + 1 + CONSTANT_ROWS);
  const second = await server.page(next ?? '');
  expect(second.html).toContain('Drifted instances: showing 100 of 5,000 (continued)');
});

it('an instance with more jobs than its page shows says how many, and links to all of them', async () => {
  const page = await server.page(`/ui/instances/${jobby}`);
  expect(page.html).toContain(`Showing the newest 50 of ${JOBBY_JOBS} jobs`);
  expect(page.html).toContain(`href="/ui/replacements?instanceId=${jobby}"`);
  const all = await server.page(`/ui/replacements?instanceId=${jobby}`);
  expect(all.html).toContain(`Finished jobs, newest first: ${JOBBY_JOBS}`);
});

it('one job answers the first page of its audit trail with the way to the rest', async () => {
  const { body } = await server.get<{
    audit: unknown[];
    auditTotal: number;
    auditNext: string;
    auditHref: string;
  }>(`/api/v1/replacements/${LONG_JOB}`);
  expect(body.audit).toHaveLength(UI_PAGE);
  expect(body.auditTotal).toBe(LONG_JOB_AUDIT + 1);
  expect(body.auditHref).toBe(`/api/v1/audit?jobId=${LONG_JOB}`);
  expect(body.auditNext).toMatch(new RegExp(`^/api/v1/audit\\?jobId=${LONG_JOB}&cursor=`));
  const rows = await rowsFor(body.auditNext);
  expect(rows, topStatements()).toBeLessThanOrEqual(UI_PAGE + 1 + 1);
});

it('a deep page costs what the first page costs', async () => {
  const first = await server.get<{ nextHref: string }>(`/api/v1/instances?limit=${API_PAGE}`);
  let href = first.body.nextHref;
  for (let i = 0; i < 40; i++) {
    const next = await server.get<{ nextHref: string }>(href);
    href = next.body.nextHref;
  }
  const rows = await rowsFor(href);
  expect(rows, topStatements()).toBeLessThanOrEqual(API_PAGE + 1 + 1);
});

it('a page of findings asked again before anything changes reads no finding; after a change it is read again', async () => {
  const path = `/api/v1/findings?limit=${API_PAGE}&rule=imds-downgrade`;
  const readsFindings = (): boolean => rowsRead.bySql().some(({ sql }) => /\bFROM findings\b/.test(sql));
  const first = (await server.get<{ items: { id: number }[] }>(path)).body.items;
  expect(first.length).toBeGreaterThan(0);
  await rowsFor(path);
  expect(readsFindings(), topStatements()).toBe(false);
  // Any commit (here an acceptance) may change what the page shows: the next request reads it again.
  store.acceptances.add(
    { instanceId: busy, rule: null, reason: 'cache check', until: at(24 * 60), createdBy: 'test' },
    at(60),
  );
  await rowsFor(path);
  expect(readsFindings(), topStatements()).toBe(true);
});

it("the overview's counts and filters read an index, never the instances' rows", async () => {
  // A change first, so the overview computes its aggregates again instead of answering from memory.
  store.acceptances.add(
    { instanceId: busy, rule: 'imds-downgrade', reason: 'plan check', until: at(24 * 60), createdBy: 'test' },
    at(60),
  );
  rowsRead.reset();
  expect((await server.page('/ui')).status).toBe(200);
  const counts = rowsRead
    .plans()
    .filter(({ sql }) => /GROUP BY region, account, grp, status|DISTINCT (region|grp)/.test(sql));
  expect(counts.length).toBe(3);
  for (const { sql, plan } of counts)
    expect(plan.join('\n'), sql).toMatch(/^(SCAN|SEARCH) instances USING COVERING INDEX \w+/m);
});
