// The replacement queue and history with approve/cancel and pause/resume, and one job with its audit trail.
import { describeOmitted } from '../../core/finding-cap.js';
import {
  OPEN_JOB_STATES,
  isOpenJobState,
  type AuditEntry,
  type ReplacementJob,
} from '../../app/remediation/ports.js';
import type { StoredReason } from '../../app/remediation/reason-port.js';
import {
  jobRules,
  facts,
  instanceLink,
  imageLink,
  jobLink,
  orDash,
  severityBadge,
  changeBadge,
  timeAgo,
  tableHead,
  waitReason,
  pager,
} from './components.js';
import { html, type Html } from './html.js';
import { renderPage, type PageContext } from './layout.js';
import { remediationSummary, type RemediationView } from './overview-page.js';

/** A page of one table and the link to its next page (null on the last page). */
export interface TablePage<T> {
  items: T[];
  next: string | null;
}

export interface ReplacementsModel extends PageContext {
  remediation: RemediationView;
  /** The page shows this instance's jobs, waiting reason and audit entries only (null: every instance's). */
  instanceId: string | null;
  /** Open jobs, newest created first; `openTotal` counts them all (from the per-state counts). */
  open: TablePage<ReplacementJob>;
  openTotal: number;
  /** Why each open job waits, by job id (running jobs have none; their step note says what they wait for). */
  openReasons: Map<string, StoredReason>;
  /** Drifted instances that get no job now, and why (by reason code). */
  waiting: TablePage<StoredReason>;
  finished: TablePage<ReplacementJob>;
  finishedTotal: number;
  /** Audit entries, newest first. */
  audit: TablePage<AuditEntry>;
}

interface ActionButton {
  label: string;
  kind: 'primary' | 'danger';
  /** The API endpoint ui.js POSTs to with the tab's token. */
  url: string;
  /** What the status line says after the page reloads. */
  done: string;
  /** Names the object for a screen reader ("Approve replacement … of …"). */
  ariaLabel?: string;
  /** JSON body; none when the endpoint takes none. */
  body?: string;
  /** Asked with window.confirm before calling. */
  confirm?: string;
}

function actionButton(b: ActionButton): Html {
  return html`<button
    type="button"
    class="${b.kind}"
    data-api-action="${b.url}"
    data-done="${b.done}"
    ${b.body === undefined ? null : html`data-body="${b.body}"`}
    ${b.confirm === undefined ? null : html`data-confirm="${b.confirm}"`}
    ${b.ariaLabel === undefined ? null : html`aria-label="${b.ariaLabel}"`}
  >
    ${b.label}
  </button>`;
}

/**
 * Buttons call the API from ui.js with the tab's token; the page reloads to show the new state.
 * They stay hidden without JavaScript, where they could not work (the page names the CLI instead).
 */
function jobActions(job: ReplacementJob): Html {
  const canApprove = job.state === 'awaiting-approval';
  // A running job finishes or rolls back on its own (see cancelJob); a finished one is history.
  const canCancel = isOpenJobState(job.state) && job.state !== 'running';
  if (!canApprove && !canCancel) return html`<span class="muted">—</span>`;
  const api = `/api/v1/replacements/${encodeURIComponent(job.jobId)}`;
  const what = `replacement ${job.jobId} of ${job.instanceId}`;
  return html`<div class="actions" data-js-only hidden>
    ${
      canApprove
        ? actionButton({
            label: 'Approve',
            kind: 'primary',
            url: `${api}/approve`,
            done: `Approved ${job.jobId}`,
            ariaLabel: `Approve ${what}`,
          })
        : null
    }
    ${
      canCancel
        ? actionButton({
            label: 'Cancel',
            kind: 'danger',
            url: `${api}/cancel`,
            done: `Cancelled ${job.jobId}`,
            ariaLabel: `Cancel ${what}`,
            body: JSON.stringify({ reason: 'cancelled from the web UI' }),
            confirm: `Cancel ${what}?`,
          })
        : null
    }
  </div>`;
}

/** What holds a job back (its wait reason) or what its step waits for (the note). */
function jobStatus(job: ReplacementJob, reasons: ReadonlyMap<string, StoredReason>, now: Date): Html {
  const reason = reasons.get(job.jobId);
  return html`${reason ? html`<div data-field="wait-reason">${waitReason(reason, now)}</div>` : null}${
    job.note ? html`<div class="muted" data-field="note">${job.note}</div>` : null
  }`;
}

/** "12" when the page holds all, else "100 of 2,345". */
function shownOfTotal(shown: number, total: number): string {
  return shown === total ? String(total) : `${shown} of ${total.toLocaleString('en-US')}`;
}

