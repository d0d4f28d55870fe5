// `npm run bench` (bake part): fingerprinting a large tree with bake's module, against single-process
// `sha256sum` over the same files measured in the same run (and AIDE, sha256 only, when installed).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintHost } from '../src/host/fingerprint.js';
import { parseSelection } from '../src/host/selection.js';
import { median } from './median.js';

const FILES = Number(process.env.BENCH_BAKE_FILES ?? 4000);
const BIG_FILES = Number(process.env.BENCH_BAKE_BIG_FILES ?? 8);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function timed(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Many small and mid-sized files (like /etc and /usr) plus a few large ones (like binaries and images). */
function buildTree(root: string): { paths: string[]; bytes: number } {
  const paths: string[] = [];
  let bytes = 0;
  const write = (path: string, size: number): void => {
    const data = Buffer.alloc(size);
    randomFillSync(data);
    writeFileSync(join(root, path), data);
    paths.push(join(root, path));
    bytes += size;
  };
  for (let i = 0; i < FILES; i += 1) {
    const dir = `d${i % 64}`;
    mkdirSync(join(root, dir), { recursive: true });
    write(`${dir}/f${i}`, 512 + ((i * 7919) % 64) * 4096);
  }
  for (let i = 0; i < BIG_FILES; i += 1) write(`big${i}`, 48 << 20);
  return { paths, bytes };
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export async function benchBake(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-bench-bake-'));
  try {
    const root = join(dir, 'tree');
    mkdirSync(root);
    const { paths, bytes } = buildTree(root);
    // One process over every file (argv well under ARG_MAX), like `sha256sum $(find …)`.
    const relative = paths.map((p) => p.slice(root.length + 1));
    const selection = parseSelection('/**');
    const jobs = availableParallelism();
    const bake = (n: number) => () => fingerprintHost({ root, selection, jobs: n });
    const sha256sum = () => execFileSync('sha256sum', ['--', ...relative], { cwd: root, maxBuffer: 1 << 28 });
    const aideConfig = join(dir, 'aide.conf');
    writeFileSync(
      aideConfig,
      `database_out=file:${join(dir, 'aide.db')}\ngzip_dbout=no\nSHAONLY = sha256\n${root} SHAONLY\n`,
    );
    const aide = hasCommand('aide')
      ? () => execFileSync('aide', ['--init', `--config=${aideConfig}`], { stdio: 'ignore' })
      : null;

    // Warm the page cache and the JIT once, so every tool reads from memory.
    sha256sum();
    await bake(jobs)();
    const results = {
      sha256sum: [] as number[],
      bakeParallel: [] as number[],
      bakeOne: [] as number[],
      aide: [] as number[],
    };
    for (let i = 0; i < RUNS; i += 1) {
      results.sha256sum.push(timed(sha256sum));
      results.bakeParallel.push(await timedAsync(bake(jobs)));
      results.bakeOne.push(await timedAsync(bake(1)));
      if (aide) results.aide.push(timed(aide));
    }
    const base = median(results.sha256sum);
    const line = (label: string, ms: number): string =>
      `  ${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms | ${((bytes / (1 << 20) / ms) * 1000).toFixed(0).padStart(5)} MiB/s | sha256sum/this ${(base / ms).toFixed(2)}x\n`;
    process.stdout.write(
      `bake: ${paths.length} files, ${(bytes / (1 << 20)).toFixed(0)} MiB, page cache warm, median of ${RUNS}\n` +
        line('sha256sum, one process (baseline)', base) +
        line(`bake, ${jobs} hashing workers`, median(results.bakeParallel)) +
        line('bake, 1 hashing worker', median(results.bakeOne)) +
        (aide
          ? line('aide --init (sha256 only)', median(results.aide))
          : '  aide: not installed (apt-get install aide)\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
