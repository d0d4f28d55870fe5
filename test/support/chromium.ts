// Debian's Chromium for the browser tests, launched through playwright-core without any traffic of its own.
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

// Chromium's own background traffic (updates, sync, lookups) has no place in a test and no network here.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

/** Headless `/usr/bin/chromium` (Debian package `chromium`). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/**
 * A 1400×1000 context that lets requests reach only `origin` (the daemon under test): any other is
 * aborted and its URL pushed to `foreign`, for the test to require it empty.
 */
export async function daemonOnlyContext(
  browser: Browser,
  origin: string,
  foreign: string[],
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin === origin) return route.continue();
    foreign.push(url.href);
    return route.abort();
  });
  return context;
}
