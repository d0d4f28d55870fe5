// Fleet overview: counts by state per region and group, their 24-hour trend, recent scans, remediation state, drifted instances.
import {
  DRIFTED_SORT_DESCENDING_BY_DEFAULT,
  type DriftedInstance,
  type DriftedSortKey,
  type ScanRecord,
  type StatusCount,
} from '../../app/ports.js';
import type { RemediationSwitch } from '../../app/remediation/ports.js';
import { compareStrings } from '../../core/compare-strings.js';
import {
  FINDING_SCOPES,
  INSTANCE_STATUSES,
  SEVERITIES,
  type FindingScope,
  type InstanceStatus,
  type Severity,
} from '../../domain/types.js';
import {
  formatAge,
  formatDurationShort,
  formatTime,
  imageLink,
  instanceLink,
  orDash,
  pager,
  severityBadge,
  statusBadge,
  statusLabel,
  timeAgo,
  tableHead,
} from './components.js';
import { html, type Html } from './html.js';
import { renderPage, type PageContext } from './layout.js';
import { trendSection, type TrendModel } from './trend-chart.js';

export interface DriftedTableQuery {
  region?: string;
  group?: string;
  severity?: Severity;
  rule?: string;
  scope?: FindingScope;
  instance?: string;
  sort: DriftedSortKey;
  dir?: 'asc' | 'desc';
  perPage: number;
  /** The opaque cursor where the page starts (absent: the first page). */
  drifted?: string;
}

export interface RemediationView {
  mode: string;
  state: RemediationSwitch;
  inFlight: number;
  awaitingApproval: number;
}

export interface OverviewModel extends PageContext {
  counts: StatusCount[];
  scans: ScanRecord[];
  trend: TrendModel;
  scanRunning: boolean;
  remediation: RemediationView;
  /** One page of the table, how many match in all, and the link to the next page (null: last). */
  drifted: { items: DriftedInstance[]; total: number; next: string | null };
  /** The page did not start at the beginning (a cursor was given). */
  continued: boolean;
  facets: { regions: string[]; groups: string[]; rules: string[] };
  query: DriftedTableQuery;
}

type Counts = Record<InstanceStatus, number>;

function emptyCounts(): Counts {
  return Object.fromEntries(INSTANCE_STATUSES.map((s) => [s, 0])) as Counts;
}

function sum(counts: Counts): number {
  return INSTANCE_STATUSES.reduce((n, s) => n + counts[s], 0);
}

function countsBy(rows: readonly StatusCount[], key: (r: StatusCount) => string): [string, Counts][] {
  const byKey = new Map<string, Counts>();
  for (const row of rows) {
    const k = key(row);
    const counts = byKey.get(k) ?? emptyCounts();
    counts[row.status] += row.count;
    byKey.set(k, counts);
  }
  return [...byKey.entries()].sort(([a], [b]) => compareStrings(a, b));
}

function countsTable(
  id: string,
  caption: string,
  heading: string,
  rows: [string, Counts][],
  total: Counts,
): Html {
  return html`<table id="${id}" class="counts">
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        <th scope="col">${heading}</th>
        ${INSTANCE_STATUSES.map((s) => html`<th scope="col" class="num">${statusLabel(s)}</th>`)}
        <th scope="col" class="num">total</th>
      </tr>
    </thead>
    <tbody>
      ${
        rows.length === 0
          ? html`<tr>
              <td colspan="${INSTANCE_STATUSES.length + 2}">No instances seen yet.</td>
            </tr>`
          : rows.map(
              ([name, counts]) =>
                html`<tr>
                  <th scope="row">${name}</th>
                  ${INSTANCE_STATUSES.map(
                    (s) =>
                      html`<td class="num ${counts[s] > 0 ? `has-${s}` : ''}" data-status="${s}">
                        ${counts[s]}
                      </td>`,
                  )}
                  <td class="num" data-status="total">${sum(counts)}</td>
                </tr>`,
            )
      }
    </tbody>
    <tfoot>
      <tr>
        <th scope="row">all</th>
        ${INSTANCE_STATUSES.map((s) => html`<td class="num" data-status="${s}">${total[s]}</td>`)}
        <td class="num" data-status="total">${sum(total)}</td>
      </tr>
    </tfoot>
  </table>`;
}

function fleetSection(model: OverviewModel): Html {
  const total = emptyCounts();
  for (const row of model.counts) total[row.status] += row.count;
  const byRegion = countsBy(model.counts, (r) => (r.account ? `${r.account} / ${r.region}` : r.region));
  const byGroup = countsBy(model.counts, (r) => r.group ?? '(no group)');
  return html`<section aria-labelledby="fleet-heading">
    <h2 id="fleet-heading">Fleet</h2>
    <ul class="totals" id="fleet-totals">
      ${INSTANCE_STATUSES.map(
        (s) =>
          html`<li class="total status-${s}">
            <span class="total-count" data-status="${s}">${total[s]}</span>
            <span class="total-label">${statusLabel(s)}</span>
          </li>`,
      )}
      <li class="total">
        <span class="total-count" data-status="total">${sum(total)}</span>
        <span class="total-label">instances</span>
      </li>
    </ul>
    <div class="split">
      ${countsTable('counts-by-region', 'Instances by region', 'Region', byRegion, total)}
      ${countsTable('counts-by-group', 'Instances by group (Auto Scaling group, else channel)', 'Group', byGroup, total)}
    </div>
  </section>`;
}

