// A real Prometheus (the Debian package's binary) on 127.0.0.1 with a given configuration, for end-to-end tests.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../src/package-root.js';
import { prometheusBinary } from './binaries.js';
import { freePort } from './free-port.js';
import { waitUntil } from './remediation.js';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

export interface RunningPrometheus {
  url: string;
  /** The instant vector of `expr` now; throws with Prometheus's error when the query fails. */
  query(expr: string): Promise<PromSample[]>;
  /** The alerts of the loaded rules (pending and firing). */
  alerts(): Promise<PromAlert[]>;
  /** What Prometheus logged (its last lines), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * The shipped alert rules (deploy/prometheus/alerts.yml) with every `for:` rewritten to `0s`, written
 * to `dir`: the expressions and labels are the shipped ones, the production durations would only
 * make a test slow. Returns the file's path.
 */
export function writeFastAlertRules(dir: string): string {
  const rules = readFileSync(packagePath('deploy/prometheus/alerts.yml'), 'utf8');
  const fast = rules.replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
  if (fast.match(/^\s+for: 0s$/gm)?.length !== rules.match(/^\s+for: /gm)?.length)
    throw new Error('deploy/prometheus/alerts.yml: a `for:` line this rewrite does not understand');
  const path = join(dir, 'alerts.yml');
  writeFileSync(path, fast);
  return path;
}

/** Starts Prometheus with `config` (a prometheus.yml as an object) and its data in `dir`; resolves once ready. */
export async function startPrometheus(dir: string, config: object): Promise<RunningPrometheus> {
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    prometheusBinary(),
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const api = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${url}/api/v1/${path}`)).json()) as {
      status: string;
      error?: string;
      data: T;
    };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? body.status}`);
    return body.data;
  };
  await waitUntil(
    'prometheus to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${log}`);
      return (await fetch(`${url}/-/ready`).catch(() => null))?.ok;
    },
    30_000,
    200,
  );
  return {
    url,
    query: async (expr) =>
      (await api<{ result: PromSample[] }>(`query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await api<{ alerts: PromAlert[] }>('alerts')).alerts,
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
