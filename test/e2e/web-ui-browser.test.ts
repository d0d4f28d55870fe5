// The web UI in a real browser: Debian's Chromium driven by playwright-core against the daemon on
// a simulated fleet. Screenshots of the overview and an instance page land in test-results/.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { daemonOnlyContext, launchChromium } from '../support/chromium.js';
import { ADMIN_TOKEN, INGEST_TOKEN } from '../support/harness.js';
import { jobs } from '../support/remediation.js';
import { SCRIPT_TAG, startUiFleet, type UiFleet } from '../support/ui-fleet.js';

const RESULTS = packagePath('test-results');

let fleet: UiFleet;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Requests the pages made to anywhere but the daemon. */
const foreign: string[] = [];

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  fleet = await startUiFleet();
  browser = await launchChromium();
  context = await daemonOnlyContext(browser, new URL(fleet.h.url).origin, foreign);
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await fleet?.h.close();
});

async function apiCount(status: string): Promise<number> {
  const { body } = await fleet.h.get<{ items: unknown[] }>(`/api/v1/instances?status=${status}&limit=1000`);
  return body.items.length;
}

async function jobState(jobId: string): Promise<string | undefined> {
  return (await jobs(fleet.h)).find((j) => j.jobId === jobId)?.state;
}

describe('the overview in Chromium', () => {
  it('shows the fleet counts the API reports, and saves a screenshot', async () => {
    await page.goto(`${fleet.h.url}/`);
    expect(new URL(page.url()).pathname).toBe('/ui');
    await expect(page.title()).resolves.toBe('Fleet overview · driftwarden');
    for (const state of ['compliant', 'drifted', 'unknown_image', 'stale']) {
      const shown = await page.locator(`#fleet-totals [data-status="${state}"]`).textContent();
      expect(Number(shown), state).toBe(await apiCount(state));
    }
    await expect(page.locator('#fleet-totals [data-status="drifted"]').textContent()).resolves.toBe('3');
    // Per region too: one region answers (compliant, drifted, unknown image), one does not (stale).
    for (const region of ['us-east-1', fleet.staleRegion]) {
      const row = page.locator('#counts-by-region tbody tr', { hasText: region });
      for (const state of ['compliant', 'drifted', 'unknown_image', 'stale']) {
        const { body } = await fleet.h.get<{ items: unknown[] }>(
          `/api/v1/instances?status=${state}&region=${region}&limit=1000`,
        );
        await expect(row.locator(`[data-status="${state}"]`).innerText(), `${region} ${state}`).resolves.toBe(
          String(body.items.length),
        );
      }
    }
    await expect(
      page
        .locator(`#counts-by-region tbody tr`, { hasText: fleet.staleRegion })
        .locator('[data-status="stale"]')
        .innerText(),
    ).resolves.not.toBe('0');
    await expect(page.locator('#drifted-table tbody tr').count()).resolves.toBe(4);
    await page.screenshot({ path: `${RESULTS}/ui-overview.png`, fullPage: true });
  });

  it('filters the drifted table with the form', async () => {
    await page.selectOption('#filter-rule', 'required-tags');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/rule=required-tags/);
    await expect(page.locator('#drifted-table tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('#drifted-table tbody tr').getAttribute('data-instance')).resolves.toBe(
      fleet.scriptTag.instanceId,
    );
  });
});