function scansSection(model: OverviewModel): Html {
  return html`<section aria-labelledby="scans-heading">
    <h2 id="scans-heading">Recent scans</h2>
    ${model.scanRunning ? html`<p class="notice">A scan is running now.</p>` : null}
    <table id="scans">
      <caption class="visually-hidden">
        The last scans, newest first
      </caption>
      ${tableHead(['Finished', 'Outcome', { label: 'Duration', num: true }, { label: 'Instances', num: true }, { label: 'Drifted', num: true }, 'Targets not answering'])}
      <tbody>
        ${
          model.scans.length === 0
            ? html`<tr>
                <td colspan="6">No scan has finished yet.</td>
              </tr>`
            : model.scans.map((scan) => {
                const failed = scan.targets.filter(
                  (t) => t.status !== 'ok' || t.inventory?.status === 'stale',
                );
                return html`<tr>
                  <td>${timeAgo(scan.finishedAt, model.now)}</td>
                  <td><span class="badge outcome-${scan.outcome}">${scan.outcome}</span></td>
                  <td class="num">
                    ${formatDurationShort(Date.parse(scan.finishedAt) - Date.parse(scan.startedAt))}
                  </td>
                  <td class="num">${scan.instances.total}</td>
                  <td class="num">${scan.instances.drifted}</td>
                  <td>
                    ${
                      failed.length === 0
                        ? html`<span class="muted">none</span>`
                        : html`<ul class="plain">
                            ${failed.map(
                              (t) =>
                                html`<li>
                                  ${t.account ? `${t.account} / ` : ''}${t.region}:
                                  ${t.error ?? t.inventory?.error ?? 'stale'}
                                </li>`,
                            )}
                          </ul>`
                    }
                  </td>
                </tr>`;
              })
        }
      </tbody>
    </table>
  </section>`;
}

const MODE_TEXT: Record<string, string> = {
  off: 'off — drift is reported, nothing is planned or replaced',
  'dry-run': 'dry-run — replacements are planned and recorded, never carried out',
  enforce: 'enforce — drifted instances are replaced within the budgets',
};

export function remediationSummary(view: RemediationView, now: Date): Html {
  const { state } = view;
  return html`<div class="remediation" id="remediation-state">
    <p>
      Mode: <strong data-field="mode">${view.mode}</strong>
      <span class="muted">(${MODE_TEXT[view.mode] ?? view.mode})</span>
    </p>
    <p data-field="paused">
      ${
        state.paused
          ? html`<span class="badge paused"><span aria-hidden="true">⏸</span> paused</span> since
              ${timeAgo(state.pausedAt, now)} by ${orDash(state.pausedBy)}: ${state.reason}
              ${state.detail ? html`<span class="muted">(${state.detail})</span>` : null}`
          : html`<span class="badge running"><span aria-hidden="true">▶</span> active</span> (not paused)`
      }
    </p>
    <p>
      <a href="/ui/replacements">${view.inFlight} in flight, ${view.awaitingApproval} awaiting approval</a>
    </p>
  </div>`;
}

/** The overview link for this query with some parameters changed; defaults are left out. */
export function overviewHref(query: DriftedTableQuery, change: Partial<DriftedTableQuery>): string {
  const q = { ...query, ...change };
  const params = new URLSearchParams();
  for (const key of ['region', 'group', 'severity', 'rule', 'scope', 'instance'] as const) {
    const value = q[key];
    if (value !== undefined && value !== '') params.set(key, value);
  }
  if (q.sort !== 'severity') params.set('sort', q.sort);
  if (q.dir !== undefined) params.set('dir', q.dir);
  if (q.perPage !== DEFAULT_PER_PAGE) params.set('perPage', String(q.perPage));
  if (q.drifted !== undefined) params.set('drifted', q.drifted);
  const text = params.toString();
  return text ? `/ui?${text}#drifted` : '/ui#drifted';
}

export const DEFAULT_PER_PAGE = 25;

const COLUMNS: { key: DriftedSortKey; label: string; num?: boolean }[] = [
  { key: 'severity', label: 'Severity' },
  { key: 'instance', label: 'Instance' },
  { key: 'rule', label: 'Rules' },
  { key: 'region', label: 'Region' },
  { key: 'group', label: 'Group' },
  { key: 'image', label: 'Image' },
  { key: 'firstSeen', label: 'First seen' },
  { key: 'age', label: 'Age' },
];

/** What the table shows for a sort key and direction (the store applies the same defaults). */
function isDescending(query: DriftedTableQuery, key: DriftedSortKey): boolean {
  return query.dir === undefined ? DRIFTED_SORT_DESCENDING_BY_DEFAULT.includes(key) : query.dir === 'desc';
}

