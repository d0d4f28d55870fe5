// `npm run bench` (serve part): the real daemon scanning a simulated fleet on a short schedule while
// concurrent loopback clients read it; latency per path, scans, peak RSS, beside the SDK floor.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SimulatorControl } from '@driftwarden/simulator';
import { median, percentile } from './median.js';
import { listInstanceIds } from './sdk-floor.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** This build's CLI: it runs the simulator, and the daemon unless BENCH_SERVE_BIN names another build. */
const OWN_BIN = join(HERE, '../src/cli/bin.js');
/** BENCH_SERVE_BIN measures another build's daemon, e.g. /work/main/dist/src/cli/bin.js. */
const DAEMON_BIN = process.env.BENCH_SERVE_BIN ?? OWN_BIN;
const RULES_DIR = join(HERE, '../../rules');
/** Extra node flags for the daemon only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const DAEMON_NODE_ARGS = (process.env.BENCH_SERVE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

// Bounded in count and time whatever the environment asks for: this runs on shared machines.
const SIZES = (process.env.BENCH_SERVE_SIZES ?? '10000')
  .split(',')
  .map((s) => bounded(Number(s), 1, 100_000));
const CLIENTS = bounded(Number(process.env.BENCH_SERVE_CLIENTS ?? 8), 1, 64);
/** Seconds of client load; by default two scan intervals, at least 60. */
const SECONDS_SETTING = process.env.BENCH_SERVE_SECONDS;
/** Seconds between scheduled scans; a divisor of 60 so it is one cron seconds field. */
/**
 * Seconds between scheduled scans (a divisor of 60): 20 up to 20,000 instances, else the default
 * schedule's 60 s, within which issue 11 asks a 100,000-instance scan to finish under load.
 */
function intervalFor(size: number): number {
  return Number(process.env.BENCH_SERVE_INTERVAL_SECONDS ?? (size > 20_000 ? 60 : 20));
}

function secondsFor(interval: number): number {
  return bounded(Number(SECONDS_SETTING ?? Math.max(60, 2 * interval)), 5, 600);
}
const FLOOR_RUNS = bounded(Number(process.env.BENCH_RUNS ?? 3), 1, 10);
const REQUEST_TIMEOUT_MS = 30_000;
const PATHS = ['/healthz', '/metrics', '/ui', '/api/v1/findings'] as const;
type ReadPath = (typeof PATHS)[number];

/** Issue 11's goals on a 2-core machine, stated for 100,000 instances and 8 clients. */
const P99_GOALS_MS: Partial<Record<ReadPath, number>> = { '/healthz': 50, '/metrics': 500 };
const FLOOR_RATIO_GOAL = 0.75;
const RSS_GOAL_MIB = 400;

function bounded(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) throw new Error(`bench setting ${value} is not a number`);
  return Math.min(max, Math.max(min, Math.floor(value)));
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

/** Spawns `node bin args…` and resolves with the first stdout/stderr line `match` accepts. */
function spawnUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  match: (line: string) => string | null,
): Promise<{ child: ChildProcess; found: string }> {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    let pending = '';
    let done = false;
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        const found = done ? null : match(line);
        if (found !== null) {
          done = true;
          resolve({ child, found });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      if (!done) reject(new Error(`${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`));
    });
  });
}

function runToEnd(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(force);
}

