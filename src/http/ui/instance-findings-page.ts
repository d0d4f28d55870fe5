// One section of an instance's open findings, page by page: where the instance page's "and N more" leads.
import type { FindingsPage } from '../../app/instance-findings.js';
import type { StoredInstance } from '../../app/ports.js';
import { encodeFindingCursor } from '../finding-cursor.js';
import { pager } from './components.js';
import { html } from './html.js';
import { findingsTable, instanceFindingsHref } from './instance-page.js';
import { renderPage, type PageContext } from './layout.js';

export interface InstanceFindingsModel extends PageContext {
  instance: StoredInstance;
  section: string;
  /** Open findings in the section, accepted ones included. */
  total: number;
  page: FindingsPage;
  /** The page did not start at the beginning (a cursor was given). */
  continued: boolean;
}

export function renderInstanceFindingsPage(model: InstanceFindingsModel): string {
  const { instance, section, page } = model;
  const first = instanceFindingsHref(instance.instanceId, section);
  const next =
    page.next === null
      ? null
      : `${first}&${new URLSearchParams({ cursor: encodeFindingCursor(page.next) }).toString()}`;
  return renderPage({
    notice: model.notice,
    title: `Instance ${instance.instanceId}: ${section} findings`,
    section: null,
    now: model.now,
    api: `/api/v1/instances/${encodeURIComponent(instance.instanceId)}/findings?${new URLSearchParams({ section }).toString()}`,
    body: html`<nav aria-label="Breadcrumb" class="breadcrumb">
        <a href="/ui">Overview</a> ›
        <a href="/ui/instances/${encodeURIComponent(instance.instanceId)}">${instance.instanceId}</a> ›
        <span aria-current="page">${section}</span>
      </nav>
      <h1>${section} findings of ${instance.instanceId}</h1>
      <p>
        ${model.total.toLocaleString('en-US')} open finding${model.total === 1 ? '' : 's'} in ${section}, in
        path order${model.continued ? html` (continued; <a href="${first}">first page</a>)` : null}.
      </p>
      ${findingsTable('findings-page', `${section}: ${page.items.length} findings on this page`, page.items, model.now)}
      ${pager(next, `${section} findings`)}`,
  });
}