function sortHeader(query: DriftedTableQuery, column: (typeof COLUMNS)[number]): Html {
  const active = query.sort === column.key;
  const descending = isDescending(query, column.key);
  const next = active ? (descending ? 'asc' : 'desc') : undefined;
  const ariaSort = active ? (descending ? 'descending' : 'ascending') : null;
  return html`<th scope="col" ${ariaSort ? html`aria-sort="${ariaSort}"` : null}>
    <a href="${overviewHref(query, { sort: column.key, dir: next })}"
      >${column.label}${active ? html`<span aria-hidden="true">${descending ? ' ▼' : ' ▲'}</span>` : null}<span
        class="visually-hidden"
        >, sort ${active ? (descending ? 'ascending' : 'descending') : 'by this column'}</span
      ></a
    >
  </th>`;
}

function select(name: string, label: string, options: readonly string[], current: string | undefined): Html {
  return html`<div class="field">
    <label for="filter-${name}">${label}</label>
    <select id="filter-${name}" name="${name}">
      <option value="">any</option>
      ${options.map((o) => html`<option value="${o}" ${o === current ? html`selected` : null}>${o}</option>`)}
    </select>
  </div>`;
}

function driftedSection(model: OverviewModel): Html {
  const { query, drifted, facets, now } = model;
  const filtered = ['region', 'group', 'severity', 'rule', 'scope', 'instance'].some(
    (k) => query[k as keyof DriftedTableQuery] !== undefined,
  );
  return html`<section aria-labelledby="drifted-heading" id="drifted">
    <h2 id="drifted-heading">Drifted instances</h2>
    <p class="hint">
      Every instance with open, unaccepted findings. One whose region did not answer the last scan (stale) or
      whose image has no manifest (unknown image) is listed too, so the list can be longer than the drifted
      count.
    </p>
    <form
      class="filters"
      method="get"
      action="/ui#drifted"
      role="search"
      aria-label="Filter drifted instances"
    >
      ${select('region', 'Region', facets.regions, query.region)}
      ${select('group', 'Group', facets.groups, query.group)}
      ${select('severity', 'Severity', [...SEVERITIES].reverse(), query.severity)}
      ${select('rule', 'Rule', facets.rules, query.rule)}
      ${select('scope', 'Peers (scope)', FINDING_SCOPES, query.scope)}
      <div class="field">
        <label for="filter-instance">Instance id starts with</label>
        <input id="filter-instance" name="instance" type="search" value="${query.instance ?? ''}" />
      </div>
      <input type="hidden" name="sort" value="${query.sort}" />
      ${query.dir ? html`<input type="hidden" name="dir" value="${query.dir}" />` : null}
      ${
        query.perPage !== DEFAULT_PER_PAGE
          ? html`<input type="hidden" name="perPage" value="${query.perPage}" />`
          : null
      }
      <div class="field buttons">
        <button type="submit">Filter</button>
        ${filtered ? html`<a href="/ui#drifted">Clear filters</a>` : null}
      </div>
    </form>
    <table id="drifted-table" class="drifted">
      <caption>
        ${
          drifted.total === 0
            ? filtered
              ? 'No drifted instance matches these filters.'
              : 'No drifted instances.'
            : `Drifted instances: showing ${drifted.items.length} of ${drifted.total.toLocaleString('en-US')}${model.continued ? ' (continued)' : ''}`
        }
      </caption>
      <thead>
        <tr>
          ${COLUMNS.map((c) => sortHeader(query, c))}
          <th scope="col">State</th>
          <th scope="col" class="num">Findings</th>
        </tr>
      </thead>
      <tbody>
        ${drifted.items.map(
          (d) =>
            html`<tr data-instance="${d.instanceId}">
              <td>${severityBadge(d.severity)}</td>
              <td>${instanceLink(d.instanceId)}</td>
              <td>${d.rules.join(', ')}</td>
              <td>${d.account ? `${d.account} / ` : ''}${d.region}</td>
              <td>${orDash(d.group)}</td>
              <td>${imageLink(d.imageId)}</td>
              <td>
                <time datetime="${d.firstSeen}" title="${d.firstSeen}">${formatTime(d.firstSeen)}</time>
              </td>
              <td>${formatAge(now.getTime() - Date.parse(d.firstSeen))}</td>
              <td>${statusBadge(d.status)}</td>
              <td class="num">${d.findings}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${model.continued ? html`<p><a href="${overviewHref(query, {})}">First page</a></p>` : null}
    ${drifted.next === null && !model.continued ? null : pager(drifted.next, 'drifted instances')}
  </section>`;
}

export function renderOverviewPage(model: OverviewModel): string {
  return renderPage({
    notice: model.notice,
    title: 'Fleet overview',
    section: 'overview',
    now: model.now,
    api: '/api/v1/instances',
    body: html`<h1>Fleet overview</h1>
      ${fleetSection(model)} ${trendSection(model.trend)}
      <section aria-labelledby="remediation-heading">
        <h2 id="remediation-heading">Remediation</h2>
        ${remediationSummary(model.remediation, model.now)}
      </section>
      ${driftedSection(model)} ${scansSection(model)}`,
  });
}
