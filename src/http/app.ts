// The express app: health, readiness, metrics, the v1 API, the web UI and problem+json errors for everything else.
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import { createAcceptanceRoutes } from './acceptance-routes.js';
import { createApiRoutes, type ApiRoutesOptions } from './api-routes.js';
import { createAuthenticator, type ApiToken } from './auth.js';
import { fanOutSharedInputs, type FanOutOptions } from './fan-out.js';
import { createFleetRoutes, createFleetView, type FleetViewOptions } from './fleet-routes.js';
import { createRemediationRoutes, type RemediationRoutesOptions } from './remediation-routes.js';
import { openApiText } from './openapi.js';
import { HttpProblem, problemHandler } from './problem.js';
import { createUiRoutes, type UiRoutesOptions } from './ui/ui-routes.js';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HttpAppOptions extends Omit<ApiRoutesOptions, 'requireScope' | 'reasons'> {
  remediation: Omit<RemediationRoutesOptions, 'requireScope' | 'bodyLimit' | 'clock'>;
  views: UiRoutesOptions['views'];
  /** Host observations older than this (per source) are shown as stale. */
  hostMaxAgeMs: UiRoutesOptions['hostMaxAgeMs'];
  bootNoise: UiRoutesOptions['bootNoise'];
  tokens: readonly ApiToken[];
  metrics: Metrics;
  /** Called after a successful API write to what the metrics' state part shows (manifests, remediation, jobs). */
  onStateWrite?: () => void;
  readiness(): ReadinessCheck[];
  logger: Logger;
  /** Sharded with peers: shared-input writes are fanned out to them; absent, every write stays here. */
  fanOut?: FanOutOptions;
  /** The fleet view's shards, targets and peers (`/api/v1/fleet/…`, `/ui/fleet`). */
  fleetView: Omit<FleetViewOptions, 'fleet' | 'snapshot' | 'clock'>;
  /** Shown in the header of every web UI page (`demo`: what it acts on). */
  uiNotice?: string | undefined;
}

// API writes that change a metric without a scan: manifest import or revocation, pause and resume,
// approving or cancelling a job. Fleet numbers (findings, instances) change only with a scan.
const STATE_WRITE_PATHS = /^\/(manifests|remediation|replacements)(\/|$)/;

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: Express hashed every answer (SHA-1 of the whole body) for conditional requests that
  // Prometheus, the web UI and API clients do not make; at 100,000 instances under load that was
  // about 4 % of the main thread.
  app.disable('etag');
  app.set('query parser', 'simple');
  const requireScope = createAuthenticator(options.tokens);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const checks = options.readiness();
    const ready = checks.every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.contentType).send(await options.metrics.render());
  });

  // The contract needs no token, like every read; generated once, on the first request.
  let openApi: string | null = null;
  app.get('/api/v1/openapi.json', (_req, res) => {
    openApi ??= openApiText();
    res.type('application/json').send(openApi);
  });

  app.use('/api/v1', (req, res, next) => {
    const onStateWrite = options.onStateWrite;
    if (onStateWrite && req.method !== 'GET' && STATE_WRITE_PATHS.test(req.path)) {
      // After the answer is written and before the next request is read, so a client that scrapes
      // right after its write sees it.
      res.once('finish', () => {
        if (res.statusCode < 400) onStateWrite();
      });
    }
    next();
  });
  if (options.fanOut) app.use('/api/v1', fanOutSharedInputs(options.fanOut));
  app.use('/api/v1', createApiRoutes({ ...options, reasons: options.remediation.reasons, requireScope }));
  app.use('/api/v1', createAcceptanceRoutes({ ...options, requireScope }));
  const fleetViewOptions: FleetViewOptions = {
    ...options.fleetView,
    fleet: options.fleet,
    snapshot: () => options.metrics.fleetSnapshot(),
    clock: options.clock,
  };
  const fleetView = createFleetView(fleetViewOptions);
  app.use('/api/v1', createFleetRoutes(fleetViewOptions, fleetView));
  app.use(
    '/api/v1',
    createRemediationRoutes({
      ...options.remediation,
      requireScope,
      bodyLimit: options.bodyLimit,
      clock: options.clock,
    }),
  );

  app.get('/', (_req, res) => {
    res.redirect(302, '/ui');
  });
  app.use(
    '/ui',
    createUiRoutes({
      ...options,
      ...options.remediation,
      remediation: options.remediation.remediation,
      fleetView,
      notice: options.uiNotice,
    }),
  );

  app.use((req, _res, next) => {
    next(new HttpProblem(404, 'Not found', `No route for ${req.method} ${req.path}.`));
  });
  app.use(problemHandler(options.logger));
  return app;
}
