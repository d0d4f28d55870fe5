// /ui: the server-rendered web UI over the same repositories as the API; reading needs no JavaScript.
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  DRIFTED_SORT_KEYS,
  type FleetRepository,
  type FleetViews,
  type HostRepository,
  type ManifestRepository,
} from '../../app/ports.js';
import {
  OPEN_JOB_STATES,
  TERMINAL_JOB_STATES,
  type AuditLog,
  type JobRepository,
  type JobState,
  type RemediationStateRepository,
} from '../../app/remediation/ports.js';
import { listBootNoise } from '../../app/boot-noise-suggestions.js';
import { findingsPage, instanceSectionViews } from '../../app/instance-findings.js';
import { DEFAULT_PAGE_SIZE, type Page } from '../../app/paging.js';
import { currentReason, type ReasonRepository } from '../../app/remediation/reason-port.js';
import type { ScanRunner } from '../../app/scan-runner.js';
import { ValidationError } from '../../domain/errors.js';
import { FINDING_SCOPES, HOST_SOURCES, SEVERITIES, type HostSource } from '../../domain/types.js';
import { packagePath } from '../../package-root.js';
import { CURSOR_KEYS, cursorParam, encodeCursor, nextPageHref } from '../cursor.js';
import { sectionFindingsQuery } from '../finding-cursor.js';
import type { FleetView } from '../fleet-routes.js';
import { HttpProblem, toProblem } from '../problem.js';
import { validateInput } from '../validate-input.js';
import { renderBootNoisePage } from './boot-noise-page.js';
import { html } from './html.js';
import { renderFleetPage } from './fleet-page.js';
import { renderInstanceFindingsPage } from './instance-findings-page.js';
import { renderInstancePage } from './instance-page.js';
import { renderPage, type PageContext } from './layout.js';
import { renderManifestPage, renderManifestsPage } from './manifests-page.js';
import { renderMismatchesPage } from './mismatches-page.js';
import { DEFAULT_PER_PAGE, overviewHref, renderOverviewPage, type RemediationView } from './overview-page.js';
import { renderJobPage, renderReplacementsPage, type TablePage } from './replacements-page.js';
import { trendWindow } from './trend-chart.js';

export interface UiRoutesOptions {
  manifests: ManifestRepository;
  fleet: FleetRepository;
  views: FleetViews;
  hosts: HostRepository;
  scans: ScanRunner;
  jobs: JobRepository;
  audit: AuditLog;
  remediation: RemediationStateRepository;
  reasons: ReasonRepository;
  mode: string;
  /** Shown in the header of every page (`demo` says what it acts on); none when absent. */
  notice?: string | undefined;
  hostMaxAgeMs: Record<HostSource, number>;
  /** Every shard's totals and targets, read from the peers. */
  fleetView: FleetView;
  /** `signal.freshWindow`: instances launched this recently are evidence of boot-time noise. */
  bootNoise: { freshWindow: string; freshWindowMs: number };
  clock(): Date;
  logger: Logger;
}

