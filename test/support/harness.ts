// Starts the simulator and a daemon on a temp SQLite file, both on 127.0.0.1:0, for integration tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScanJson } from '../../src/app/scan-json.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { pino } from 'pino';
import { createLogger } from '../../src/logging/logger.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { packagePath } from '../../src/package-root.js';
import { SimulatorControl, startSimulator, type AddImageSpec, type Simulator } from '@driftwarden/simulator';
import { manifestForImage, manifestsForImages } from '../../src/demo/demo-manifests.js';
import type { Manifest } from '../../src/domain/types.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const INGEST_TOKEN = 'test-ingest-token-0123456789abcdef';
export const SCAN_TOKEN = 'test-scan-token-0123456789abcdef';

export interface HarnessOptions {
  instances?: number;
  seed?: number;
  regions?: string[];
  /** Extra DRIFTWARDEN_* variables. */
  env?: Record<string, string>;
  importManifests?: boolean;
  /** Simulator lifecycle delays (ms): pending, status checks, termination. */
  lifecycle?: { pendingMs?: number; statusCheckMs?: number; terminateMs?: number };
  /** Keep the daemon's log lines in `logs` (JSON objects) instead of discarding them. */
  captureLogs?: boolean;
  /** The daemon's clock (scans then run on the main thread: a function cannot cross to a thread). */
  clock?: () => Date;
}

export interface Harness {
  dir: string;
  sim: Simulator;
  control: SimulatorControl;
  daemon: Daemon;
  config: Config;
  url: string;
  /** The environment that points the CLI at this harness's database and simulator. */
  cliEnv: NodeJS.ProcessEnv;
  scan(): Promise<ScanJsonBody>;
  get<T = unknown>(path: string): Promise<{ status: number; body: T; headers: Headers }>;
  post<T = unknown>(
    path: string,
    body: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  metrics(): Promise<string>;
  /** Bakes a new image in the simulator and returns its manifest (not imported yet). */
  addImage(spec: AddImageSpec): Promise<Manifest>;
  logs: Record<string, unknown>[];
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** What `POST /api/v1/scans?wait=true` and `scan --once --json` return. */
export type ScanJsonBody = ScanJson;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  const regions = options.regions ?? ['us-east-1', 'eu-west-1'];
  const dir = mkdtempSync(join(tmpdir(), 'dw-it-'));
  const sim = await startSimulator({
    instances: options.instances ?? 60,
    seed: options.seed ?? 7,
    regions,
    ...(options.lifecycle ? { lifecycle: options.lifecycle } : {}),
  });
  const env: Record<string, string> = {
    DRIFTWARDEN_DATABASE_PATH: join(dir, 'driftwarden.db'),
    DRIFTWARDEN_HTTP_PORT: '0',
    DRIFTWARDEN_AWS_ENDPOINT: sim.url,
    DRIFTWARDEN_AWS_MAX_ATTEMPTS: '2',
    DRIFTWARDEN_AWS_MAX_REQUESTS_PER_SECOND: '200',
    DRIFTWARDEN_TARGETS: JSON.stringify([{ regions }]),
    DRIFTWARDEN_RULES_DIR: packagePath('rules'),
    DRIFTWARDEN_LOG_LEVEL: 'silent',
    DRIFTWARDEN_AUTH_TOKENS: JSON.stringify([
      { name: 'admin', token: ADMIN_TOKEN, scopes: ['admin'] },
      { name: 'agent', token: INGEST_TOKEN, scopes: ['ingest'] },
      { name: 'ci', token: SCAN_TOKEN, scopes: ['scan'] },
    ]),
    ...options.env,
  };
  const config = loadConfig({ file: null, cwd: dir, env });
  const logs: Record<string, unknown>[] = [];
  const logger = options.captureLogs
    ? pino(
        { level: 'info' },
        { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
      )
    : createLogger({ level: 'silent', destination: 2, pretty: false });
  let daemon = await startDaemon({
    config,
    logger,
    schedule: false,
    ...(options.clock ? { clock: options.clock } : {}),
  });

  const request = async <T>(method: string, path: string, body?: unknown, token?: string | null) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${daemon.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. /metrics)
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };

  const harness: Harness = {
    dir,
    logs,
    sim,
    control: new SimulatorControl(sim.url),
    daemon,
    config,
    get url() {
      return daemon.url;
    },
    cliEnv: {
      ...process.env,
      ...env,
      DRIFTWARDEN_CONFIG: '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    async scan() {
      const { status, body } = await request<ScanJsonBody>(
        'POST',
        '/api/v1/scans?wait=true',
        undefined,
        SCAN_TOKEN,
      );
      if (status !== 200) throw new Error(`scan failed: ${status} ${JSON.stringify(body)}`);
      return body;
    },
    get: (path) => request('GET', path),
    post: (path, body, token = ADMIN_TOKEN) => request('POST', path, body, token),
    async metrics() {
      return (await request<string>('GET', '/metrics')).body;
    },
    async addImage(spec) {
      return manifestForImage(await harness.control.addImage(spec));
    },
    async restart() {
      await daemon.stop();
      daemon = await startDaemon({
        config,
        logger,
        schedule: false,
        ...(options.clock ? { clock: options.clock } : {}),
      });
      harness.daemon = daemon;
    },
    async close() {
      await daemon.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.importManifests !== false) {
    const manifests = manifestsForImages(await harness.control.images());
    for (const manifest of manifests) {
      const { status } = await harness.post('/api/v1/manifests', manifest);
      if (status !== 201) throw new Error(`manifest import failed with ${status}`);
    }
  }
  return harness;
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample in a Prometheus text exposition, in order. */
export function samples(text: string): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key as string] = value as string;
    found.push({ name: match[1] as string, labels, value: Number(match[4]) });
  }
  return found;
}

/** The sum of the samples matching the labels (e.g. `driftwarden_findings` over its scopes), or undefined when none. */
export function metricSum(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matching = samples(text).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

/** Value of one sample in a Prometheus exposition, or undefined when the series is absent. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples(text).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}
