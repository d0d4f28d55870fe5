// `driftwarden demo`, run: simulator + daemon in one process, drift injected now and then, a build revoked, AWS throttling, URLs printed.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { importManifests } from '../../app/manifest-service.js';
import { loadConfig } from '../../config/index.js';
import { parseManifestObject } from '../../manifests/parse-manifest.js';
import { errorMessage } from '../../domain/errors.js';
import { createLogger } from '../../logging/logger.js';
import { openStore } from '../../store/index.js';
import { packagePath } from '../../package-root.js';
import { loadSimulator } from '../../demo/load-simulator.js';
import { manifestsForImages } from '../../demo/demo-manifests.js';
import { createDriftInjector } from '../../demo/demo-drift.js';
import { injectThrottling, revokeForFixedBuild } from '../../demo/demo-events.js';
import { trapSignals } from './serve-action.js';

export interface DemoOptions {
  port: number;
  host: string;
  instances: number;
  seed: number;
  interval: number;
  driftEvery: number;
  /** What remediation does to the simulated fleet: replace for real, or only plan. */
  mode: 'enforce' | 'dry-run';
  /** Seconds after start-up until a build is revoked. */
  revokeAfter: number;
  /** Seconds after start-up until the throttling burst. */
  throttleAfter: number;
  data: string;
  duration?: number;
}

const REGIONS = ['us-east-1', 'eu-west-1'];
const THROTTLED_REGION = 'eu-west-1';