/**
 * Everything the pages load comes from this origin; no inline script or style, so an injected
 * `<script>` that escaped escaping still would not run.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  next();
};

// An empty form field means "any": the filter form submits every field.
const optionalText = z
  .string()
  .max(200)
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const overviewQuery = z.strictObject({
  region: optionalText,
  group: optionalText,
  rule: optionalText,
  instance: optionalText,
  severity: z
    .union([z.enum(SEVERITIES as [string, ...string[]]), z.literal('')])
    .transform((v) => (v === '' ? undefined : (v as (typeof SEVERITIES)[number])))
    .optional(),
  scope: z
    .union([z.enum(FINDING_SCOPES), z.literal('')])
    .transform((v) => (v === '' ? undefined : v))
    .optional(),
  sort: z.enum(DRIFTED_SORT_KEYS).default('severity'),
  dir: z.enum(['asc', 'desc']).optional(),
  perPage: z.coerce.number().int().min(1).max(500).default(DEFAULT_PER_PAGE),
  drifted: cursorParam(CURSOR_KEYS.drifted).optional(),
  // Numbered pages were replaced by the cursor: a saved link opens its view's first page.
  page: z.coerce.number().int().min(1).optional(),
});

function send(res: express.Response, page: string): void {
  res.set('Cache-Control', 'no-store').type('html').send(page);
}

function errorPage(
  status: number,
  title: string,
  detail: string | undefined,
  issues: string[],
  context: PageContext,
): string {
  return renderPage({
    ...context,
    title,
    section: null,
    body: html`<h1>${status} ${title}</h1>
      ${detail ? html`<p class="error-text" role="alert">${detail.split('\n')[0]}</p>` : null}
      ${
        issues.length
          ? html`<ul>
              ${issues.map((i) => html`<li><code>${i}</code></li>`)}
            </ul>`
          : null
      }
      <p><a href="/ui">Back to the overview</a></p>`,
  });
}

// Each table of a page pages on its own: its cursor has its own query parameter, the others stay.
const instancePageQuery = z.strictObject({ history: cursorParam(CURSOR_KEYS.history).optional() });
const manifestsQuery = z.strictObject({ cursor: cursorParam(CURSOR_KEYS.manifest).optional() });
const mismatchesQuery = z.strictObject({ cursor: cursorParam(CURSOR_KEYS.mismatch).optional() });
const manifestQuery = z.strictObject({ cursor: cursorParam(CURSOR_KEYS.instance).optional() });
const replacementsQuery = z.strictObject({
  instanceId: z.string().min(1).max(100).optional(),
  open: cursorParam(CURSOR_KEYS.job).optional(),
  waiting: cursorParam(CURSOR_KEYS.reason).optional(),
  finished: cursorParam(CURSOR_KEYS.job).optional(),
  audit: cursorParam(CURSOR_KEYS.id).optional(),
});
const jobQuery = z.strictObject({ audit: cursorParam(CURSOR_KEYS.id).optional() });

/** The instance page shows its newest jobs; the rest are on `/ui/replacements?instanceId=`. */
const INSTANCE_JOBS_SHOWN = 50;

/** `{after}` when a cursor was given: the page request's optional start. */
function after<K>(cursor: K | undefined): { after?: K } {
  return cursor === undefined ? {} : { after: cursor };
}

/** A table's page with the link to its next page, `param` carrying the cursor. */
function tablePage<T, K>(req: express.Request, page: Page<T, K>, param: string): TablePage<T> {
  return {
    items: page.items,
    next: page.next === null ? null : nextPageHref(req, encodeCursor(page.next), param),
  };
}

