// The overview's trend chart in Debian's Chromium: a day of stored scans drawn as inline SVG, its table, no request off the daemon; saves test-results/ui-overview-trend.png.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { openStore, type Store } from '../../src/store/index.js';
import { daemonOnlyContext, launchChromium } from '../support/chromium.js';
import { serveStore, type StoreServer } from '../support/store-server.js';
import { persistDayOfScans } from '../support/trend-scans.js';

const RESULTS = packagePath('test-results');
// A fixed clock: the page (and its screenshot) come out the same on every run.
const NOW = new Date('2026-11-21T16:00:00.000Z');

let dir: string;
let store: Store;
let server: StoreServer;
let browser: Browser;
let page: Page;
/** Requests the page made to anywhere but the daemon. */
const foreign: string[] = [];

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'dw-trend-browser-'));
  store = openStore(join(dir, 'dw.db'), { now: () => NOW });
  persistDayOfScans(store, NOW);
  server = await serveStore(store, () => NOW);
  browser = await launchChromium();
  page = await (await daemonOnlyContext(browser, new URL(server.url).origin, foreign)).newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the overview trend in Chromium', () => {
  it('draws a point per quarter hour for each series, with the newest counts in the legend', async () => {
    await page.goto(`${server.url}/ui`);
    const chart = page.locator('#trend-chart');
    await expect(chart.isVisible()).resolves.toBe(true);
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(600);
    expect(box?.height).toBeGreaterThan(150);
    for (const series of ['drifted', 'stale', 'unknownImage'])
      await expect(
        page.locator(`#trend-chart [data-series="${series}"] circle`).count(),
        series,
      ).resolves.toBe(96);
    // The newest scan (hour 24 of the day): 1 drifted, none stale, 2 unknown images.
    await expect(page.locator('#trend-legend [data-series="drifted"]').innerText()).resolves.toBe('1');
    await expect(page.locator('#trend-legend [data-series="stale"]').innerText()).resolves.toBe('0');
    await expect(page.locator('#trend-legend [data-series="unknownImage"]').innerText()).resolves.toBe('2');
    // Styled by the stylesheet (no inline style): the drifted line has a stroke colour.
    const stroke = await page.evaluate<string>(
      "getComputedStyle(document.querySelector('#trend-chart [data-series=drifted] polyline')).stroke",
    );
    expect(stroke).toMatch(/^rgb\(/);
    await page.screenshot({ path: `${RESULTS}/ui-overview-trend.png`, fullPage: true });
  });

  it('opens the table of the same numbers, the peak of drift included', async () => {
    await page.locator('#trend summary').click();
    const rows = page.locator('#trend-table tbody tr');
    await expect(rows.count()).resolves.toBe(96);
    const drifted = await page.locator('#trend-table tbody [data-series="drifted"]').allInnerTexts();
    expect(Math.max(...drifted.map(Number))).toBe(7);
    await expect(page.locator('#trend-chart').getAttribute('data-axis-max')).resolves.toBe('10');
  });

  it('made no request to anywhere but the daemon', () => {
    expect(foreign).toEqual([]);
  });
});
