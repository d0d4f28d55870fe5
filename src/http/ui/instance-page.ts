// One instance: identity, sources and their freshness, open drift as expected-vs-actual by section, history.
import type { SectionView } from '../../app/instance-findings.js';
import type { StoredFinding, StoredInstance } from '../../app/ports.js';
import { describeOmitted, type TruncatedSummary } from '../../core/finding-cap.js';
import { compareStrings } from '../../core/compare-strings.js';
import type { ReplacementJob } from '../../app/remediation/ports.js';
import type { StoredReason } from '../../app/remediation/reason-port.js';
import type { HostObservation, HostSource, ResolvedManifest } from '../../domain/types.js';
import {
  jobRules,
  changeBadge,
  facts,
  formatAge,
  pager,
  imageLink,
  jobLink,
  orDash,
  renderValue,
  severityBadge,
  statusBadge,
  timeAgo,
  tableHead,
  waitReason,
} from './components.js';
import { html, type Html } from './html.js';
import { renderPage, type PageContext } from './layout.js';

export interface InstanceModel extends PageContext {
  instance: StoredInstance;
  manifest: ResolvedManifest | null;
  /** Open findings: at most the view limit per section (`findingSections` has the counts). */
  findings: StoredFinding[];
  /** Per finding section: how many open findings it holds, and where its paged list continues. */
  findingSections: SectionView[];
  /** Resolved findings, newest first. */
  /** One page of the resolved findings, newest resolved first. */
  history: StoredFinding[];
  /** The next page of resolved findings; null on the last page. */
  historyNext: string | null;
  hosts: HostObservation[];
  /** Freshness limit per host source. */
  hostMaxAgeMs: Record<HostSource, number>;
  /** The newest jobs of the instance; `jobsTotal` counts them all. */
  jobs: ReplacementJob[];
  jobsTotal: number;
  /** Why remediation waits for this instance (its own reason, else its open job's); null when nothing waits. */
  waitReason: StoredReason | null;
  /** The last scan re-observed this instance in EC2 (its region answered). */
  ec2Current: boolean;
}

const SECTIONS: { key: string; title: string; describe: string }[] = [
  { key: 'image', title: 'Image', describe: 'the image itself: unknown, revoked or superseded' },
  {
    key: 'launch',
    title: 'Launch',
    describe: 'what EC2 reports: type, profile, security groups, metadata, tags',
  },
  { key: 'host', title: 'Host', describe: 'inside the instance: packages, files, services' },
];

export function instanceFindingsHref(instanceId: string, section: string): string {
  return `/ui/instances/${encodeURIComponent(instanceId)}/findings?${new URLSearchParams({ section }).toString()}`;
}

function sectionOf(path: string): string {
  const head = path.split('.')[0] ?? '';
  return SECTIONS.some((s) => s.key === head) ? head : 'image';
}

function actualCell(f: StoredFinding): Html {
  if (f.change === 'truncated') return truncatedCell(f);
  if (!f.sources || f.sources.length < 2) return renderValue(f.actual);
  return html`${renderValue(f.actual)}
    <ul class="plain sources">
      ${f.sources.map((s) => html`<li>${s.source}: ${renderValue(s.actual)}</li>`)}
    </ul>`;
}

/** A summary finding stands for findings the scan did not store: say how many, in words. */
function truncatedCell(f: StoredFinding): Html {
  const omitted = (f.actual as Partial<TruncatedSummary> | null)?.omitted ?? 0;
  return html`<span data-field="omitted" data-omitted="${String(omitted)}">${describeOmitted(omitted)}</span>
    <span class="muted">(over scan.maxFindingsPerSection; counted, not stored)</span>`;
}

/** Where a section's list goes on when the page shows only its first findings. */
function moreFindings(instanceId: string, views: readonly SectionView[]): Html | null {
  const cut = views.filter((v) => v.next !== null);
  if (cut.length === 0) return null;
  return html`<ul class="plain more-findings">
    ${cut.map(
      (v) =>
        html`<li data-section="${v.section}">
          Showing the first ${v.items.length} of ${v.total.toLocaleString('en-US')} open ${v.section} findings
          —
          <a href="${instanceFindingsHref(instanceId, v.section)}">all ${v.section} findings, page by page</a>
        </li>`,
    )}
  </ul>`;
}

/** The finding's peer-consensus scope as read in the table (docs/signal.md). */
function scopeText(f: Pick<StoredFinding, 'scope' | 'onset'>): string {
  if (f.scope !== 'fleet-wide') return f.scope;
  return f.onset === null ? 'fleet-wide' : `fleet-wide, ${f.onset}`;
}

