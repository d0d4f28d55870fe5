// Cursor paging of every list endpoint over real HTTP and a real SQLite file: each row once, in
// order, while rows are added between pages; filters ride along in nextHref; bad cursors and limits are 400.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareStrings } from '../../src/core/compare-strings.js';
import { openStore, type Store } from '../../src/store/index.js';
import { serveStore, type StoreServer } from '../support/store-server.js';
import { T0, at, finding, manifest, plannedJob, scanInput, scanned } from '../store/fixtures.js';

interface Answer<T> {
  items: T[];
  limit: number;
  next: string | null;
  nextHref: string | null;
  total?: number;
}

let dir: string;
let store: Store;
let server: StoreServer;
/** Instances of the default target; every scan lists all of them (a missing one would be gone). */
const fleet = new Set<number>();
let scans = 0;

const instanceId = (i: number): string => `i-${i.toString(16).padStart(12, '0')}`;

/** A scan of every instance in `fleet`, each with two findings (one critical). */
function scanFleet(): void {
  scans += 1;
  const items = [...fleet].map((i) => {
    const id = instanceId(i);
    return scanned(id, [
      finding(id, 'launch.metadataOptions.httpTokens'),
      finding(id, 'launch.tags.role', { change: 'removed', rule: 'required-tags', severity: 'warning' }),
    ]);
  });
  store.fleet.persistScan(scanInput(`scan-${String(scans).padStart(3, '0')}`, scans, items));
}

/**
 * Follows nextHref from `first` to the last page, calling `between` after each page; returns every
 * item in the order served.
 */
async function walk<T>(first: string, between: (page: number) => void = () => undefined): Promise<T[]> {
  const seen: T[] = [];
  let href: string | null = first;
  for (let page = 0; href !== null; page++) {
    const answer: { status: number; body: Answer<T> } = await server.get<Answer<T>>(href);
    expect(answer.status, href).toBe(200);
    seen.push(...answer.body.items);
    expect(answer.body.next === null).toBe(answer.body.nextHref === null);
    href = answer.body.nextHref;
    between(page);
  }
  return seen;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-list-paging-'));
  store = openStore(join(dir, 'dw.db'), { now: () => new Date(at(500)) });
  for (let i = 0; i < 40; i += 2) fleet.add(i);
  scanFleet();
  server = await serveStore(store, () => new Date(at(500)));
});

