// The web UI over real HTTP without a browser: what each page says, escaping, errors and headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_STATUSES } from '../../src/domain/types.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { SCRIPT_TAG, startUiFleet, type UiFleet } from '../support/ui-fleet.js';

let fleet: UiFleet;

beforeAll(async () => {
  fleet = await startUiFleet();
});
afterAll(async () => {
  await fleet.h.close();
});

async function page(path: string): Promise<{ status: number; html: string; headers: Headers }> {
  const response = await fetch(`${fleet.h.url}${path}`, { redirect: 'manual' });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

/** The text of an element found by id (tags stripped, entities decoded, whitespace collapsed). */
function textById(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  if (start === -1) throw new Error(`no element with id ${id}`);
  const open = html.lastIndexOf('<', start);
  const tag = /^<([a-z0-9]+)/.exec(html.slice(open))?.[1] as string;
  const end = html.indexOf(`</${tag}>`, start);
  return decode(html.slice(html.indexOf('>', start) + 1, end));
}

function decode(fragment: string): string {
  return fragment
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function totals(html: string): Record<string, number> {
  const list = html.slice(
    html.indexOf('id="fleet-totals"'),
    html.indexOf('</ul>', html.indexOf('id="fleet-totals"')),
  );
  return Object.fromEntries(
    [...list.matchAll(/data-status="(\w+)">(\d+)</g)].map((m) => [m[1] as string, Number(m[2])]),
  );
}

async function apiCount(status: string): Promise<number> {
  const { body } = await fleet.h.get<{ items: unknown[] }>(`/api/v1/instances?status=${status}&limit=1000`);
  return body.items.length;
}

describe('the overview', () => {
  it('redirects / to /ui', async () => {
    const root = await page('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui');
  });

  it('shows the same counts by state as the instances API', async () => {
    const { status, html, headers } = await page('/ui');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/html/);
    const shown = totals(html);
    for (const state of INSTANCE_STATUSES) {
      expect(shown[state], state).toBe(await apiCount(state));
      expect(shown[state], state).toBeGreaterThan(0);
    }
    expect(shown.drifted).toBe(3);
    expect(shown.unknown_image).toBe(1);
    expect(shown.total).toBe(
      (await fleet.h.get<{ items: unknown[] }>('/api/v1/instances?limit=1000')).body.items.length,
    );
  });

  it('lists every instance with open drift worst first, with state, rule, group and image', async () => {
    const { html } = await page('/ui');
    const table = textById(html, 'drifted-table');
    expect(table).toContain('Drifted instances: showing 4 of 4');
    const rows = [...html.matchAll(/<tr data-instance="([^"]+)">/g)].map((m) => m[1]);
    // critical (unknown image) first, then the two warnings (in either order), then info.
    expect(rows[0]).toBe(fleet.unknownImage);
    expect(new Set(rows.slice(1, 3))).toEqual(
      new Set([fleet.typeDrift.instance.instanceId, fleet.hostDrift.instance.instanceId]),
    );
    expect(rows[3]).toBe(fleet.scriptTag.instanceId);
    expect(table).toContain('unknown image');
    expect(table).toContain('instance-type');
    expect(table).toContain(fleet.typeDrift.instance.imageId);
  });

  it('filters, sorts and paginates the drifted table through the query string', async () => {
    const byRule = await page('/ui?rule=required-tags');
    expect([...byRule.html.matchAll(/<tr data-instance="([^"]+)">/g)].map((m) => m[1])).toEqual([
      fleet.scriptTag.instanceId,
    ]);
    const elsewhere = await page('/ui?region=eu-west-1');
    expect(textById(elsewhere.html, 'drifted-table')).toContain('No drifted instance matches these filters.');

    const sorted = await page('/ui?sort=instance&dir=asc');
    const ids = [...sorted.html.matchAll(/<tr data-instance="([^"]+)">/g)].map((m) => m[1] as string);
    expect(ids).toEqual([...ids].sort());
    expect(sorted.html).toMatch(/aria-sort="ascending"/);

    const first = await page('/ui?sort=instance&dir=asc&perPage=3');
    expect(textById(first.html, 'drifted-table')).toContain('Drifted instances: showing 3 of 4');
    const next = /<a rel="next" href="([^"]+)">Next page<\/a>/.exec(first.html)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toMatch(/^\/ui\?sort=instance&dir=asc&perPage=3&drifted=[\w-]+#drifted$/);
    const second = await page(next ?? '');
    expect(textById(second.html, 'drifted-table')).toContain('Drifted instances: showing 1 of 4 (continued)');
    expect([...second.html.matchAll(/<tr data-instance="([^"]+)">/g)].map((m) => m[1])).toEqual(ids.slice(3));
    expect(second.html).toContain('href="/ui?sort=instance&amp;dir=asc&amp;perPage=3#drifted">First page');
    expect(second.html).not.toContain('rel="next"');

    // A cursor belongs to its sort order; another sort's cursor is refused, naming the parameter.
    const cursor = new URL(next ?? '', fleet.h.url).searchParams.get('drifted') ?? '';
    const mixed = await page(`/ui?sort=region&drifted=${cursor}`);
    expect(mixed.status).toBe(400);
    expect(decode(mixed.html)).toContain(
      'drifted: a cursor of the instance order; this view sorts by region',
    );

    // A page past the end (the drift it listed has resolved since) opens the first page.
    const beyond = Buffer.from(JSON.stringify(['instance', 'i-~', '9999', 'i-~'])).toString('base64url');
    const past = await page(`/ui?sort=instance&dir=asc&perPage=3&drifted=${beyond}`);
    expect(past.status).toBe(302);
    expect(past.headers.get('location')).toBe('/ui?sort=instance&dir=asc&perPage=3#drifted');

    // A saved numbered-page link opens the first page of the same view.
    const numbered = await page('/ui?sort=instance&dir=asc&perPage=3&page=9');
    expect(numbered.status).toBe(302);
    expect(numbered.headers.get('location')).toBe('/ui?sort=instance&dir=asc&perPage=3#drifted');
  });

  it('answers a bad query parameter with a 400 page naming it', async () => {
    const bad = await page('/ui?sort=bogus');
    expect(bad.status).toBe(400);
    expect(decode(bad.html)).toMatch(/sort: .*severity/);
  });

  it('shows the last scans and the remediation mode', async () => {
    const { html } = await page('/ui');
    expect(textById(html, 'scans')).toMatch(/success/);
    expect(textById(html, 'remediation-state')).toContain('Mode: enforce');
    expect(textById(html, 'remediation-state')).toContain('1 awaiting approval');
  });

  it('charts the drifted, stale and unknown-image counts the newest scan recorded', async () => {
    const { body } = await fleet.h.get<{
      items: { finishedAt: string; instances: { drifted: number; stale: number; unknownImage: number } }[];
    }>('/api/v1/scans?limit=1');
    const newest = body.items[0];
    if (newest === undefined) throw new Error('no scan recorded');
    const { html } = await page('/ui');
    expect(html).toContain('<svg');
    expect(html).toContain('id="trend-chart"');
    const rows = textById(html, 'trend-table');
    const { drifted, stale, unknownImage } = newest.instances;
    expect(
      rows.endsWith(
        `${newest.finishedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} ${drifted} ${stale} ${unknownImage}`,
      ),
    ).toBe(true);
    expect(drifted).toBeGreaterThan(0);
    expect(stale).toBeGreaterThan(0);
    expect(textById(html, 'trend-legend')).toContain(`drifted: ${drifted} now`);
  });
});