describe('an instance page in Chromium', () => {
  it('follows a drifted instance from the overview to its exact expected and actual values', async () => {
    await page.goto(`${fleet.h.url}/ui`);
    await page.locator(`#drifted-table a:text-is("${fleet.typeDrift.instance.instanceId}")`).click();
    await page.waitForURL(`**/ui/instances/${fleet.typeDrift.instance.instanceId}`);
    const row = page.locator('#findings-launch tr[data-path="launch.instanceType"]');
    await expect(row.locator('td.expected code').textContent()).resolves.toBe(
      JSON.stringify(fleet.typeDrift.expected),
    );
    await expect(row.locator('td.actual code').textContent()).resolves.toBe(fleet.typeDrift.actual);
    await expect(row.locator('.badge.change-changed').innerText()).resolves.toContain('changed');
    await page.screenshot({ path: `${RESULTS}/ui-instance.png`, fullPage: true });
  });

  it('shows host drift from the agent with its exact values', async () => {
    await page.goto(`${fleet.h.url}/ui/instances/${fleet.hostDrift.instance.instanceId}`);
    const row = page.locator('#findings-host tr[data-path="host.packages.openssl"]');
    await expect(row.locator('td.expected code').textContent()).resolves.toBe(fleet.hostDrift.expected);
    await expect(row.locator('td.actual code').textContent()).resolves.toBe(fleet.hostDrift.actual);
  });

  it('shows accepted drift with its reason and expiry', async () => {
    const { instance, reason, until } = fleet.acceptedDrift;
    await page.goto(`${fleet.h.url}/ui/instances/${instance.instanceId}`);
    const row = page.locator('#findings-accepted tr[data-path="launch.tags.role"]');
    await expect(row.locator('td[data-field="reason"]').textContent()).resolves.toBe(reason);
    await expect(row.locator('td[data-field="until"] time').getAttribute('datetime')).resolves.toBe(until);
    await expect(page.locator('h1 .badge').innerText()).resolves.toContain('compliant');
  });

  it('renders a tag containing <script> as text and never runs it', async () => {
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${fleet.h.url}/ui/instances/${fleet.scriptTag.instanceId}`);
    const cell = page.locator('#tags tr', { hasText: 'role' }).locator('td code');
    await expect(cell.textContent()).resolves.toBe(SCRIPT_TAG);
    await expect(
      page.locator('#findings-launch tr[data-path="launch.tags.role"] td.actual code').textContent(),
    ).resolves.toBe(SCRIPT_TAG);
    await expect(
      page.evaluate<unknown>('typeof window.__pwned === "undefined" ? undefined : window.__pwned'),
    ).resolves.toBeUndefined();
    await expect(page.locator('main script').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
  });
});

describe('manifests in Chromium', () => {
  it('lists manifests by channel with instance counts, and opens one', async () => {
    await page.goto(`${fleet.h.url}/ui/manifests`);
    const imageId = fleet.typeDrift.instance.imageId;
    const { body } = await fleet.h.get<{ items: unknown[] }>(`/api/v1/instances?limit=1000`);
    const running = (body.items as { imageId: string }[]).filter((i) => i.imageId === imageId).length;
    await expect(
      page.locator(`tr[data-image="${imageId}"] [data-field="instances"]`).innerText(),
    ).resolves.toBe(String(running));
    await page.screenshot({ path: `${RESULTS}/ui-manifests.png`, fullPage: true });
    await page.locator(`tr[data-image="${imageId}"] a`).first().click();
    await page.waitForURL(`**/ui/manifests/${imageId}`);
    await expect(page.locator('#manifest-instances tbody tr').count()).resolves.toBe(running);
  });
});

describe('replacement actions in Chromium', () => {
  it('reports 401 clearly when Approve is pressed without a token, and changes nothing', async () => {
    await page.goto(`${fleet.h.url}/ui/replacements`);
    await expect(page.locator('#token-form').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: `Approve replacement ${fleet.pending.jobId}` }).click();
    const status = page.locator('#action-error');
    await expect(status.filter({ hasText: '401' }).waitFor()).resolves.toBeUndefined();
    const text = (await status.textContent()) ?? '';
    expect(text).toContain('401 Unauthorized');
    expect(text).toContain('needs a bearer token with scope "admin"');
    expect(text).toContain('Enter an admin token');
    await expect(status.getAttribute('role')).resolves.toBe('alert');
    await expect(page.evaluate<string>('document.activeElement.id')).resolves.toBe('token-input');
    expect(await jobState(fleet.pending.jobId)).toBe('awaiting-approval');
    await page.screenshot({ path: `${RESULTS}/ui-replacements-401.png`, fullPage: true });
  });

  it('reports 403 for a token without the admin scope', async () => {
    await page.fill('#token-input', INGEST_TOKEN);
    await page.getByRole('button', { name: 'Use for this tab' }).click();
    await page.getByRole('button', { name: `Approve replacement ${fleet.pending.jobId}` }).click();
    const status = page.locator('#action-error');
    await status.filter({ hasText: '403' }).waitFor();
    await expect(status.textContent()).resolves.toContain('403 Forbidden');
    expect(await jobState(fleet.pending.jobId)).toBe('awaiting-approval');
  });

  it('approves a pending replacement with an admin token, and the page shows its new state', async () => {
    await page.fill('#token-input', ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Use for this tab' }).click();
    await expect(page.locator('#token-state').textContent()).resolves.toBe('A token is set for this tab.');
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: `Approve replacement ${fleet.pending.jobId}` }).click(),
    ]);
    await expect(page.locator('#action-status').textContent()).resolves.toBe(
      `Approved ${fleet.pending.jobId}`,
    );
    const state = await jobState(fleet.pending.jobId);
    expect(state).not.toBe('awaiting-approval');
    const shown = await page
      .locator(`tr[data-job="${fleet.pending.jobId}"] [data-field="state"]`)
      .textContent();
    expect(['queued', 'running', 'succeeded']).toContain(shown);
    const { body } = await fleet.h.get<{ approvedBy: string }>(`/api/v1/replacements/${fleet.pending.jobId}`);
    expect(body.approvedBy).toBe('admin');
  });

  it('pauses remediation with a reason, then resumes it', async () => {
    await page.goto(`${fleet.h.url}/ui/replacements`);
    await page.fill('#pause-reason', 'INC-7 <b>db failover</b>');
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: 'Pause remediation' }).click(),
    ]);
    await expect(page.locator('#action-status').textContent()).resolves.toBe('Remediation paused');
    const paused = (await page.locator('#remediation-state').textContent()) ?? '';
    expect(paused).toContain('paused');
    expect(paused).toContain('INC-7 <b>db failover</b>');
    expect((await fleet.h.get<{ paused: boolean }>('/api/v1/remediation')).body.paused).toBe(true);
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: 'Resume remediation' }).click(),
    ]);
    await expect(page.locator('#remediation-state').textContent()).resolves.toContain('active');
    expect((await fleet.h.get<{ paused: boolean }>('/api/v1/remediation')).body.paused).toBe(false);
  });

  it('keeps the token for this tab only', async () => {
    const other = await context.newPage();
    await other.goto(`${fleet.h.url}/ui/replacements`);
    await expect(other.locator('#token-state').textContent()).resolves.toBe('No token set.');
    await other.close();
  });
});

describe('without JavaScript and for keyboard users', () => {
  it('reads the overview and an instance diff with scripts disabled', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const plain = await noJs.newPage();
    await plain.goto(`${fleet.h.url}/ui/instances/${fleet.hostDrift.instance.instanceId}`);
    await expect(
      plain.locator('#findings-host tr[data-path="host.packages.openssl"] td.actual code').textContent(),
    ).resolves.toBe(fleet.hostDrift.actual);
    await plain.goto(`${fleet.h.url}/ui/replacements`);
    await expect(plain.locator('#token-form').isVisible()).resolves.toBe(false);
    // The queue still reads; Chromium under automation parses <noscript> as if scripts ran, so
    // its CLI hint is checked in the markup rather than on screen.
    await expect(
      plain.locator(`tr[data-job] [data-field="state"]`).first().textContent(),
    ).resolves.toBeTruthy();
    await expect(plain.content()).resolves.toContain('driftwarden replacements approve|cancel JOB_ID');
    // Buttons that could not work without the script are not shown.
    await expect(plain.getByRole('button', { name: /Approve|Cancel|Pause|Resume/ }).count()).resolves.toBe(0);
    await noJs.close();
  });

  it('starts with a skip link, and labels every form control', async () => {
    await page.goto(`${fleet.h.url}/ui`);
    await page.keyboard.press('Tab');
    await expect(page.evaluate<string>('document.activeElement.textContent')).resolves.toBe(
      'Skip to content',
    );
    // Evaluated in the page (this project's types have no DOM): every control has a label or aria-label.
    for (const path of ['/ui', '/ui/replacements']) {
      await page.goto(`${fleet.h.url}${path}`);
      const unlabelled = await page.evaluate<string[]>(
        `[...document.querySelectorAll('input:not([type=hidden]), select')]
          .filter((c) => !c.getAttribute('aria-label') && !document.querySelector('label[for="' + c.id + '"]'))
          .map((c) => c.outerHTML)`,
      );
      expect(unlabelled, path).toEqual([]);
    }
  });

  it('made no request to anywhere but the daemon', () => {
    expect(foreign).toEqual([]);
  });
});