export function createUiRoutes(options: UiRoutesOptions): Router {
  const router = Router();
  const { fleet, views, manifests, jobs, audit } = options;
  const clock = (): Date => options.clock();
  const pageContext = (): PageContext => ({ now: clock(), notice: options.notice });
  router.use(securityHeaders);
  router.use(
    '/assets',
    express.static(packagePath('assets'), {
      fallthrough: false,
      index: false,
      maxAge: '1h',
      dotfiles: 'deny',
    }),
  );

  const remediationView = (): RemediationView => {
    const counts = jobs.countByState();
    return {
      mode: options.mode,
      state: options.remediation.get(),
      inFlight: counts.running,
      awaitingApproval: counts['awaiting-approval'],
    };
  };

  router.get('/', (req, res) => {
    const { drifted: cursor, page, ...query } = validateInput(overviewQuery, req.query, 'query');
    if (page !== undefined) {
      res.redirect(302, overviewHref(query, {}));
      return;
    }
    if (cursor !== undefined && cursor[0] !== query.sort) {
      throw new ValidationError('invalid query', [
        `drifted: a cursor of the ${cursor[0]} order; this view sorts by ${query.sort}`,
      ]);
    }
    const drifted = views.listDrifted(
      { ...query, descending: query.dir === undefined ? undefined : query.dir === 'desc' },
      { limit: query.perPage, ...after(cursor) },
    );
    // A saved link can outlive the drift it listed: a page past the end goes to the first page.
    if (cursor !== undefined && drifted.items.length === 0) {
      res.redirect(302, overviewHref(query, {}));
      return;
    }
    const context = pageContext();
    const window = trendWindow(context.now);
    send(
      res,
      renderOverviewPage({
        ...context,
        counts: views.statusCounts(),
        scans: fleet.listScans(10),
        trend: { points: views.trend(window), window },
        scanRunning: options.scans.running,
        remediation: remediationView(),
        drifted: {
          items: drifted.items,
          total: drifted.total,
          next: drifted.next === null ? null : overviewHref(query, { drifted: encodeCursor(drifted.next) }),
        },
        continued: cursor !== undefined,
        facets: views.driftFacets(),
        query,
      }),
    );
  });

  router.get('/fleet', async (_req, res) => {
    send(res, renderFleetPage({ ...pageContext(), ...(await options.fleetView.read()) }));
  });

  router.get('/instances/:id', (req, res) => {
    const id = String(req.params.id);
    const instance = fleet.getInstance(id);
    if (!instance) throw new HttpProblem(404, 'Not found', `No instance ${id} has been seen by a scan.`);
    // Bounded whatever the instance holds: each section's first findings, the history newest first.
    const q = validateInput(instancePageQuery, req.query, 'query');
    const sections = instanceSectionViews(fleet, id);
    const history = tablePage(
      req,
      fleet.pageHistory(id, { limit: DEFAULT_PAGE_SIZE, ...after(q.history) }),
      'history',
    );
    send(
      res,
      renderInstancePage({
        ...pageContext(),
        instance,
        manifest: manifests.get(instance.imageId),
        findings: sections.flatMap((s) => s.items),
        findingSections: sections,
        history: history.items,
        historyNext: history.next,
        // Present instances are re-observed by every scan whose target answers.
        ec2Current: instance.lastScanId === fleet.listScans(1)[0]?.scanId,
        hosts: HOST_SOURCES.flatMap((source) => options.hosts.get(id, source) ?? []),
        hostMaxAgeMs: options.hostMaxAgeMs,
        jobs: jobs.page({ instanceId: id }, { limit: INSTANCE_JOBS_SHOWN }).items,
        jobsTotal: Object.values(jobs.countByState({ instanceId: id })).reduce((n, c) => n + c, 0),
        waitReason: currentReason(options.reasons, id),
      }),
    );
  });

  router.get('/instances/:id/findings', (req, res) => {
    const id = String(req.params.id);
    const instance = fleet.getInstance(id);
    if (!instance) throw new HttpProblem(404, 'Not found', `No instance ${id} has been seen by a scan.`);
    const q = validateInput(sectionFindingsQuery, req.query, 'query');
    const [count] = fleet.countOpenFindings(id, [q.section]);
    send(
      res,
      renderInstanceFindingsPage({
        ...pageContext(),
        instance,
        section: q.section,
        total: count?.open ?? 0,
        page: findingsPage(fleet, id, q.section, q.limit, q.cursor),
        continued: q.cursor !== undefined,
      }),
    );
  });

  router.get('/boot-noise', (_req, res) => {
    const context = pageContext();
    send(
      res,
      renderBootNoisePage({
        ...context,
        freshWindow: options.bootNoise.freshWindow,
        suggestions: listBootNoise(
          { views, manifests },
          context.now.getTime(),
          options.bootNoise.freshWindowMs,
        ),
      }),
    );
  });

  router.get('/manifests', (req, res) => {
    const q = validateInput(manifestsQuery, req.query, 'query');
    const page = tablePage(req, manifests.page({ limit: DEFAULT_PAGE_SIZE, ...after(q.cursor) }), 'cursor');
    send(
      res,
      renderManifestsPage({
        ...pageContext(),
        manifests: page.items,
        total: manifests.count(),
        next: page.next,
        instancesPerImage: views.instancesPerImage(page.items.map((m) => m.manifest.image.id)),
      }),
    );
  });

  router.get('/manifest-mismatches', (req, res) => {
    const q = validateInput(mismatchesQuery, req.query, 'query');
    const page = tablePage(
      req,
      fleet.pageManifestMismatches({ limit: DEFAULT_PAGE_SIZE, ...after(q.cursor) }),
      'cursor',
    );
    send(res, renderMismatchesPage({ ...pageContext(), mismatches: page.items, next: page.next }));
  });

  router.get('/manifests/:imageId', (req, res) => {
    const imageId = String(req.params.imageId);
    const manifest = manifests.get(imageId);
    if (!manifest) throw new HttpProblem(404, 'Not found', `No manifest for image ${imageId}.`);
    const q = validateInput(manifestQuery, req.query, 'query');
    const instances = tablePage(
      req,
      fleet.pageInstances({ imageId }, { limit: DEFAULT_PAGE_SIZE, ...after(q.cursor) }),
      'cursor',
    );
    send(
      res,
      renderManifestPage({
        ...pageContext(),
        manifest,
        instances: instances.items,
        instanceTotal: fleet.countInstances({ imageId }),
        next: instances.next,
      }),
    );
  });

  router.get('/replacements', (req, res) => {
    const { instanceId, ...q } = validateInput(replacementsQuery, req.query, 'query');
    const limit = DEFAULT_PAGE_SIZE;
    // `?instanceId=` narrows the page to one instance: its jobs, its waiting reason, its audit entries.
    const subject = instanceId === undefined ? {} : { instanceId };
    const open = tablePage(
      req,
      jobs.page({ states: OPEN_JOB_STATES, ...subject }, { limit, ...after(q.open) }),
      'open',
    );
    const counts = jobs.countByState(subject);
    const sum = (states: readonly JobState[]): number => states.reduce((n, s) => n + counts[s], 0);
    send(
      res,
      renderReplacementsPage({
        ...pageContext(),
        remediation: remediationView(),
        instanceId: instanceId ?? null,
        open,
        openTotal: sum(OPEN_JOB_STATES),
        openReasons: options.reasons.forJobs(open.items.map((j) => j.jobId)),
        waiting:
          instanceId === undefined
            ? tablePage(req, options.reasons.listInstances({ limit, ...after(q.waiting) }), 'waiting')
            : {
                items: options.reasons.forInstance(instanceId).filter((r) => r.subject === 'instance'),
                next: null,
              },
        finished: tablePage(
          req,
          jobs.page(
            { states: TERMINAL_JOB_STATES, orderBy: 'finished', ...subject },
            { limit, ...after(q.finished) },
          ),
          'finished',
        ),
        finishedTotal: sum(TERMINAL_JOB_STATES),
        audit: tablePage(
          req,
          audit.page({ newestFirst: true, ...subject }, { limit, ...after(q.audit) }),
          'audit',
        ),
      }),
    );
  });

  router.get('/replacements/:jobId', (req, res) => {
    const jobId = String(req.params.jobId);
    const job = jobs.get(jobId);
    if (!job) throw new HttpProblem(404, 'Not found', `No replacement job ${jobId}.`);
    const q = validateInput(jobQuery, req.query, 'query');
    send(
      res,
      renderJobPage({
        ...pageContext(),
        job,
        waitReason: options.reasons.forJobs([jobId]).get(jobId) ?? null,
        audit: tablePage(
          req,
          audit.page({ jobId }, { limit: DEFAULT_PAGE_SIZE, ...after(q.audit) }),
          'audit',
        ),
        auditTotal: audit.count({ jobId }),
        auditContinued: q.audit !== undefined,
      }),
    );
  });

  router.use((req, _res, next) => {
    next(new HttpProblem(404, 'Not found', `No page at ${req.originalUrl.split('?')[0] ?? req.path}.`));
  });

  const uiErrors: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const problem = toProblem(error);
    if (problem.status >= 500) options.logger.error({ err: error, path: req.path }, 'page failed');
    const issues = Array.isArray(problem.extra.errors) ? (problem.extra.errors as string[]) : [];
    res
      .status(problem.status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(errorPage(problem.status, problem.title, problem.detail, issues, pageContext()));
  };
  router.use(uiErrors);
  return router;
}
