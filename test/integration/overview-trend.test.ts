// The overview's 24-hour trend over real HTTP and a real SQLite file: the counts each stored scan recorded, as an SVG chart and a table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { serveStore, type StoreServer } from '../support/store-server.js';
import { at } from '../store/fixtures.js';
import { persistScanWithCounts, type TrendCounts } from '../support/trend-scans.js';

/** `minutes` after T0 as the page shows a time. */
const shown = (minutes: number): string => at(minutes).replace('T', ' ').replace('.000Z', 'Z');

/** A scan of four instances finished `minutes` after T0. */
function persistScan(store: Store, scanId: string, minutes: number, counts: TrendCounts): void {
  persistScanWithCounts(store, { scanId, finishedAt: at(minutes), fleetSize: 4 }, counts);
}

/** The rows of the trend table: time, then drifted, stale, unknown image. */
function tableRows(html: string): string[][] {
  const table = html.slice(
    html.indexOf('<table id="trend-table"'),
    html.indexOf('</table>', html.indexOf('id="trend-table"')),
  );
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .slice(1)
    .map((row) =>
      [...(row[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) =>
        (c[1] ?? '').replace(/<[^>]*>/g, '').trim(),
      ),
    );
}

/** The tooltip of each point of one series, in order. */
function pointTitles(html: string, series: string): string[] {
  const start = html.indexOf(`<g class="trend-series trend-${series}"`);
  const group = html.slice(start, html.indexOf('</g>', start));
  return [...group.matchAll(/<title>([\s\S]*?)<\/title>/g)].map((m) =>
    (m[1] ?? '').replace(/\s+/g, ' ').trim(),
  );
}

function withStore(name: string): { store: () => Store; server: () => StoreServer; now: string } {
  // 25 hours after T0: the window is minutes 60 to 1500.
  const now = at(1500);
  let dir = '';
  let store: Store;
  let server: StoreServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dw-trend-${name}-`));
    store = openStore(join(dir, 'dw.db'), { now: () => new Date(now) });
    server = await serveStore(store, () => new Date(now));
  });
  afterAll(async () => {
    await server?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store: () => store, server: () => server, now };
}

describe('the overview trend', () => {
  const ctx = withStore('numbers');

  it('says so when no scan finished in the last 24 hours', async () => {
    persistScan(ctx.store(), 'scan-old', 30, { drifted: 3, stale: 0, unknownImage: 0 });
    const { html } = await ctx.server().page('/ui');
    expect(html).toContain('No scan finished in the last 24 hours.');
    expect(html).not.toContain('id="trend-chart"');
  });

  it('shows each stored scan’s drifted, stale and unknown-image counts in the chart and the table', async () => {
    persistScan(ctx.store(), 'scan-a', 120, { drifted: 1, stale: 0, unknownImage: 1 });
    persistScan(ctx.store(), 'scan-b', 600, { drifted: 2, stale: 0, unknownImage: 1 });
    persistScan(ctx.store(), 'scan-c', 1490, { drifted: 0, stale: 1, unknownImage: 0 });
    // Same quarter hour as scan-c: only the newer one is a point.
    persistScan(ctx.store(), 'scan-d', 1495, { drifted: 3, stale: 1, unknownImage: 0 });

    const { status, html } = await ctx.server().page('/ui');
    expect(status).toBe(200);
    expect(tableRows(html)).toEqual([
      [shown(120), '1', '0', '1'],
      [shown(600), '2', '0', '1'],
      [shown(1495), '3', '1', '0'],
    ]);
    expect(pointTitles(html, 'drifted')).toEqual([
      `${shown(120)}: 1 drifted`,
      `${shown(600)}: 2 drifted`,
      `${shown(1495)}: 3 drifted`,
    ]);
    expect(pointTitles(html, 'stale')).toEqual([
      `${shown(120)}: 0 stale`,
      `${shown(600)}: 0 stale`,
      `${shown(1495)}: 1 stale`,
    ]);
    expect(pointTitles(html, 'unknownImage')).toEqual([
      `${shown(120)}: 1 unknown image`,
      `${shown(600)}: 1 unknown image`,
      `${shown(1495)}: 0 unknown image`,
    ]);
    // The value axis reaches past the largest count (3 → 5); each line joins the three points.
    expect(html).toContain('data-axis-max="5"');
    expect(html).toMatch(/<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+" \/>/);
    expect(html).toContain('drifted: <strong data-series="drifted">3</strong> now');
  });
});

describe('the overview trend of a busy day', () => {
  const ctx = withStore('bounded');

  it('shows at most 96 points, the newest scan of each quarter hour, however many scans there were', async () => {
    // A scan every 5 minutes for 25 hours: 288 in the window.
    for (let minutes = 0; minutes <= 1500; minutes += 5)
      persistScan(ctx.store(), `scan-${String(minutes).padStart(4, '0')}`, minutes, {
        drifted: (minutes / 5) % 4,
        stale: 0,
        unknownImage: 0,
      });
    const { html } = await ctx.server().page('/ui');
    const rows = tableRows(html);
    expect(rows).toHaveLength(96);
    // Quarter hours counted back from now (minute 1500), each shown by its newest scan: 75, 90, … 1500.
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 96 }, (_, k) => shown(75 + 15 * k)));
    expect(rows.map((r) => r[1])).toEqual(
      Array.from({ length: 96 }, (_, k) => String(((75 + 15 * k) / 5) % 4)),
    );
  });
});
