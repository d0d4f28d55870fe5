// A real Prometheus and Alertmanager (the Debian packages' binaries) on free loopback ports for end-to-end tests, and the shipped dashboards' queries evaluated as Grafana would.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/package-root.js';
import { alertmanagerBinary, prometheusBinary } from './binaries.js';
import { freePort } from './free-port.js';
import { allPanels, dashboards } from './grafana-dashboards.js';
import { waitUntil } from './remediation.js';

const READY_TIMEOUT_MS = 30_000;
/** How long `close()` waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

export interface PromVector {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}
interface PromMatrix {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

/** A server process on 127.0.0.1 with its own temporary directory. */
export interface LoopbackProcess {
  name: string;
  url: string;
  /** The exit code once it has exited by itself (null while it runs, or after a signal). */
  exitCode(): number | null;
  /** The last of what it printed, for failure messages. */
  log(): string;
  /**
   * SIGTERM, then SIGKILL after 5 s; removes its directory. Throws, with its log, when it did not
   * exit cleanly: a non-zero exit code, another signal, or a kill because it ignored SIGTERM.
   */
  close(): Promise<void>;
}

export interface Prometheus extends LoopbackProcess {
  /** When the process was started (epoch ms): the start of Grafana's time range in `evaluateDashboards`. */
  startedAt: number;
  api<T>(endpoint: string, params: Record<string, string | number>): Promise<T>;
  /** An instant query, now or at `time` (epoch ms). */
  query(expr: string, time?: number): Promise<PromVector>;
  /** The first series' value of an instant query now (NaN when there is none). */
  value(expr: string): Promise<number>;
  /** The alerts of the loaded rules (pending and firing); throws with Prometheus's error when the API fails. */
  alerts(): Promise<PromAlert[]>;
}

export interface PrometheusOptions {
  /** host:port of each driftwarden to scrape as job `driftwarden`, every second. */
  targets: string[];
  /** The text of an alert rule file to evaluate every second (see `fastAlertRules`). */
  rules?: string;
  /** host:port of the Alertmanager to send alerts to. */
  alertmanager?: string;
  externalLabels?: Record<string, string>;
}

/**
 * Starts `binary` with the arguments `args(dir, port)` get (a fresh temporary directory and a free
 * port), and resolves once `GET /-/ready` answers 200. On failure it is closed and the error names
 * its exit code and log.
 */