describe('the instance page', () => {
  it('shows launch drift with the exact expected and actual values', async () => {
    const { status, html } = await page(`/ui/instances/${fleet.typeDrift.instance.instanceId}`);
    expect(status).toBe(200);
    const launch = textById(html, 'findings-launch');
    expect(launch).toContain('launch.instanceType');
    expect(launch).toContain(`expected: ${JSON.stringify(fleet.typeDrift.expected)}`);
    expect(launch).toContain(`actual: ${fleet.typeDrift.actual}`);
    expect(launch).toContain('changed');
    expect(textById(html, 'instance-jobs')).toContain('awaiting-approval');
  });

  it('shows host drift in its own section, with the agent as a fresh source', async () => {
    const { html } = await page(`/ui/instances/${fleet.hostDrift.instance.instanceId}`);
    const host = textById(html, 'findings-host');
    expect(host).toContain('host.packages.openssl');
    expect(host).toContain(`expected: ${fleet.hostDrift.expected}`);
    expect(host).toContain(`actual: ${fleet.hostDrift.actual}`);
    expect(textById(html, 'sources')).toMatch(/agent .* fresh/);
  });

  it('renders a tag holding a script element as text, never as markup', async () => {
    const { html, headers } = await page(`/ui/instances/${fleet.scriptTag.instanceId}`);
    expect(html).not.toContain(SCRIPT_TAG);
    expect(html).toContain('&lt;script&gt;window.__pwned = true&lt;/script&gt;');
    expect(textById(html, 'tags')).toContain(SCRIPT_TAG);
    expect(textById(html, 'findings-launch')).toContain(`actual: ${SCRIPT_TAG}`);
    expect(headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('shows accepted drift as accepted, with its reason, expiry and author, and not as drift', async () => {
    const { instance, reason, until } = fleet.acceptedDrift;
    const { html } = await page(`/ui/instances/${instance.instanceId}`);
    const accepted = textById(html, 'findings-accepted');
    expect(accepted).toContain('accepted');
    expect(accepted).toContain('launch.tags.role');
    expect(accepted).toContain(reason);
    expect(accepted).toContain(until.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
    expect(accepted).toContain('admin');
    expect(html).not.toContain('id="findings-launch"');
    expect(textById(html, 'drift-heading')).toBe('Open drift');
    const overview = await page('/ui');
    expect(overview.html).not.toContain(`data-instance="${instance.instanceId}"`);
  });

  it('answers an unknown instance with a 404 page', async () => {
    const missing = await page('/ui/instances/i-0000000000000dead');
    expect(missing.status).toBe(404);
    expect(decode(missing.html)).toContain('No instance i-0000000000000dead has been seen by a scan.');
  });
});

describe('the fleet page', () => {
  it('shows an unsharded daemon its own totals and targets, as /api/v1/fleet/summary counts them', async () => {
    const { status, html } = await page('/ui/fleet');
    expect(status).toBe(200);
    const { body } = await fleet.h.get<{
      instances: Record<string, number>;
      targets: { total: number; fresh: number };
    }>('/api/v1/fleet/summary');
    for (const state of INSTANCE_STATUSES)
      expect(new RegExp(`data-state="${state}">(\\d+)<`).exec(html)?.[1], state).toBe(
        String(body.instances[state]),
      );
    expect(body.targets.total).toBeGreaterThan(0);
    expect(body.targets.fresh).toBe(body.targets.total);
    expect(textById(html, 'fleet-shards')).toContain('answered');
    expect([...html.matchAll(/<tr data-state="fresh"/g)]).toHaveLength(body.targets.total);
    expect(html).not.toContain('did not answer');
  });
});

describe('manifests', () => {
  it('lists manifests by channel with how many instances run each', async () => {
    const { html } = await page('/ui/manifests');
    const { body } = await fleet.h.get<{ items: { imageId: string }[] }>('/api/v1/instances?limit=1000');
    const perImage = new Map<string, number>();
    for (const i of body.items) perImage.set(i.imageId, (perImage.get(i.imageId) ?? 0) + 1);
    const manifests = await fleet.h.get<{ items: { manifest: { image: { id: string } } }[] }>(
      '/api/v1/manifests',
    );
    expect(manifests.body.items.length).toBeGreaterThan(2);
    for (const { manifest } of manifests.body.items) {
      const image = { imageId: manifest.image.id };
      const row = new RegExp(
        `<tr data-image="${image.imageId}">[\\s\\S]*?data-field="instances">\\s*(\\d+)\\s*<`,
      ).exec(html);
      expect(row?.[1], image.imageId).toBe(String(perImage.get(image.imageId) ?? 0));
    }
    expect(html).toContain(`Channel ${fleet.typeDrift.instance.channel}`);
  });

  it('shows one manifest with the instances running it', async () => {
    const imageId = fleet.typeDrift.instance.imageId;
    const { html } = await page(`/ui/manifests/${imageId}`);
    expect(textById(html, 'manifest-instances')).toContain(fleet.typeDrift.instance.instanceId);
    expect(textById(html, 'manifest-packages')).toContain('openssl');
  });
});

describe('replacements', () => {
  it('shows the queue with approve and cancel buttons and the audit log', async () => {
    const { html } = await page('/ui/replacements');
    const queue = textById(html, 'jobs-open');
    expect(queue).toContain(fleet.pending.jobId);
    expect(queue).toContain('awaiting-approval');
    expect(html).toContain(`data-api-action="/api/v1/replacements/${fleet.pending.jobId}/approve"`);
    expect(textById(html, 'audit')).toContain('job.');
    expect(html).toContain('id="token-form"');
  });

  it('shows a job with its reason and audit trail, and 404 for an unknown job', async () => {
    const { html } = await page(`/ui/replacements/${fleet.pending.jobId}`);
    expect(textById(html, 'job-reason')).toContain('launch.instanceType');
    expect(textById(html, 'job-audit')).toContain('job.');
    expect((await page('/ui/replacements/nope')).status).toBe(404);
  });

  it('shows remediation as paused, with who and why, after a pause', async () => {
    const { status } = await fleet.h.post(
      '/api/v1/remediation/pause',
      { reason: 'INC-42 <b>bold</b>' },
      ADMIN_TOKEN,
    );
    expect(status).toBe(200);
    const { html } = await page('/ui/replacements');
    const state = textById(html, 'remediation-state');
    expect(state).toContain('paused');
    expect(state).toContain('INC-42 <b>bold</b>');
    expect(html).toContain('Resume remediation');
    await fleet.h.post('/api/v1/remediation/resume', undefined, ADMIN_TOKEN);
  });
});

describe('assets', () => {
  it('serves the stylesheet and script locally and 404s anything else', async () => {
    const css = await page('/ui/assets/ui.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    const js = await page('/ui/assets/ui.js');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const missing = await page('/ui/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(decode(missing.html)).toContain('404 Not Found');
    const { html } = await page('/ui');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
