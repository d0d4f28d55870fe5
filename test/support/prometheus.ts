// A real Prometheus scraping one driftwarden every second, and the shipped dashboards' queries evaluated on it as Grafana would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusBinary } from './binaries.js';
import { freePort } from './free-port.js';
import { allPanels, dashboards } from './grafana-dashboards.js';
import { waitUntil } from './remediation.js';

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

export interface Prometheus {
  url: string;
  /** When the process was started (epoch ms): the start of Grafana's time range in the queries below. */
  startedAt: number;
  api<T>(endpoint: string, params: Record<string, string | number>): Promise<T>;
  /** An instant query, now or at `time` (epoch ms). */
  query(expr: string, time?: number): Promise<PromVector>;
  /** The first series' value of an instant query now (NaN when there is none). */
  value(expr: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts Prometheus on a free loopback port, scraping `target` (host:port) as job `driftwarden`
 * every second, and waits until it has scraped it once.
 */
export async function startPrometheus(target: string): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: driftwarden',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    prometheusBinary(),
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  child.once('error', (error) => (log += `\nspawn failed: ${error.message}`));
  const startedAt = Date.now();

  const api = async <T>(endpoint: string, params: Record<string, string | number>): Promise<T> => {
    const search = new URLSearchParams(
      Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
    );
    return (await (await fetch(`${url}/api/v1/${endpoint}?${search.toString()}`)).json()) as T;
  };
  const query = (expr: string, time?: number): Promise<PromVector> =>
    api<PromVector>('query', time === undefined ? { query: expr } : { query: expr, time: time / 1000 });
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntil(
      'prometheus to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
        return (await fetch(`${url}/-/ready`).catch(() => null))?.ok;
      },
      20_000,
      200,
    );
    await waitUntil(
      'prometheus to scrape the daemon',
      async () => (await query('up{job="driftwarden"} == 1')).data.result.length > 0,
      20_000,
      250,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    startedAt,
    api,
    query,
    value: async (expr) => Number((await query(expr)).data.result[0]?.value[1]),
    close,
  };
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