afterAll(async () => {
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('while rows are added between pages', () => {
  it('/api/v1/instances serves each instance once, in id order, with the total', async () => {
    const before = [...fleet].map(instanceId).sort(compareStrings);
    const first = await server.get<Answer<unknown>>('/api/v1/instances?limit=7');
    expect(first.body).toMatchObject({ limit: 7, total: before.length });
    const ids = (
      await walk<{ instanceId: string }>('/api/v1/instances?limit=7', (page) => {
        // Odd ids land both before and after the cursor.
        for (let i = page * 8 + 1; i < page * 8 + 8; i += 2) fleet.add(i);
        scanFleet();
      })
    ).map((i) => i.instanceId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort(compareStrings));
    expect(ids).toEqual(expect.arrayContaining(before));
  });

  it('/api/v1/findings keeps its filters in nextHref and serves each finding once, in order', async () => {
    const before = store.fleet.pageFindings({ severity: 'critical' }, { limit: 1000 }).items.map((f) => f.id);
    const first = await server.get<Answer<unknown>>('/api/v1/findings?severity=critical&limit=5');
    expect(first.body.nextHref).toMatch(/^\/api\/v1\/findings\?severity=critical&limit=5&cursor=/);
    const found = await walk<{ id: number; instanceId: string; severity: string }>(
      '/api/v1/findings?severity=critical&limit=5',
      () => {
        fleet.add(fleet.size * 2 + 101);
        scanFleet();
      },
    );
    expect(found.every((f) => f.severity === 'critical')).toBe(true);
    const ids = found.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(found.map((f) => f.instanceId)).toEqual(found.map((f) => f.instanceId).sort(compareStrings));
    expect(ids).toEqual(expect.arrayContaining(before));
  });

  it('/api/v1/scans serves each scan once, newest first', async () => {
    const before = store.fleet.listScans().map((s) => s.scanId);
    const ids = (await walk<{ scanId: string }>('/api/v1/scans?limit=3', () => scanFleet())).map(
      (s) => s.scanId,
    );
    // Scans added meanwhile are newer than the cursor: the walk goes on to the oldest.
    expect(ids).toEqual(before);
  });

  it('/api/v1/manifests serves each manifest once, by region then image id, with the total', async () => {
    store.manifests.importAll(
      Array.from({ length: 9 }, (_, i) => manifest(`ami-${i * 2}`, { builtAt: at(i) })),
      T0,
    );
    let added = 0;
    const items = await walk<{ manifest: { image: { id: string } }; status: string }>(
      '/api/v1/manifests?limit=4',
      () => {
        added += 1;
        store.manifests.import(manifest(`ami-${added * 2 + 1}`, { builtAt: at(100 + added) }), T0);
      },
    );
    const ids = items.map((m) => m.manifest.image.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort(compareStrings));
    expect(ids).toEqual(expect.arrayContaining(Array.from({ length: 9 }, (_, i) => `ami-${i * 2}`)));
    // Each status is derived within the manifest's channel, so pages agree with one another: of
    // one channel, only the newest is active.
    const small = await walk<{ manifest: { image: { id: string } }; status: string }>(
      '/api/v1/manifests?limit=2',
    );
    expect(small.filter((m) => m.status === 'active').map((m) => m.manifest.image.id)).toEqual([
      `ami-${added * 2 + 1}`,
    ]);
  });

  it('/api/v1/audit serves each entry once, oldest first, including entries appended meanwhile', async () => {
    for (let n = 0; n < 10; n++) store.audit.append({ actor: 'test', action: `seed.${n}` }, at(n));
    const ids = (
      await walk<{ id: number }>('/api/v1/audit?limit=4', (page) =>
        store.audit.append({ actor: 'test', action: `during.${page}` }, at(600)),
      )
    ).map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(10);
  });
});

describe('the other lists page the same way', () => {
  beforeAll(() => {
    for (let j = 0; j < 11; j++) {
      store.jobs.create(plannedJob(`job-${String(j).padStart(2, '0')}`, instanceId(j * 2)), at(j), {
        actor: 'driftwarden',
        action: 'job.planned',
      });
    }
    for (let a = 0; a < 6; a++) {
      store.acceptances.add(
        { instanceId: instanceId(a * 2), rule: null, reason: `r${a}`, until: at(10_000), createdBy: 'test' },
        at(a),
      );
    }
    store.reasons.replaceInstanceReasons(
      Array.from({ length: 9 }, (_, i) => ({
        id: instanceId(i * 2),
        instanceId: instanceId(i * 2),
        code: i % 2 ? ('max-per-hour' as const) : ('outside-window' as const),
        text: 'waits',
      })),
      at(500),
    );
  });

  it.each([
    ['/api/v1/replacements?limit=4', 11, (j: { jobId: string }) => j.jobId, 'desc'],
    ['/api/v1/replacements?state=planned&limit=4', 11, (j: { jobId: string }) => j.jobId, 'desc'],
    ['/api/v1/acceptances?limit=4', 6, (a: { id: number }) => String(a.id).padStart(4, '0'), 'desc'],
    [
      '/api/v1/remediation/waiting?limit=4',
      9,
      (r: { code: string; instanceId: string }) => `${r.code} ${r.instanceId}`,
      'asc',
    ],
  ] as const)('%s: each row once, in order', async (path, count, key, order) => {
    const keys = (await walk<never>(path)).map((row) => (key as (r: unknown) => string)(row));
    expect(keys).toHaveLength(count);
    const sorted = [...keys].sort(compareStrings);
    expect(keys).toEqual(order === 'asc' ? sorted : sorted.reverse());
  });
});

describe('refusals', () => {
  const tampered = Buffer.from(JSON.stringify(['not', 'a', 'key'])).toString('base64url');
  it.each([
    ['/api/v1/instances?cursor=%%%', 'cursor'],
    [`/api/v1/instances?cursor=${tampered}`, 'cursor'],
    [`/api/v1/findings?cursor=${tampered}`, 'cursor'],
    ['/api/v1/scans?cursor=bm90IGpzb24', 'cursor'],
    [`/api/v1/manifests?cursor=${tampered}`, 'cursor'],
    [`/api/v1/replacements?cursor=${tampered}`, 'cursor'],
    [`/api/v1/audit?cursor=${tampered}`, 'cursor'],
    [`/api/v1/acceptances?cursor=${tampered}`, 'cursor'],
    [`/api/v1/remediation/waiting?cursor=${tampered}`, 'cursor'],
    ['/api/v1/instances?limit=1001', 'limit'],
    ['/api/v1/findings?limit=5000', 'limit'],
    ['/api/v1/manifests?limit=0', 'limit'],
    ['/api/v1/instances?offset=100', 'offset is no longer supported; use cursor'],
    ['/api/v1/findings?offset=0', 'offset is no longer supported; use cursor'],
  ])('%s is a 400 problem naming %s', async (path, named) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { errors: string[] };
    expect(problem.errors).toEqual([expect.stringContaining(named)]);
  });

  it.each([
    `/ui/manifests?cursor=${tampered}`,
    `/ui/replacements?audit=${tampered}`,
    `/ui/instances/${instanceId(0)}?history=${tampered}`,
  ])('%s is a 400 page', async (path) => {
    const page = await server.page(path);
    expect(page.status).toBe(400);
    expect(page.html).toContain('not a cursor this daemon handed out');
  });
});

/** Follows one table's "Next page" links (its pager is labelled `of`) from `first`; returns each page's HTML. */
async function walkPages(first: string, of: string): Promise<string[]> {
  const pages: string[] = [];
  let href: string | null = first;
  while (href !== null) {
    const page = await server.page(href);
    expect(page.status, href).toBe(200);
    pages.push(page.html);
    const pager = new RegExp(`aria-label="Pages of ${of}" class="pager">\\s*<a rel="next" href="([^"]+)"`);
    href = pager.exec(page.html)?.[1]?.replace(/&amp;/g, '&') ?? null;
  }
  return pages;
}

describe('the web UI shows one page with a link to the next', () => {
  it.each(['severity', 'instance', 'age'])(
    '/ui drifted table sorted by %s: each drifted instance once across pages, in order',
    async (sort) => {
      const whole = store.views
        .listDrifted({ sort: sort as 'severity' | 'instance' | 'age' }, { limit: 1000 })
        .items.map((d) => d.instanceId);
      const pages = await walkPages(`/ui?sort=${sort}&perPage=7`, 'drifted instances');
      expect(pages.length).toBe(Math.ceil(whole.length / 7));
      const ids = pages.flatMap((html) =>
        [...html.matchAll(/<tr data-instance="([^"]+)">/g)].map((m) => m[1]),
      );
      expect(ids).toEqual(whole);
    },
  );

  it('/ui/manifests: the total and a Next page link that continues the list', async () => {
    const total = store.manifests.count();
    expect(total).toBeGreaterThan(0);
    const first = await server.page('/ui/manifests');
    expect(first.html).toContain(`Showing all ${total} manifests`);
  });

  it('/ui/replacements pages its tables on their own', async () => {
    for (let n = 0; n < 120; n++) store.audit.append({ actor: 'test', action: `bulk.${n}` }, at(700));
    const first = await server.page('/ui/replacements');
    const next = /<a rel="next" href="([^"]+)">Next page<\/a>/.exec(first.html)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toMatch(/^\/ui\/replacements\?audit=/);
    const second = await server.page(next ?? '');
    expect(second.status).toBe(200);
    // The audit table's second page starts below the first page's oldest entry.
    const firstIds = [...first.html.matchAll(/bulk\.(\d+)/g)].map((m) => Number(m[1]));
    const secondIds = [...second.html.matchAll(/bulk\.(\d+)/g)].map((m) => Number(m[1]));
    expect(Math.min(...firstIds)).toBeGreaterThan(Math.max(...secondIds));
  });
});