/** Peak resident set of a live process in MiB (VmHWM), read before it exits. */
function peakRssMiB(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

interface ScanRow {
  scanId: string;
  startedAt: string;
  finishedAt: string;
  outcome: string;
}

async function finishedScans(url: string): Promise<ScanRow[]> {
  const res = await fetch(`${url}/api/v1/scans`, { signal: AbortSignal.timeout(120_000) });
  return ((await res.json()) as { items: ScanRow[] }).items;
}

interface Sample {
  /** When the request started (epoch ms), to tell requests made while a scan ran from the rest. */
  at: number;
  ms: number;
  ok: boolean;
}

/** One client: reads the paths in turn, one request at a time, until the deadline. */
async function readUntil(url: string, offset: number, deadline: number, samples: Map<ReadPath, Sample[]>) {
  for (let n = offset; performance.now() < deadline; n++) {
    const path = PATHS[n % PATHS.length] as ReadPath;
    const at = Date.now();
    const started = performance.now();
    let ok = false;
    try {
      const res = await fetch(url + path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await res.arrayBuffer();
      ok = res.ok;
    } catch {
      ok = false;
    }
    samples.get(path)?.push({ at, ms: performance.now() - started, ok });
  }
}

async function benchSize(size: number): Promise<void> {
  const INTERVAL = intervalFor(size);
  const SECONDS = secondsFor(INTERVAL);
  if (60 % INTERVAL !== 0) throw new Error(`BENCH_SERVE_INTERVAL_SECONDS must divide 60, got ${INTERVAL}`);
  const dir = mkdtempSync(join(tmpdir(), 'dw-bench-serve-'));
  const manifestsDir = join(dir, 'manifests');
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The simulator is a process of its own, so serving pages does not delay the clients' timers here.
  const sim = await spawnUntil(
    [
      OWN_BIN,
      'simulate',
      '--port',
      '0',
      '--instances',
      String(size),
      '--seed',
      '42',
      '--regions',
      'us-east-1',
      '--write-manifests',
      manifestsDir,
    ],
    baseEnv,
    dir,
    (line) => /simulator listening on (\S+)/.exec(line)?.[1] ?? null,
  );
  let daemon: ChildProcess | null = null;
  try {
    const simUrl = sim.found;
    const client = new EC2Client({ region: 'us-east-1', endpoint: simUrl });
    // Warm-up, then the floor: the same DescribeInstances pages, nothing else running.
    const ids = await listInstanceIds(client);
    const floors: number[] = [];
    for (let i = 0; i < FLOOR_RUNS; i++) {
      const started = performance.now();
      await listInstanceIds(client);
      floors.push(performance.now() - started);
    }
    client.destroy();
    const floor = median(floors);
    // Written as soon as known: a run stopped by a timeout still says how far it got.
    process.stdout.write(
      `serve under load: ${size} instances, ${CLIENTS} clients for ${SECONDS} s, a scan every ${INTERVAL} s, daemon ${DAEMON_BIN}\n` +
        `  SDK pagination floor (single-threaded, median of ${FLOOR_RUNS}): ${floor.toFixed(0)} ms\n`,
    );
    // 1 % drifted, as in the scan suite, so findings are written, shown and listed.
    const control = new SimulatorControl(simUrl);
    for (const id of ids.slice(0, Math.ceil(size / 100))) await control.drift(id, { httpTokens: 'optional' });

    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      DRIFTWARDEN_DATABASE_PATH: join(dir, 'driftwarden.db'),
      DRIFTWARDEN_HTTP_PORT: '0',
      DRIFTWARDEN_AWS_ENDPOINT: simUrl,
      DRIFTWARDEN_AWS_MAX_REQUESTS_PER_SECOND: '10000',
      DRIFTWARDEN_TARGETS: '[{regions: [us-east-1]}]',
      DRIFTWARDEN_RULES_DIR: RULES_DIR,
      DRIFTWARDEN_SCHEDULE: INTERVAL === 60 ? '0 * * * * *' : `*/${INTERVAL} * * * * *`,
      DRIFTWARDEN_LOG_LEVEL: 'info',
    };
    const manifestFiles = readdirSync(manifestsDir).map((f) => join(manifestsDir, f));
    await runToEnd([DAEMON_BIN, 'manifest', 'import', ...manifestFiles], env, dir);
    const started = await spawnUntil([...DAEMON_NODE_ARGS, DAEMON_BIN, 'serve'], env, dir, (line) =>
      line.includes('driftwarden serving') ? ((JSON.parse(line) as { url?: string }).url ?? null) : null,
    );
    daemon = started.child;
    const url = started.found;

    // The start-up scan writes every row; the clients start once it is done, on the steady state.
    const startupBegan = performance.now();
    let startup: ScanRow[] = [];
    while (startup.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      startup = await finishedScans(url);
      if (performance.now() - startupBegan > 15 * 60_000) throw new Error('the first scan took over 15 min');
    }
    const firstScanMs = Date.parse(startup[0]!.finishedAt) - Date.parse(startup[0]!.startedAt);
    process.stdout.write(
      `  first scan (no clients, writes every row): ${firstScanMs} ms = ${(firstScanMs / floor).toFixed(2)}x floor\n`,
    );

    // The next scheduled scan, still without clients: an unchanged fleet (steady state), alone.
    let alone: ScanRow[] = [];
    while (alone.length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      alone = await finishedScans(url);
      if (performance.now() - startupBegan > 20 * 60_000) throw new Error('the second scan took too long');
    }
    const aloneMs = Date.parse(alone[0]!.finishedAt) - Date.parse(alone[0]!.startedAt);
    process.stdout.write(
      `  steady-state scan (no clients): ${aloneMs} ms = ${(aloneMs / floor).toFixed(2)}x floor; ` +
        `goal ≤ ${FLOOR_RATIO_GOAL}x floor: ${verdict(aloneMs / floor <= FLOOR_RATIO_GOAL)}\n`,
    );

    const samples = new Map<ReadPath, Sample[]>(PATHS.map((p) => [p, []]));
    const windowStart = Date.now();
    const deadline = performance.now() + SECONDS * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => readUntil(url, c, deadline, samples)));
    const windowEnd = Date.now();
    const rss = peakRssMiB(daemon.pid!);
    const scans = await finishedScans(url);
    const during = scans.filter((s) => {
      const finished = Date.parse(s.finishedAt);
      return finished >= windowStart && finished <= windowEnd;
    });
    const durations = during.map((s) => Date.parse(s.finishedAt) - Date.parse(s.startedAt));
    // Requests made while a scan ran (any scan that overlapped the window) and between scans.
    const duringScan = (at: number): boolean =>
      scans.some((s) => at >= Date.parse(s.startedAt) && at <= Date.parse(s.finishedAt));
    const p99Of = (list: Sample[]): string =>
      list.length
        ? percentile(
            list.map((s) => s.ms),
            99,
          ).toFixed(0)
        : '—';

    const out: string[] = [
      `  ${'path'.padEnd(18)} ${'requests'.padStart(8)} ${'errors'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ` +
        `${'p99 scan'.padStart(9)} ${'p99 idle'.padStart(9)}  goal`,
    ];
    for (const path of PATHS) {
      const list = samples.get(path) ?? [];
      const ms = list.map((s) => s.ms);
      const errors = list.filter((s) => !s.ok).length;
      const p50 = ms.length ? percentile(ms, 50) : Number.NaN;
      const p99 = ms.length ? percentile(ms, 99) : Number.NaN;
      const goal = P99_GOALS_MS[path];
      out.push(
        `  ${path.padEnd(18)} ${String(list.length).padStart(8)} ${String(errors).padStart(6)} ` +
          `${p50.toFixed(0).padStart(8)} ${p99.toFixed(0).padStart(8)} ` +
          `${p99Of(list.filter((s) => duringScan(s.at))).padStart(9)} ` +
          `${p99Of(list.filter((s) => !duringScan(s.at))).padStart(9)}  ` +
          (goal === undefined ? '—' : `p99 ≤ ${goal} ms: ${verdict(p99 <= goal && errors === 0)}`),
      );
    }
    const expected = Math.floor(SECONDS / INTERVAL);
    const longest = Math.max(...durations);
    const typical = durations.length ? median(durations) : Number.NaN;
    const everyScanRuns = durations.length >= expected - 1 && durations.every((d) => d <= INTERVAL * 1000);
    out.push(
      `  scans finished during the run: ${during.length} (the schedule asks for ${expected}); ` +
        `every scheduled scan runs: ${verdict(everyScanRuns)}`,
      durations.length === 0
        ? `  scan duration under load: no scan finished during the run; goal ≤ ${FLOOR_RATIO_GOAL}x floor: NOT met`
        : `  scan duration under load: median ${typical.toFixed(0)} ms, max ${longest.toFixed(0)} ms = ` +
            `${(typical / floor).toFixed(2)}x floor (median); within the ${INTERVAL} s interval: ` +
            verdict(longest <= INTERVAL * 1000),
      `  daemon peak RSS (VmHWM): ${rss.toFixed(0)} MiB; goal ≤ ${RSS_GOAL_MIB} MB: ${verdict(rss <= RSS_GOAL_MIB)}`,
      `  (goals are issue 11's for 100,000 instances on 2 cores; the steady-state write ratio is not measured here)`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    if (daemon !== null) await stop(daemon);
    await stop(sim.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchServeUnderLoad(): Promise<void> {
  for (const size of SIZES) await benchSize(size);
}
