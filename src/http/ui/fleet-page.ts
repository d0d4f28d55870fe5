// The fleet page: totals merged across shards, which shards answered, and every target with stale ones marked.
import type { FleetSummary, FleetTargets, StaleReason } from '../../app/fleet-view.js';
import { INSTANCE_STATUSES, SEVERITIES } from '../../domain/types.js';
import { severityBadge, statusLabel, tableHead, timeAgo } from './components.js';
import { html, type Html } from './html.js';
import { renderPage, type PageContext } from './layout.js';

export interface FleetPageModel extends PageContext {
  summary: FleetSummary;
  targets: FleetTargets;
}

const STALE_REASON: Record<StaleReason, string> = {
  'shard-not-answering': 'its shard did not answer',
  'never-scanned': 'never listed',
  'not-scanned-recently': 'not listed within scan.staleAfter',
};

function stateBadge(state: 'fresh' | 'stale', text: string = state): Html {
  return html`<span class="badge ${state}"
    ><span aria-hidden="true">${state === 'fresh' ? '✓' : '!'}</span> ${text}</span
  >`;
}

function shardsTable(summary: FleetSummary): Html {
  return html`<table id="fleet-shards">
    <caption>
      Shards
    </caption>
    ${tableHead([
      'Shard',
      'Answered',
      { label: 'Targets', num: true },
      { label: 'Stale targets', num: true },
      { label: 'Instances', num: true },
      { label: 'Open findings', num: true },
    ])}
    <tbody>
      ${summary.shards.map(
        (s) =>
          html`<tr data-shard="${s.shard}" class="${s.answered ? '' : 'shard-down'}">
            <td>${s.shard}</td>
            <td>${s.answered ? stateBadge('fresh', 'answered') : stateBadge('stale', 'no answer')}</td>
            <td class="num">${s.targets}</td>
            <td class="num ${s.staleTargets > 0 ? 'has-stale' : ''}">${s.staleTargets}</td>
            <td class="num">
              ${s.instances === null ? '—' : INSTANCE_STATUSES.reduce((n, st) => n + (s.instances?.[st] ?? 0), 0)}
            </td>
            <td class="num">${s.findings ?? '—'}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function totals(summary: FleetSummary): Html {
  return html`<table id="merged-totals" class="counts">
    <caption>
      Instances and open findings (shards that answered)
    </caption>
    <tbody>
      ${INSTANCE_STATUSES.map(
        (st) =>
          html`<tr>
            <th scope="row">${statusLabel(st)}</th>
            <td class="num" data-state="${st}">${summary.instances[st]}</td>
          </tr>`,
      )}
      ${SEVERITIES.map(
        (sev) =>
          html`<tr>
            <th scope="row">${severityBadge(sev)} findings</th>
            <td class="num" data-severity="${sev}">${summary.findings.bySeverity[sev]}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function renderFleetPage(model: FleetPageModel): string {
  const { summary, targets, now, notice } = model;
  const down = summary.shards.filter((s) => !s.answered);
  const failedPeers = summary.peers.filter((p) => p.error !== null);
  return renderPage({
    title: 'Fleet',
    section: 'fleet',
    now,
    notice,
    api: '/api/v1/fleet/summary',
    body: html`<h1>Fleet</h1>
      <p class="hint">
        ${
          summary.shardCount === 1
            ? 'One replica: this is its own data.'
            : html`${summary.shardCount} shards, merged from every replica that answered.`
        }
        ${summary.targets.total} target(s): ${summary.targets.fresh} fresh, ${summary.targets.stale} stale.
      </p>
      ${
        down.length > 0
          ? html`<p class="notice" role="status" id="shards-down">
              Shard(s) ${down.map((s) => s.shard).join(', ')} did not answer: their targets are shown stale
              and their instances and findings are left out of the totals.
            </p>`
          : null
      }
      ${
        failedPeers.length > 0
          ? html`<ul class="peer-errors">
              ${failedPeers.map((p) => html`<li><code>${p.url}</code>: ${p.error}</li>`)}
            </ul>`
          : null
      }
      ${totals(summary)} ${shardsTable(summary)}
      <table id="fleet-targets">
        <caption>
          Targets
        </caption>
        ${tableHead(['Account', 'Region', 'Shard', 'Last listed', 'State'])}
        <tbody>
          ${targets.items.map(
            (t) =>
              html`<tr data-state="${t.state}" class="${t.state === 'stale' ? 'target-stale' : ''}">
                <td>${t.account ?? '(default)'}</td>
                <td>${t.region}</td>
                <td>${t.shard}</td>
                <td>${timeAgo(t.lastScannedAt, now)}</td>
                <td>
                  ${
                    t.staleReason === null
                      ? stateBadge('fresh')
                      : html`${stateBadge('stale')} <span class="muted">${STALE_REASON[t.staleReason]}</span>`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`,
  });
}
