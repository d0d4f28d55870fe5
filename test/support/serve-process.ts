// A spawned `driftwarden serve` (the built CLI) whose JSON log lines a test can wait for.
import { join } from 'node:path';
import { packagePath } from '../../src/package-root.js';
import { spawnCli } from '../cli/run-cli.js';
import { ADMIN_TOKEN, SCAN_TOKEN } from './harness.js';

export interface ServeProcess {
  pid: number;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (parsed) whose message is `msg` and that has `fields`. */
  logged(msg: string, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

interface Waiter {
  match: (line: Record<string, unknown>) => boolean;
  resolve: (line: Record<string, unknown>) => void;
}

/** Spawns `serve` with `env` (log level `info` or lower, so its lines can be waited for). */
export function spawnServe(env: NodeJS.ProcessEnv): ServeProcess {
  const child = spawnCli(['serve'], { env });
  let stdout = '';
  let partial = '';
  const lines: Record<string, unknown>[] = [];
  const waiting: Waiter[] = [];
  const check = (): void => {
    for (const w of waiting.splice(0)) {
      const line = lines.find(w.match);
      if (line) w.resolve(line);
      else waiting.push(w);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts)
      if (text.startsWith('{')) lines.push(JSON.parse(text) as Record<string, unknown>);
    check();
  });
  child.stderr.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('serve did not start');
  return {
    pid,
    exited,
    logged: (msg, fields = {}) =>
      new Promise((resolve, reject) => {
        const match = (line: Record<string, unknown>): boolean =>
          line.msg === msg && Object.entries(fields).every(([key, value]) => line[key] === value);
        waiting.push({ match, resolve });
        check();
        void exited.then(() => reject(new Error(`serve exited before logging "${msg}"\n${stdout}`)));
      }),
  };
}

export interface ShardProcessesOptions {
  /** Where the shards' databases go (`shard-N.db`). */
  dir: string;
  /** One base URL (http://127.0.0.1:PORT) per shard: where it listens, and every shard's peer list. */
  urls: readonly string[];
  /** The simulator's URL. */
  awsEndpoint: string;
  /** `targets` of the configuration every shard reads. */
  targets: unknown[];
}

export interface ServeEnvOptions {
  /** The database file. */
  databasePath: string;
  /** Base URL (http://127.0.0.1:PORT) it listens on. */
  url: string;
  /** The simulator's URL. */
  awsEndpoint: string;
  /** `targets` of its configuration. */
  targets: unknown[];
}

/**
 * The environment of one unsharded `serve` over the simulator, with the harness's admin and scan
 * tokens, logging at `info`; scans run only when asked (and once at start: the schedule is once a year).
 */
export function serveEnv(options: ServeEnvOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DRIFTWARDEN_LOG_LEVEL: 'info',
    DRIFTWARDEN_DATABASE_PATH: options.databasePath,
    DRIFTWARDEN_HTTP_HOST: '127.0.0.1',
    DRIFTWARDEN_HTTP_PORT: new URL(options.url).port,
    DRIFTWARDEN_SCHEDULE: '0 0 1 1 *',
    DRIFTWARDEN_AWS_ENDPOINT: options.awsEndpoint,
    DRIFTWARDEN_TARGETS: JSON.stringify(options.targets),
    DRIFTWARDEN_RULES_DIR: packagePath('rules'),
    DRIFTWARDEN_AUTH_TOKENS: JSON.stringify([
      { name: 'admin', token: ADMIN_TOKEN, scopes: ['admin'] },
      { name: 'ci', token: SCAN_TOKEN, scopes: ['scan'] },
    ]),
  };
}

/**
 * Spawns one `serve` process per URL, shard i of urls.length listening on urls[i] with all of them as
 * peers, with the harness's admin and scan tokens; scans run only when asked (the schedule is once a
 * year). Resolves once every shard serves.
 */
export async function startShardProcesses(options: ShardProcessesOptions): Promise<ServeProcess[]> {
  const count = options.urls.length;
  const shards = options.urls.map((url, index) =>
    spawnServe({
      ...serveEnv({
        databasePath: join(options.dir, `shard-${index}.db`),
        url,
        awsEndpoint: options.awsEndpoint,
        targets: options.targets,
      }),
      DRIFTWARDEN_SHARDS_COUNT: String(count),
      DRIFTWARDEN_SHARDS_INDEX: String(index),
      DRIFTWARDEN_SHARDS_PEERS: JSON.stringify(options.urls),
    }),
  );
  await Promise.all(
    shards.map((s, index) => s.logged('driftwarden serving', { shard: index, shards: count })),
  );
  return shards;
}

/** Stops each process (SIGTERM, by its PID) and waits for it to exit. */
export async function stopServeProcesses(processes: readonly ServeProcess[]): Promise<void> {
  for (const p of processes) {
    process.kill(p.pid, 'SIGTERM');
    await p.exited;
  }
}