export async function runDemo(options: DemoOptions): Promise<void> {
  const logger = createLogger({ level: 'info', destination: 1 });
  const stopOnSignal = trapSignals(logger);
  const { startDaemon } = await import('../../main.js'); // loaded on use, see scan.ts
  const { startSimulator } = await loadSimulator();
  const dataDir = resolve(options.data);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const sim = await startSimulator({
    instances: options.instances,
    seed: options.seed,
    regions: REGIONS,
  });
  // The simulator ignores signatures, but the SDK's credential chain must find something.
  process.env.AWS_ACCESS_KEY_ID ??= 'demo';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'demo';
  const token = `demo-${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    file: null,
    cwd: dataDir,
    env: {
      DRIFTWARDEN_DATABASE_PATH: resolve(dataDir, 'driftwarden.db'),
      DRIFTWARDEN_HTTP_HOST: options.host,
      DRIFTWARDEN_HTTP_PORT: String(options.port),
      DRIFTWARDEN_SCHEDULE: `*/${options.interval} * * * * *`,
      DRIFTWARDEN_AWS_ENDPOINT: sim.url,
      DRIFTWARDEN_TARGETS: JSON.stringify([{ regions: REGIONS, filters: { 'tag:managed-by': ['packer'] } }]),
      DRIFTWARDEN_RULES_DIR: packagePath('rules'),
      DRIFTWARDEN_SCAN_STALE_AFTER: `${options.interval * 3}s`,
      DRIFTWARDEN_AUTH_TOKENS: JSON.stringify([{ name: 'demo', token, scopes: ['admin'] }]),
      // Only ever the simulator's fleet (DRIFTWARDEN_AWS_ENDPOINT above); the budgets stay the defaults.
      DRIFTWARDEN_REMEDIATION_MODE: options.mode,
      // Simulated instances start in a second, so a job's steps need not wait the default 5 s apart.
      DRIFTWARDEN_REMEDIATION_POLL_INTERVAL: '1s',
      DRIFTWARDEN_DEMO_TOKEN: token,
    },
  });

  // Manifests go in before the daemon's first scan, through the same parser as `manifest import`.
  const manifests = manifestsForImages(sim.fleet.images).flatMap((m) =>
    parseManifestObject(m, 'simulator manifests'),
  );
  const store = openStore(config.database.path, { now: () => new Date() });
  const results = importManifests(store.manifests, manifests, new Date());
  // One drift someone has accepted for a week, so the UI shows what an acceptance looks like.
  const tolerated = sim.fleet.allInstances().find((i) => i.state === 'running' && i.channel !== null);
  if (tolerated) {
    sim.fleet.drift(tolerated.instanceId, { tags: { role: null } });
    store.acceptances.add(
      {
        instanceId: tolerated.instanceId,
        rule: null,
        reason: 'demo: the role tag moves to the team tag with the next bake',
        until: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        createdBy: 'demo',
      },
      new Date().toISOString(),
    );
  }
  store.close();
  logger.info({ manifests: results.length }, 'demo: imported the simulated fleet’s manifests');
  const notice = `demo: ${options.mode} against the simulated fleet`;
  const daemon = await startDaemon({ config, logger, uiNotice: notice });
  const api = { url: daemon.url, token };
  // The accepted drift stays as it is: neither drifted, healed nor revoked by the demo.
  const exclude = tolerated ? [tolerated.instanceId] : [];

  const injector = createDriftInjector({ sim, api, logger, seed: options.seed, exclude });
  await injector.pushFingerprints();
  await injector.injectOne(); // drift before the first scan finishes, so the dashboards move at once
  const timers = [
    setInterval(
      () =>
        void injector
          .injectOne()
          .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'demo drift failed')),
      options.driftEvery * 1000,
    ),
    setInterval(
      () =>
        void injector
          .pushFingerprints()
          .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'demo push failed')),
      options.interval * 1000,
    ),
  ];
  const events = [
    setTimeout(() => injectThrottling(sim, THROTTLED_REGION, logger), options.throttleAfter * 1000),
    setTimeout(
      () =>
        void revokeForFixedBuild({ sim, api, logger, exclude }).catch((e: unknown) =>
          logger.warn({ err: errorMessage(e) }, 'demo revocation failed'),
        ),
      options.revokeAfter * 1000,
    ),
  ];
  const { maxConcurrent, maxPerHour } = config.remediation;
  const remediation =
    options.mode === 'enforce'
      ? `Remediation: ${notice}: due replace findings really replace simulated instances,\n` +
        `  within the budgets (maxConcurrent ${maxConcurrent}, maxPerHour ${maxPerHour}). --mode dry-run only plans them.\n`
      : `Remediation: ${notice}: due replace findings are planned, nothing is replaced.\n`;

  process.stdout.write(
    `\ndriftwarden demo is running (${sim.fleet.allInstances().length} simulated instances in ${REGIONS.join(', ')})\n` +
      `  web UI:     ${daemon.url}/ui\n` +
      `  metrics:    ${daemon.url}/metrics\n` +
      `  instances:  ${daemon.url}/api/v1/instances?status=drifted\n` +
      `  findings:   ${daemon.url}/api/v1/findings\n` +
      `  scans:      ${daemon.url}/api/v1/scans\n` +
      `  replacements (${options.mode === 'enforce' ? 'real, in the simulator' : 'dry-run plans'}): ${daemon.url}/api/v1/replacements\n` +
      `  health:     ${daemon.url}/healthz  ${daemon.url}/readyz\n` +
      `  simulator:  ${sim.url}/_sim/fleet\n` +
      `  write token (scope admin): ${token}\n` +
      `  e.g. curl -X POST -H 'Authorization: Bearer ${token}' '${daemon.url}/api/v1/scans?wait=true'\n` +
      `Scans every ${options.interval}s, a new drift every ${options.driftEvery}s; after ${options.throttleAfter}s AWS throttles\n` +
      `DescribeInstances in ${THROTTLED_REGION} for a moment; after ${options.revokeAfter}s a build is revoked (a fixed one published).\n` +
      remediation +
      `Ctrl-C stops.\n\n`,
  );

  const stopAll = async (): Promise<void> => {
    for (const t of timers) clearInterval(t);
    for (const t of events) clearTimeout(t);
    await sim.close();
  };
  if (options.duration !== undefined) {
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), options.duration * 1000).unref();
  }
  await stopOnSignal(daemon);
  await stopAll();
}