function jobsTable(
  id: string,
  caption: string,
  jobs: readonly ReplacementJob[],
  now: Date,
  withActions: boolean,
  reasons: ReadonlyMap<string, StoredReason> = new Map(),
): Html {
  return html`<table id="${id}" class="jobs">
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        <th scope="col">Job</th>
        <th scope="col">Instance</th>
        <th scope="col">State</th>
        <th scope="col">Strategy</th>
        <th scope="col">Group</th>
        <th scope="col">Reason</th>
        <th scope="col">Created</th>
        <th scope="col">${withActions ? 'Actions' : 'Finished'}</th>
      </tr>
    </thead>
    <tbody>
      ${
        jobs.length === 0
          ? html`<tr>
              <td colspan="8">None.</td>
            </tr>`
          : jobs.map(
              (j) =>
                html`<tr data-job="${j.jobId}">
                  <td>${jobLink(j.jobId)}</td>
                  <td>${instanceLink(j.instanceId)}</td>
                  <td>
                    <span class="badge job-${j.state}" data-field="state">${j.state}</span
                    >${j.step ? html` <span class="muted">step ${j.step}</span>` : null}
                  </td>
                  <td>${j.strategy}</td>
                  <td>${orDash(j.group)}</td>
                  <td>
                    ${jobRules(j)}${j.error ? html`<div class="error-text">${j.error}</div>` : null}${jobStatus(j, reasons, now)}
                  </td>
                  <td>${timeAgo(j.createdAt, now)}</td>
                  <td>
                    ${withActions ? jobActions(j) : j.finishedAt ? timeAgo(j.finishedAt, now) : html`<span class="muted">—</span>`}
                  </td>
                </tr>`,
            )
      }
    </tbody>
  </table>`;
}

function waitingTable(model: ReplacementsModel): Html {
  const { now } = model;
  const waiting = model.waiting.items;
  return html`<table id="waiting-candidates">
    <caption>
      Drifted instances with no job, and why (by reason; this page): ${waiting.length}
    </caption>
    ${tableHead(['Instance', 'Reason', 'Details', 'Since'])}
    <tbody>
      ${
        waiting.length === 0
          ? html`<tr>
              <td colspan="4">None.</td>
            </tr>`
          : waiting.map(
              (r) =>
                html`<tr data-instance="${r.instanceId}" data-reason-code="${r.code}">
                  <td>${instanceLink(r.instanceId)}</td>
                  <td><code>${r.code}</code></td>
                  <td>${r.text}</td>
                  <td>${timeAgo(r.since, now)}</td>
                </tr>`,
            )
      }
    </tbody>
  </table>`;
}

function auditTable(id: string, caption: string, entries: readonly AuditEntry[], now: Date): Html {
  return html`<table id="${id}" class="audit">
    <caption>
      ${caption}
    </caption>
    ${tableHead(['When', 'Actor', 'Action', 'Job', 'Detail'])}
    <tbody>
      ${
        entries.length === 0
          ? html`<tr>
              <td colspan="5">No entries.</td>
            </tr>`
          : entries.map(
              (e) =>
                html`<tr>
                  <td>${timeAgo(e.at, now)}</td>
                  <td>${e.actor}</td>
                  <td><code>${e.action}</code></td>
                  <td>${e.jobId ? jobLink(e.jobId) : html`<span class="muted">—</span>`}</td>
                  <td>
                    ${Object.keys(e.detail).length ? html`<code class="detail">${JSON.stringify(e.detail)}</code>` : html`<span class="muted">—</span>`}
                  </td>
                </tr>`,
            )
      }
    </tbody>
  </table>`;
}

function switchControls(view: RemediationView): Html {
  return view.state.paused
    ? html`<div class="actions" data-js-only hidden>
        ${actionButton({
          label: 'Resume remediation',
          kind: 'primary',
          url: '/api/v1/remediation/resume',
          done: 'Remediation resumed',
        })}
      </div>`
    : html`<form
        class="actions inline"
        data-js-only
        hidden
        data-api-form="/api/v1/remediation/pause"
        data-done="Remediation paused"
      >
        <label for="pause-reason">Reason</label>
        <input
          id="pause-reason"
          name="reason"
          type="text"
          maxlength="1000"
          placeholder="e.g. incident INC-123"
        />
        <button type="submit" class="danger">Pause remediation</button>
      </form>`;
}