async function startLoopbackProcess(
  name: string,
  binary: string,
  args: (dir: string, port: number) => string[],
  writeConfig: (dir: string) => void,
): Promise<LoopbackProcess> {
  const dir = mkdtempSync(join(tmpdir(), `dw-${name}-`));
  writeConfig(dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, args(dir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('error', (error) => keep(Buffer.from(`\nspawn failed: ${error.message}`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let killed = false;

  const handle: LoopbackProcess = {
    name,
    url,
    exitCode: () => child.exitCode,
    log: () => log,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      if (killed) throw new Error(`${name} ignored SIGTERM for ${STOP_GRACE_MS} ms and was killed:\n${log}`);
      if (child.exitCode !== 0 && child.signalCode !== 'SIGTERM')
        throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode}:\n${log}`);
    },
  };
  try {
    await waitUntil(
      `${name} to be ready at ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${log}`);
        return (await fetch(`${url}/-/ready`).catch(() => null))?.ok;
      },
      READY_TIMEOUT_MS,
      200,
    );
  } catch (error) {
    await handle.close().catch(() => undefined); // the readiness error says more than the exit
    throw error;
  }
  return handle;
}

/**
 * The shipped alert rules (deploy/prometheus/alerts.yml) with every `for:` rewritten to `0s`: the
 * expressions and labels are the shipped ones, the production durations (2m for critical drift)
 * would only make a test slow.
 */
export function fastAlertRules(): string {
  const rules = readFileSync(packagePath('deploy/prometheus/alerts.yml'), 'utf8');
  const fast = rules.replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
  if (fast.match(/^\s+for: 0s$/gm)?.length !== rules.match(/^\s+for: /gm)?.length)
    throw new Error('deploy/prometheus/alerts.yml: a `for:` line this rewrite does not understand');
  return fast;
}

/**
 * Starts Prometheus on a free loopback port, scraping and evaluating every second, and waits until
 * it is ready and has scraped every target up once.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const config = {
    global: {
      scrape_interval: '1s',
      scrape_timeout: '1s',
      evaluation_interval: '1s',
      ...(options.externalLabels ? { external_labels: options.externalLabels } : {}),
    },
    ...(options.alertmanager
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] } }
      : {}),
    scrape_configs: [{ job_name: 'driftwarden', static_configs: [{ targets: options.targets }] }],
  };
  const startedAt = Date.now();
  const server = await startLoopbackProcess(
    'prometheus',
    prometheusBinary(),
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    (dir) => {
      const ruleFiles: string[] = [];
      if (options.rules !== undefined) {
        ruleFiles.push(join(dir, 'alerts.yml'));
        writeFileSync(ruleFiles[0]!, options.rules);
      }
      writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify({ ...config, rule_files: ruleFiles }));
    },
  );

  const api = async <T>(endpoint: string, params: Record<string, string | number>): Promise<T> => {
    const search = new URLSearchParams(
      Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
    );
    return (await (await fetch(`${server.url}/api/v1/${endpoint}?${search.toString()}`)).json()) as T;
  };
  const query = (expr: string, time?: number): Promise<PromVector> =>
    api<PromVector>('query', time === undefined ? { query: expr } : { query: expr, time: time / 1000 });
  const prometheus: Prometheus = {
    ...server,
    startedAt,
    api,
    query,
    value: async (expr) => Number((await query(expr)).data.result[0]?.value[1]),
    async alerts() {
      const body = await api<{ status: string; error?: string; data: { alerts: PromAlert[] } }>('alerts', {});
      if (body.status !== 'success') throw new Error(`prometheus alerts: ${body.error ?? body.status}`);
      return body.data.alerts;
    },
  };
  try {
    await waitUntil(
      `prometheus to scrape ${options.targets.join(', ')}`,
      async () => (await prometheus.value('count(up{job="driftwarden"} == 1)')) === options.targets.length,
      20_000,
      250,
    );
  } catch (error) {
    await prometheus.close().catch(() => undefined); // the scrape error says more than the exit
    throw error;
  }
  return prometheus;
}

/** Starts Alertmanager with `config` (an alertmanager.yml as an object), without clustering, and waits until it is ready. */
export function startAlertmanager(config: object): Promise<LoopbackProcess> {
  return startLoopbackProcess(
    'alertmanager',
    alertmanagerBinary(),
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    (dir) => writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(config)),
  );
}

/** Replaces `$name` and `${name}` / `${name:format}` as Grafana would; an unknown variable fails the test. */
export function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{([\w.]+)(?::\w+)?\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
    const value = vars[(braced ?? bare)!];
    if (value === undefined) throw new Error(`no value for Grafana variable ${match} in ${expr}`);
    return value;
  });
}

export interface DashboardEvaluation {
  /** Every query that failed or returned no finite sample, named by file, panel and refId. */
  empty: string[];
  /** How many queries were evaluated. */
  checked: number;
}

/**
 * Every panel query of the shipped dashboards, evaluated at `evalAt` (epoch ms) over the range since
 * Prometheus started, with the variables and windows Grafana would use for a 1 s scrape interval:
 * instant queries, and range queries for panels that draw over time.
 */
export async function evaluateDashboards(
  prometheus: Prometheus,
  evalAt: number,
): Promise<DashboardEvaluation> {
  const scrapeSeconds = 1;
  const rangeSeconds = Math.ceil((evalAt - prometheus.startedAt) / 1000);
  const intervalSeconds = Math.max(scrapeSeconds, Math.ceil(rangeSeconds / 1000)); // ~1000 data points
  const builtins = {
    // Grafana's $__rate_interval: max($__interval + scrape interval, 4 × scrape interval).
    __rate_interval: `${Math.max(intervalSeconds + scrapeSeconds, 4 * scrapeSeconds)}s`,
    __interval: `${intervalSeconds}s`,
    __interval_ms: String(intervalSeconds * 1000),
    __range: `${rangeSeconds}s`,
    __range_s: String(rangeSeconds),
    __range_ms: String(rangeSeconds * 1000),
  };
  const empty: string[] = [];
  let checked = 0;
  for (const { file, dashboard } of dashboards()) {
    const vars: Record<string, string> = { ...builtins };
    for (const v of dashboard.templating.list)
      vars[v.name] = Array.isArray(v.current.value) ? v.current.value.join('|') : v.current.value;
    for (const panel of allPanels(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        const expr = substitute(target.expr, vars);
        const where = `${file}: panel "${panel.title}" query ${target.refId}: ${expr}`;
        const instant = await prometheus.query(expr, evalAt);
        const finite = instant.data?.result.filter((r) => Number.isFinite(Number(r.value[1]))) ?? [];
        if (instant.status !== 'success') empty.push(`${where} (instant) failed: ${instant.error ?? ''}`);
        else if (finite.length === 0)
          empty.push(`${where} (instant) → ${JSON.stringify(instant.data.result)}`);
        if (target.range) {
          const range = await prometheus.api<PromMatrix>('query_range', {
            query: expr,
            start: prometheus.startedAt / 1000,
            end: evalAt / 1000,
            step: intervalSeconds,
          });
          const points =
            range.data?.result.flatMap((r) => r.values).filter(([, v]) => Number.isFinite(Number(v))) ?? [];
          if (range.status !== 'success') empty.push(`${where} (range) failed: ${range.error ?? ''}`);
          else if (points.length === 0) empty.push(`${where} (range) → ${JSON.stringify(range.data.result)}`);
        }
        checked++;
      }
    }
  }
  return { empty, checked };
}
