// The page shell: head, skip link, navigation, the token panel for actions, main content, footer.
import { html, type Html } from './html.js';
import { formatTime } from './components.js';

export type Section =
  'overview' | 'fleet' | 'manifests' | 'mismatches' | 'replacements' | 'boot-noise' | null;

/** What every page shows besides its own content: the render time, and the daemon's notice if any. */
export interface PageContext {
  now: Date;
  /** Shown in the header of every page, e.g. that `demo` acts on a simulated fleet. */
  notice?: string | undefined;
}

export interface PageOptions extends PageContext {
  title: string;
  section: Section;
  body: Html;
  /** Pages with approve/cancel/pause/resume buttons show the token panel. */
  actions?: boolean;
  /** The JSON behind the page, linked in the footer. */
  api?: string;
}

const NAV: { section: Exclude<Section, null>; href: string; label: string }[] = [
  { section: 'overview', href: '/ui', label: 'Overview' },
  { section: 'fleet', href: '/ui/fleet', label: 'Fleet' },
  { section: 'manifests', href: '/ui/manifests', label: 'Manifests' },
  { section: 'mismatches', href: '/ui/manifest-mismatches', label: 'Manifest mismatches' },
  { section: 'replacements', href: '/ui/replacements', label: 'Replacements' },
  { section: 'boot-noise', href: '/ui/boot-noise', label: 'Boot-time noise' },
];

/**
 * The token never reaches the server's HTML or a cookie: the script keeps it in sessionStorage
 * (this tab, until it closes) and sends it only as a bearer header on the action's API call.
 */
function tokenPanel(): Html {
  return html`<div class="token-panel" role="region" aria-label="API token">
    <form id="token-form" class="token-form" hidden>
      <label for="token-input">Admin token</label>
      <input
        id="token-input"
        name="token"
        type="password"
        autocomplete="one-time-code"
        spellcheck="false"
        aria-describedby="token-help"
      />
      <button type="submit">Use for this tab</button>
      <button type="button" id="token-forget">Forget</button>
      <p id="token-help" class="hint">
        Needed to approve, cancel, pause or resume. Kept in this browser tab only (session storage), sent as a
        bearer header to the API. <span id="token-state" aria-live="polite">No token set.</span>
      </p>
    </form>
    <noscript>
      <p class="hint">
        Reading works without JavaScript; the action buttons need it. From a shell:
        <code>driftwarden replacements approve|cancel JOB_ID</code>,
        <code>driftwarden remediation pause|resume</code>.
      </p>
    </noscript>
    <p id="action-status" class="action-status" role="status"></p>
    <p id="action-error" class="action-status error" role="alert"></p>
  </div>`;
}

export function renderPage(options: PageOptions): string {
  const { title, section, now, body } = options;
  return `<!doctype html>\n${
    html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · driftwarden</title>
        <link rel="stylesheet" href="/ui/assets/ui.css" />
        <link rel="icon" href="/ui/assets/favicon.svg" type="image/svg+xml" />
        <script type="module" src="/ui/assets/ui.js"></script>
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="site-header">
          <a class="brand" href="/ui">driftwarden</a>
          <nav aria-label="Main">
            <ul>
              ${NAV.map(
                (item) =>
                  html`<li>
                    <a href="${item.href}" ${item.section === section ? html`aria-current="page"` : null}
                      >${item.label}</a
                    >
                  </li>`,
              )}
            </ul>
          </nav>
          ${options.notice ? html`<p class="site-notice" role="note">${options.notice}</p>` : null}
        </header>
        ${options.actions ? tokenPanel() : null}
        <main id="main" tabindex="-1">${body}</main>
        <footer class="site-footer">
          <p>
            Rendered <time datetime="${now.toISOString()}">${formatTime(now.toISOString())}</time>.
            ${options.api ? html`Same data as JSON: <a href="${options.api}">${options.api}</a>.` : null}
            <a href="/metrics">Metrics</a> · <a href="/readyz">Readiness</a>
          </p>
        </footer>
      </body>
    </html>`.value
  }\n`;
}