export function findingsTable(
  id: string,
  caption: string,
  findings: readonly StoredFinding[],
  now: Date,
): Html {
  return html`<table id="${id}" class="diff">
    <caption>
      ${caption}
    </caption>
    ${tableHead([
      'Change',
      'Path',
      'Expected (manifest)',
      'Actual (running)',
      'Rule',
      'Severity',
      'Peers',
      'Action',
      'First seen',
    ])}
    <tbody>
      ${findings.map(
        (f) =>
          html`<tr data-change="${f.change}" data-path="${f.path}">
            <td>${changeBadge(f.change)}</td>
            <td><code class="path">${f.path}</code></td>
            <td class="expected">
              <span class="visually-hidden">expected: </span>${renderValue(f.expected)}
            </td>
            <td class="actual"><span class="visually-hidden">actual: </span>${actualCell(f)}</td>
            <td>${f.rule}</td>
            <td>${severityBadge(f.severity)}</td>
            <td class="scope" data-scope="${f.scope}">${scopeText(f)}</td>
            <td>
              ${f.action}${f.forMs ? html`<span class="muted"> after ${formatAge(f.forMs)}</span>` : null}
            </td>
            <td>${timeAgo(f.firstSeen, now)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function openDrift(model: InstanceModel): Html {
  const open = model.findings.filter((f) => !f.accepted);
  const views = (key: string): SectionView[] =>
    model.findingSections.filter((v) => sectionOf(v.section) === key);
  const unaccepted = (list: readonly SectionView[]): number =>
    list.reduce((n, v) => n + v.total - v.accepted, 0);
  // Counted, not loaded: the first page of a section may hold only accepted findings.
  if (unaccepted(model.findingSections) === 0) {
    return html`<section aria-labelledby="drift-heading">
      <h2 id="drift-heading">Open drift</h2>
      <p class="notice ok">
        <span aria-hidden="true">✓</span> No open drift: this instance matches its
        manifest${model.findings.length > 0 ? ' apart from accepted findings' : ''}.
      </p>
    </section>`;
  }
  return html`<section aria-labelledby="drift-heading">
    <h2 id="drift-heading">Open drift (${unaccepted(model.findingSections)})</h2>
    ${SECTIONS.map((section) => {
      const items = open.filter((f) => sectionOf(f.path) === section.key);
      if (unaccepted(views(section.key)) === 0) return null;
      const total = unaccepted(views(section.key));
      const caption =
        total > items.length
          ? `${section.title} drift: ${total} findings, the first ${items.length} shown`
          : `${section.title} drift: ${items.length} finding${items.length === 1 ? '' : 's'}`;
      return html`<section aria-labelledby="drift-${section.key}">
        <h3 id="drift-${section.key}">${section.title} <span class="muted">— ${section.describe}</span></h3>
        ${findingsTable(`findings-${section.key}`, caption, items, model.now)}
        ${moreFindings(model.instance.instanceId, views(section.key))}
      </section>`;
    })}
  </section>`;
}

function acceptedDrift(model: InstanceModel): Html | null {
  const accepted = model.findings.filter((f) => f.accepted);
  if (accepted.length === 0) return null;
  return html`<section aria-labelledby="accepted-heading">
    <h2 id="accepted-heading">Accepted drift (${accepted.length})</h2>
    <p class="hint">
      Accepted findings are not counted as drift and never replaced until the acceptance expires.
    </p>
    <table id="findings-accepted" class="diff accepted">
      <caption class="visually-hidden">
        Accepted findings with reason and expiry
      </caption>
      ${tableHead(['Change', 'Path', 'Expected', 'Actual', 'Rule', 'Reason', 'Expires', 'Accepted by'])}
      <tbody>
        ${accepted.map(
          (f) =>
            html`<tr data-path="${f.path}">
              <td>
                <span class="badge accepted"><span aria-hidden="true">≈</span> accepted</span>
                ${changeBadge(f.change)}
              </td>
              <td><code class="path">${f.path}</code></td>
              <td class="expected">${renderValue(f.expected)}</td>
              <td class="actual">${actualCell(f)}</td>
              <td>${f.rule}</td>
              <td data-field="reason">${orDash(f.acceptance?.reason)}</td>
              <td data-field="until">
                ${f.acceptance ? timeAgo(f.acceptance.until, model.now) : html`<span class="muted">—</span>`}
              </td>
              <td>${orDash(f.acceptance?.createdBy)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function identity(model: InstanceModel): Html {
  const { instance, manifest } = model;
  const o = instance.observation;
  return html`<section aria-labelledby="identity-heading">
    <h2 id="identity-heading">Identity</h2>
    ${facts([
      ['Status', statusBadge(instance.status)],
      [
        'In the fleet',
        instance.present
          ? 'yes'
          : instance.releasedAt !== null
            ? html`<strong>no</strong> — released ${timeAgo(instance.releasedAt, model.now)}: its target is no
                longer this replica's (moved to another shard, or removed from the configuration)`
            : html`<strong>no</strong> — gone since the last scan of its region`,
      ],
      ['EC2 state', o.state],
      ['Account', instance.account ?? o.ownerId],
      ['Region', instance.region],
      ['Group', instance.group],
      ['Auto Scaling group', o.asgName],
      ['Image', imageLink(instance.imageId)],
      [
        'Manifest',
        manifest
          ? html`${manifest.manifest.image.name ?? manifest.manifest.image.id}
              <span class="badge manifest-${manifest.status}">${manifest.status}</span>
              ${manifest.manifest.image.channel ? html`channel ${manifest.manifest.image.channel}` : null}`
          : html`<strong>none</strong> — no manifest was baked for this image`,
      ],
      ['Instance type', o.instanceType],
      ['Launched', o.launchTime ? timeAgo(o.launchTime, model.now) : null],
      ['First seen', timeAgo(instance.firstSeen, model.now)],
    ])}
  </section>`;
}

function sources(model: InstanceModel): Html {
  const { instance, now } = model;
  const hostRows = model.hosts.map((h) => {
    const age = now.getTime() - Date.parse(h.observedAt);
    const fresh = age <= model.hostMaxAgeMs[h.source];
    return html`<tr>
      <th scope="row">
        ${h.source === 'agent' ? 'agent (host fingerprint push)' : 'aws-config (SSM inventory)'}
      </th>
      <td>${timeAgo(h.observedAt, now)}</td>
      <td>
        ${
          fresh
            ? html`<span class="badge fresh"><span aria-hidden="true">✓</span> fresh</span>`
            : html`<span class="badge stale"><span aria-hidden="true">…</span> stale</span> (older than
                ${formatAge(model.hostMaxAgeMs[h.source])}; not compared)`
        }
      </td>
      <td>
        ${Object.keys(h.host).sort().join(', ') || html`<span class="muted">no sections</span>`}
        ${
          h.skipped?.length
            ? html`<details>
                <summary>
                  ${h.skipped.length} path${h.skipped.length === 1 ? '' : 's'} unreadable (skipped, never
                  reported as removed)
                </summary>
                <ul class="plain">
                  ${h.skipped.map((s) => html`<li><code>${s.path}</code>: ${s.reason}</li>`)}
                </ul>
              </details>`
            : null
        }
      </td>
    </tr>`;
  });
  const declaresHost = model.manifest?.manifest.host !== undefined;
  return html`<section aria-labelledby="sources-heading">
    <h2 id="sources-heading">Sources</h2>
    <table id="sources">
      <caption class="visually-hidden">
        Where the data about this instance comes from, and how fresh it is
      </caption>
      ${tableHead(['Source', 'Observed', 'Freshness', 'Covers'])}
      <tbody>
        <tr>
          <th scope="row">ec2 (DescribeInstances)</th>
          <td>${timeAgo(instance.lastSeen, now)}</td>
          <td>
            ${
              !instance.present
                ? instance.releasedAt !== null
                  ? html`<span class="muted">released</span> (no longer scanned by this replica)`
                  : html`<span class="muted">gone</span> (not returned by the last scan of its region)`
                : model.ec2Current
                  ? html`<span class="badge fresh"><span aria-hidden="true">✓</span> fresh</span>`
                  : html`<span class="badge stale"><span aria-hidden="true">…</span> stale</span> (its region
                      did not answer the last scan)`
            }
          </td>
          <td>launch</td>
        </tr>
        ${hostRows}
        ${
          model.hosts.length === 0
            ? html`<tr>
                <th scope="row">host</th>
                <td colspan="3">
                  ${
                    declaresHost
                      ? html`<strong>no host data received</strong> — the manifest declares host state; is the
                          agent running?`
                      : html`<span class="muted">no host data (the manifest declares none)</span>`
                  }
                </td>
              </tr>`
            : null
        }
      </tbody>
    </table>
  </section>`;
}

function tags(model: InstanceModel): Html {
  const entries = Object.entries(model.instance.observation.tags).sort(([a], [b]) => compareStrings(a, b));
  return html`<section aria-labelledby="tags-heading">
    <h2 id="tags-heading">Tags</h2>
    <table id="tags">
      <caption class="visually-hidden">
        EC2 tags of the instance
      </caption>
      ${tableHead(['Key', 'Value'])}
      <tbody>
        ${
          entries.length === 0
            ? html`<tr>
                <td colspan="2">No tags.</td>
              </tr>`
            : entries.map(
                ([k, v]) =>
                  html`<tr>
                    <th scope="row"><code>${k}</code></th>
                    <td><code>${v}</code></td>
                  </tr>`,
              )
        }
      </tbody>
    </table>
  </section>`;
}

function history(model: InstanceModel): Html {
  const { now } = model;
  return html`<section aria-labelledby="history-heading">
    <h2 id="history-heading">History</h2>
    <h3 id="replacements-heading">Replacements</h3>
    ${
      model.jobs.length < model.jobsTotal
        ? html`<p class="hint" id="instance-jobs-more">
            Showing the newest ${model.jobs.length} of ${model.jobsTotal.toLocaleString('en-US')} jobs;
            <a
              href="/ui/replacements?${new URLSearchParams({ instanceId: model.instance.instanceId }).toString()}"
              >every job of this instance</a
            >.
          </p>`
        : null
    }
    <table id="instance-jobs">
      <caption class="visually-hidden">
        Replacement jobs of this instance, newest first
      </caption>
      ${tableHead(['Job', 'State', 'Strategy', 'Why', 'Created', 'Finished'])}
      <tbody>
        ${
          model.jobs.length === 0
            ? html`<tr>
                <td colspan="6">No replacement was planned for this instance.</td>
              </tr>`
            : model.jobs.map(
                (j) =>
                  html`<tr>
                    <td>${jobLink(j.jobId)}</td>
                    <td>
                      <span class="badge job-${j.state}">${j.state}</span
                      >${j.error ? html` <span class="error-text">${j.error}</span>` : null}
                    </td>
                    <td>${j.strategy}</td>
                    <td>${jobRules(j)}</td>
                    <td>${timeAgo(j.createdAt, now)}</td>
                    <td>${j.finishedAt ? timeAgo(j.finishedAt, now) : html`<span class="muted">—</span>`}</td>
                  </tr>`,
              )
        }
      </tbody>
    </table>
    <h3 id="resolved-heading">Resolved findings</h3>
    <table id="findings-resolved">
      <caption class="visually-hidden">
        Resolved findings, newest resolved first (one page)
      </caption>
      ${tableHead(['Change', 'Path', 'Expected', 'Actual', 'Rule', 'First seen', 'Resolved', 'Lasted'])}
      <tbody>
        ${
          model.history.length === 0
            ? html`<tr>
                <td colspan="8">No resolved findings.</td>
              </tr>`
            : model.history.map(
                (f) =>
                  html`<tr>
                    <td>${changeBadge(f.change)}</td>
                    <td><code class="path">${f.path}</code></td>
                    <td>${renderValue(f.expected)}</td>
                    <td>${renderValue(f.actual)}</td>
                    <td>${f.rule}</td>
                    <td>${timeAgo(f.firstSeen, now)}</td>
                    <td>${timeAgo(f.resolvedAt, now)}</td>
                    <td>${formatAge(Date.parse(f.resolvedAt ?? f.lastSeen) - Date.parse(f.firstSeen))}</td>
                  </tr>`,
              )
        }
      </tbody>
    </table>
    ${model.history.length === 0 ? null : pager(model.historyNext, 'resolved findings')}
  </section>`;
}

/** Answers "why isn't this instance being replaced?" where the drift is shown. */
function remediationLine(model: InstanceModel): Html | null {
  const reason = model.waitReason;
  if (reason === null) return null;
  return html`<p id="remediation-reason" class="notice">
    Replacement waits${reason.subject === 'job' ? html` (job ${jobLink(reason.id)})` : null}:
    ${waitReason(reason, model.now)}
  </p>`;
}

export function renderInstancePage(model: InstanceModel): string {
  const { instance } = model;
  const name = instance.observation.tags.Name;
  return renderPage({
    notice: model.notice,
    title: `Instance ${instance.instanceId}`,
    section: null,
    now: model.now,
    api: `/api/v1/instances/${encodeURIComponent(instance.instanceId)}`,
    body: html`<nav aria-label="Breadcrumb" class="breadcrumb">
        <a href="/ui">Overview</a> › <span aria-current="page">${instance.instanceId}</span>
      </nav>
      <h1>
        ${instance.instanceId} ${name ? html`<span class="muted">${name}</span>` : null}
        ${statusBadge(instance.status)}
      </h1>
      ${remediationLine(model)} ${openDrift(model)} ${acceptedDrift(model)}
      <div class="split">${identity(model)} ${sources(model)}</div>
      ${tags(model)} ${history(model)}`,
  });
}