describe("one job's audit trail and one instance's jobs page like the lists", () => {
  const JOB = 'job-03';
  const STEPS = 230;
  beforeAll(() => {
    store.db.transaction(() => {
      for (let n = 0; n < STEPS; n++) {
        store.audit.append({ actor: 'driftwarden', action: `step.${n}`, jobId: JOB }, at(800));
      }
    })();
  });

  it('/api/v1/replacements/{id}: the first page of its audit, then auditNext walks the rest once, oldest first', async () => {
    const job = await server.get<{ audit: { id: number }[]; auditTotal: number; auditNext: string | null }>(
      `/api/v1/replacements/${JOB}`,
    );
    expect(job.body.audit).toHaveLength(100);
    const ids = [
      ...job.body.audit.map((e) => e.id),
      ...(await walk<{ id: number }>(job.body.auditNext ?? '')).map((e) => e.id),
    ];
    expect(ids).toHaveLength(job.body.auditTotal);
    expect(ids).toEqual(store.audit.list({ jobId: JOB, limit: 1000 }).map((e) => e.id));
  });

  it('/ui/replacements/{id}: each audit entry once across its pages, oldest first', async () => {
    const pages = await walkPages(`/ui/replacements/${JOB}`, 'audit entries');
    expect(pages).toHaveLength(3);
    expect(pages[0]).toContain(`Every step and decision, oldest first: 100 of ${STEPS + 1}`);
    const steps = pages.flatMap((html) =>
      [...html.matchAll(/<code>step\.(\d+)<\/code>/g)].map((m) => Number(m[1])),
    );
    expect(steps).toEqual(Array.from({ length: STEPS }, (_, n) => n));
  });

  it("/ui/replacements?instanceId=: one instance's finished jobs, each once across pages", async () => {
    const busy = instanceId(1);
    for (let j = 0; j < 105; j++) {
      const jobId = `busy-${String(j).padStart(3, '0')}`;
      store.jobs.create(plannedJob(jobId, busy), at(900 + j), {
        actor: 'driftwarden',
        action: 'job.planned',
      });
      store.jobs.save(jobId, { state: 'cancelled', finishedAt: at(900 + j) }, at(900 + j));
    }
    const pages = await walkPages(`/ui/replacements?instanceId=${busy}`, 'finished jobs');
    expect(pages[0]).toContain('Finished jobs, newest first: 100 of 105');
    const jobs = pages.flatMap((html) => {
      const table = html.slice(
        html.indexOf('id="jobs-finished"'),
        html.indexOf('</table>', html.indexOf('id="jobs-finished"')),
      );
      return [...table.matchAll(/>(busy-\d+)</g)].map((m) => m[1]);
    });
    expect(jobs).toEqual(Array.from({ length: 105 }, (_, j) => `busy-${String(104 - j).padStart(3, '0')}`));
    // Another instance's jobs are not on it.
    expect(pages.join('')).not.toContain('job-00');
  });
});