export function renderReplacementsPage(model: ReplacementsModel): string {
  const { now } = model;
  return renderPage({
    notice: model.notice,
    title: 'Replacements',
    section: 'replacements',
    now,
    actions: true,
    api:
      model.instanceId === null
        ? '/api/v1/replacements'
        : `/api/v1/replacements?${new URLSearchParams({ instanceId: model.instanceId }).toString()}`,
    body: html`<h1>Replacements</h1>
      ${
        model.instanceId === null
          ? null
          : html`<p class="notice" id="instance-filter">
              Jobs, waiting reason and audit entries of instance ${instanceLink(model.instanceId)} only.
              <a href="/ui/replacements">Every instance</a>
            </p>`
      }
      <section aria-labelledby="remediation-heading">
        <h2 id="remediation-heading">Remediation</h2>
        ${remediationSummary(model.remediation, now)} ${switchControls(model.remediation)}
      </section>
      <section aria-labelledby="queue-heading">
        <h2 id="queue-heading">Queue</h2>
        ${jobsTable('jobs-open', `Open jobs (${OPEN_JOB_STATES.join(', ')}): ${shownOfTotal(model.open.items.length, model.openTotal)}`, model.open.items, now, true, model.openReasons)}
        ${pager(model.open.next, 'open jobs')}
      </section>
      <section aria-labelledby="waiting-heading">
        <h2 id="waiting-heading">Waiting candidates</h2>
        ${waitingTable(model)} ${pager(model.waiting.next, 'waiting candidates')}
      </section>
      <section aria-labelledby="finished-heading">
        <h2 id="finished-heading">History</h2>
        ${jobsTable('jobs-finished', `Finished jobs, newest first: ${shownOfTotal(model.finished.items.length, model.finishedTotal)}`, model.finished.items, now, false)}
        ${pager(model.finished.next, 'finished jobs')}
      </section>
      <section aria-labelledby="audit-heading">
        <h2 id="audit-heading">Audit log</h2>
        ${auditTable('audit', `Entries, newest first: ${model.audit.items.length} on this page`, model.audit.items, now)}
        ${pager(model.audit.next, 'audit entries')}
      </section>`,
  });
}

export interface JobModel extends PageContext {
  job: ReplacementJob;
  waitReason: StoredReason | null;
  /** One page of the job's audit trail, oldest first; `auditTotal` counts every entry. */
  audit: TablePage<AuditEntry>;
  auditTotal: number;
  /** The trail's page did not start at the beginning (a cursor was given). */
  auditContinued: boolean;
}

export function renderJobPage(model: JobModel): string {
  const { job, now } = model;
  return renderPage({
    notice: model.notice,
    title: `Replacement ${job.jobId}`,
    section: 'replacements',
    now,
    actions: true,
    api: `/api/v1/replacements/${encodeURIComponent(job.jobId)}`,
    body: html`<nav aria-label="Breadcrumb" class="breadcrumb">
        <a href="/ui/replacements">Replacements</a> › <span aria-current="page">${job.jobId}</span>
      </nav>
      <h1>
        Replacement ${job.jobId} <span class="badge job-${job.state}" data-field="state">${job.state}</span>
      </h1>
      ${jobActions(job)}
      <div class="split">
        <section aria-labelledby="job-heading">
          <h2 id="job-heading">Job</h2>
          ${facts([
            ['Instance', instanceLink(job.instanceId)],
            ['New instance', job.newInstanceId ? instanceLink(job.newInstanceId) : null],
            ['State', job.state],
            ['Next step', job.step],
            ['Waiting for', job.note],
            ['Held back by', model.waitReason ? waitReason(model.waitReason, now) : null],
            ['Strategy', job.strategy],
            ['Group', job.group],
            ['Auto Scaling group', job.asgName],
            ['Region', job.account ? `${job.account} / ${job.region}` : job.region],
            ['Image', imageLink(job.imageId)],
            ['Target image', job.targetImageId ? imageLink(job.targetImageId) : null],
            ['Attempts', String(job.attempts)],
            ['Approved', job.approvedAt ? html`${timeAgo(job.approvedAt, now)} by ${job.approvedBy}` : null],
            ['Created', timeAgo(job.createdAt, now)],
            ['Started', job.startedAt ? timeAgo(job.startedAt, now) : null],
            ['Finished', job.finishedAt ? timeAgo(job.finishedAt, now) : null],
            ['Error', job.error ? html`<span class="error-text">${job.error}</span>` : null],
          ])}
        </section>
        <section aria-labelledby="reason-heading">
          <h2 id="reason-heading">Why</h2>
          <table id="job-reason">
            <caption class="visually-hidden">
              The findings that made this instance due for replacement
            </caption>
            ${tableHead(['Rule', 'Severity', 'Change', 'Path'])}
            <tbody>
              ${job.reason.map(
                (r) =>
                  html`<tr>
                    <td>${r.rule}</td>
                    <td>${severityBadge(r.severity)}</td>
                    <td>${changeBadge(r.change)}</td>
                    <td>
                      <code class="path">${r.path}</code
                      >${r.omitted === undefined ? null : html` ${describeOmitted(r.omitted)}`}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </section>
      </div>
      <section aria-labelledby="trail-heading">
        <h2 id="trail-heading">Audit trail</h2>
        ${auditTable('job-audit', `Every step and decision, oldest first: ${model.auditContinued ? `${model.audit.items.length} more of ${model.auditTotal.toLocaleString('en-US')}` : shownOfTotal(model.audit.items.length, model.auditTotal)}`, model.audit.items, now)}
        ${model.auditContinued ? html`<p><a href="/ui/replacements/${encodeURIComponent(job.jobId)}#trail-heading">First page</a></p>` : null}
        ${model.audit.next === null && !model.auditContinued ? null : pager(model.audit.next, 'audit entries')}
      </section>`,
  });
}
