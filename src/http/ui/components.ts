// Small pieces every page uses: times with ages, state and severity badges, values, key-value lists.
import type { ReplacementJob } from '../../app/remediation/ports.js';
import type { Change, InstanceStatus, Severity } from '../../domain/types.js';
import { html, type Html, type HtmlValue } from './html.js';

const AGE_UNITS: readonly [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** Two units at most: `45s`, `5m 12s`, `3h`, `2d 3h` (rounded to read at a glance; `formatDuration` is exact). */
export function formatAge(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  const amounts = AGE_UNITS.map(([unit, size]) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return { unit, n };
  });
  const first = amounts.findIndex((a) => a.n > 0);
  if (first === -1) return '0s';
  return amounts
    .slice(first, first + 2)
    .filter((a) => a.n > 0)
    .map((a) => `${a.n}${a.unit}`)
    .join(' ');
}

/** A scan or step duration: milliseconds below a second, else as an age. */
export function formatDurationShort(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : formatAge(ms);
}

/** `2026-11-26 17:25:32Z`: seconds are enough to read, the full value is in `datetime`. */
export function formatTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A timestamp with its age relative to the page's clock. */
export function timeAgo(iso: string | null, now: Date): Html {
  if (iso === null) return html`<span class="muted">never</span>`;
  const age = now.getTime() - Date.parse(iso);
  const relative = age >= 0 ? `${formatAge(age)} ago` : `in ${formatAge(-age)}`;
  return html`<time datetime="${iso}" title="${iso}">${formatTime(iso)}</time>
    <span class="age">(${relative})</span>`;
}

const STATUS_LABEL: Record<InstanceStatus, string> = {
  compliant: 'compliant',
  drifted: 'drifted',
  unknown_image: 'unknown image',
  stale: 'stale',
};

export function statusLabel(status: InstanceStatus): string {
  return STATUS_LABEL[status];
}

/** Colour plus a text marker, so the badge reads in greyscale and to a screen reader. */
export function statusBadge(status: InstanceStatus): Html {
  const marker = { compliant: '✓', drifted: '!', unknown_image: '?', stale: '…' }[status];
  return html`<span class="badge status-${status}"
    ><span aria-hidden="true">${marker}</span> ${STATUS_LABEL[status]}</span
  >`;
}

export function severityBadge(severity: Severity): Html {
  const marker = { critical: '▲▲', warning: '▲', info: 'i' }[severity];
  return html`<span class="badge severity-${severity}"
    ><span aria-hidden="true">${marker}</span> ${severity}</span
  >`;
}

/** Text markers for a change: the symbol is decorative, the word is what is read. */
export const CHANGE_MARKERS: Record<Change, { symbol: string; label: string }> = {
  changed: { symbol: '~', label: 'changed' },
  added: { symbol: '+', label: 'added' },
  removed: { symbol: '−', label: 'removed' },
  'unknown-image': { symbol: '?', label: 'unknown image' },
  'revoked-image': { symbol: '✕', label: 'revoked image' },
  'superseded-image': { symbol: '↑', label: 'superseded image' },
  truncated: { symbol: '…', label: 'truncated' },
};

export function changeBadge(change: Change): Html {
  const { symbol, label } = CHANGE_MARKERS[change];
  return html`<span class="badge change-${change}"><span aria-hidden="true">${symbol}</span> ${label}</span>`;
}

/**
 * A finding value exactly as compared: strings as they are, anything else as JSON; absent (null)
 * says so in words, so "" and absent never look alike.
 */
export function renderValue(value: unknown): Html {
  if (value === null || value === undefined) return html`<span class="absent">(absent)</span>`;
  if (typeof value === 'string') return html`<code>${value === '' ? '""' : value}</code>`;
  return html`<code>${JSON.stringify(value)}</code>`;
}

export function orDash(value: HtmlValue): HtmlValue {
  return value === null || value === undefined || value === '' ? html`<span class="muted">—</span>` : value;
}

/** A definition list of label → value, in order. */
export function facts(rows: readonly [string, HtmlValue][]): Html {
  return html`<dl class="facts">
    ${rows.map(
      ([label, value]) =>
        html`<div>
          <dt>${label}</dt>
          <dd>${orDash(value)}</dd>
        </div>`,
    )}
  </dl>`;
}

export function instanceLink(instanceId: string): Html {
  return html`<a class="id" href="/ui/instances/${encodeURIComponent(instanceId)}">${instanceId}</a>`;
}

export function imageLink(imageId: string): Html {
  return html`<a class="id" href="/ui/manifests/${encodeURIComponent(imageId)}">${imageId}</a>`;
}

/** The distinct rules a replacement job was created for. */
export function jobRules(job: ReplacementJob): string {
  return [...new Set(job.reason.map((r) => r.rule))].join(', ');
}

/** Why remediation waits: the stable code (what alerts and the metric use), the specifics, and since when. */
export function waitReason(reason: { code: string; text: string; since: string } | null, now: Date): Html {
  if (reason === null) return html`<span class="muted">—</span>`;
  return html`<span class="wait-reason" data-reason-code="${reason.code}"
    ><code>${reason.code}</code> ${reason.text}
    <span class="muted">since ${timeAgo(reason.since, now)}</span></span
  >`;
}

export function jobLink(jobId: string): Html {
  return html`<a class="id" href="/ui/replacements/${encodeURIComponent(jobId)}">${jobId}</a>`;
}

/** A table's column headings; `num` columns are right-aligned like their cells. */
export function tableHead(columns: readonly (string | { label: string; num: true })[]): Html {
  return html`<thead>
    <tr>
      ${columns.map((c) =>
        typeof c === 'string'
          ? html`<th scope="col">${c}</th>`
          : html`<th scope="col" class="num">${c.label}</th>`,
      )}
    </tr>
  </thead>`;
}

/**
 * Under a paged table: "Next page" (the cursor in the query string) or "Last page"; `of` names the
 * table for a screen reader when a page holds several.
 */
export function pager(next: string | null, of: string): Html {
  return html`<nav aria-label="Pages of ${of}" class="pager">
    ${next === null ? html`<span class="muted">Last page.</span>` : html`<a rel="next" href="${next}">Next page</a>`}
  </nav>`;
}

/** "Showing 100 of 2,345" (or "Showing all 12") above a paged table. */
export function shownOf(shown: number, total: number, what: string): Html {
  return html`<p class="hint">
    ${shown === total ? `Showing all ${total.toLocaleString('en-US')} ${what}.` : `Showing ${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${what}.`}
  </p>`;
}
