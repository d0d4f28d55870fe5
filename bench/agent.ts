// `npm run bench` (agent part): start-up-to-exit time and peak RSS of `driftwarden agent --once` on a
// 5,000-file tree, beside node's own start-up and `driftwarden --version` measured in the same run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './median.js';

const FILES = Number(process.env.BENCH_AGENT_FILES ?? 5000);
const RUNS = Number(process.env.BENCH_AGENT_RUNS ?? process.env.BENCH_RUNS ?? 5);
const HERE = dirname(fileURLToPath(import.meta.url));
/** BENCH_AGENT_BIN measures another build, e.g. the previous release's dist/src/cli/bin.js. */
const BIN = process.env.BENCH_AGENT_BIN ?? join(HERE, '../src/cli/bin.js');
const RSS_PRELOAD = join(HERE, 'report-max-rss.js');

/** An image root as the default selection sees it: a dpkg status file and FILES small files under /etc. */
function buildTree(root: string): void {
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(
    join(root, 'var/lib/dpkg/status'),
    'Package: nginx\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.22.1-9\n',
  );
  for (let i = 0; i < FILES; i += 1) {
    const dir = join(root, 'etc', `d${i % 50}`);
    if (i < 50) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.conf`), `setting_${i} = ${(i * 7919) % 10007}\n`.repeat(1 + (i % 20)));
  }
}

interface Run {
  ms: number;
  maxRssKiB: number;
}

/** Wall time from spawn to exit, and the child's own peak RSS (reported by the preload on exit). */
async function measure(args: string[], rssFile: string): Promise<Run> {
  rmSync(rssFile, { force: true });
  const start = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RSS_PRELOAD, ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, BENCH_MAX_RSS_FILE: rssFile },
    });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}`);
  return { ms, maxRssKiB: Number(readFileSync(rssFile, 'utf8')) };
}

export async function benchAgent(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-bench-agent-'));
  // Steady state of the systemd timer: the daemon already has every section, so it accepts the digests.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
  });
  try {
    const root = join(dir, 'root');
    buildTree(root);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const server = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const rssFile = join(dir, 'max-rss');
    const cases: [string, string[]][] = [
      ['node -e "" (baseline)', ['-e', '']],
      ['driftwarden --version', [BIN, '--version']],
      [
        `agent --once, ${FILES} files`,
        [
          BIN,
          'agent',
          '--once',
          '--server',
          server,
          '--token',
          'bench',
          '--root',
          root,
          '--instance-id',
          'i-0123456789abcdef0',
          '--log-level',
          'warn',
        ],
      ],
    ];
    // One warm-up of each fills the page cache with the modules and the tree.
    for (const [, args] of cases) await measure(args, rssFile);
    const results = cases.map(() => [] as Run[]);
    for (let i = 0; i < RUNS; i += 1) {
      for (const [index, [, args]] of cases.entries()) results[index]?.push(await measure(args, rssFile));
    }
    const base = median((results[0] ?? []).map((r) => r.ms));
    let report = `agent: ${BIN}, median of ${RUNS} runs, start-up to exit, peak RSS of the process\n`;
    for (const [index, [label]] of cases.entries()) {
      const runs = results[index] ?? [];
      const ms = median(runs.map((r) => r.ms));
      const rss = median(runs.map((r) => r.maxRssKiB)) / 1024;
      report += `  ${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms | ${rss.toFixed(1).padStart(6)} MiB peak RSS | this/node ${(ms / base).toFixed(2)}x\n`;
    }
    process.stdout.write(report);
  } finally {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}
